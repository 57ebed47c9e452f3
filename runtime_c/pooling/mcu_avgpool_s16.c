/* mcu_avgpool_s16.c - AVERAGE_POOL_2D, int16 (see mcu_pooling.h). */
#include "mcu_pooling.h"
#include "mcu_fixedpoint.h"

void mcu_avgpool_s16(const mcu_pool_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t ch = p->channels;
    for (int32_t b = 0; b < p->batches; b++) {
        const int16_t *in_b = input + (int64_t)b * p->in_h * p->in_w * ch;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ys = MCU_MAX(0, -y0), ye = MCU_MIN(p->k_h, p->in_h - y0);
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t xs = MCU_MAX(0, -x0), xe = MCU_MIN(p->k_w, p->in_w - x0);
                const int32_t count = (ye - ys) * (xe - xs);
                for (int32_t c = 0; c < ch; c++) {
                    int32_t sum = 0;
                    for (int32_t ky = ys; ky < ye; ky++) {
                        const int16_t *row = in_b + ((int64_t)(y0 + ky) * p->in_w + x0) * ch + c;
                        for (int32_t kx = xs; kx < xe; kx++) {
                            sum += row[(int64_t)kx * ch];
                        }
                    }
                    int32_t avg = 0;
                    if (count > 0) {
                        avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                    }
                    *output++ = (int16_t)MCU_CLAMP(avg, p->act_min, p->act_max);
                }
            }
        }
    }
}
