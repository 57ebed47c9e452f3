/* mcu_maxpool_f32.c - MAX_POOL_2D, float32 (TFLM's reference float MaxPool; see mcu_pooling.h). */
#include <float.h>
#include <stddef.h>

#include "mcu_pooling.h"
#include "mcu_f32.h"

void mcu_maxpool_f32(const mcu_pool_f32_params_t *p, const float *input, float *output)
{
    const int32_t c_n = p->channels, in_w = p->in_w;
    const size_t image = (size_t)p->in_h * (size_t)in_w * (size_t)c_n;
    float *out = output;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *in_b = input + (size_t)b * image;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t fy0 = y0 < 0 ? -y0 : 0;
            const int32_t fy1 = p->k_h < p->in_h - y0 ? p->k_h : p->in_h - y0;
            for (int32_t ox = 0; ox < p->out_w; ox++, out += c_n) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fx1 = p->k_w < in_w - x0 ? p->k_w : in_w - x0;
                for (int32_t c = 0; c < c_n; c++) out[c] = -FLT_MAX;
                for (int32_t fy = fy0; fy < fy1; fy++) {
                    for (int32_t fx = fx0; fx < fx1; fx++) {
                        const float *xp = in_b + ((size_t)(y0 + fy) * (size_t)in_w + (size_t)(x0 + fx)) * (size_t)c_n;
                        for (int32_t c = 0; c < c_n; c++) {
                            const float v = xp[c];
                            out[c] = (out[c] < v) ? v : out[c];
                        }
                    }
                }
                for (int32_t c = 0; c < c_n; c++) out[c] = mcu_clamp_f32(out[c], p->act_min, p->act_max);
            }
        }
    }
}
