/* mcu_transpose_conv_f32.c - TRANSPOSE_CONV, float32: TFLM's reference float sums, gathered per output
 * value in the order TFLM's scatter adds them (see mcu_conv.h). */
#include <stddef.h>

#include "mcu_conv.h"
#include "mcu_f32.h"

/* First and one-past-last input index whose window (stride s, k taps) covers output position `o + pad`. */
static void mcu_tconv_range(int32_t o_pad, int32_t k, int32_t s, int32_t in, int32_t *lo, int32_t *hi)
{
    const int32_t t = o_pad - k + 1;
    int32_t a = (t <= 0) ? 0 : (t + s - 1) / s;
    int32_t b = (o_pad < 0) ? -1 : o_pad / s;
    if (b > in - 1) b = in - 1;
    *lo = a;
    *hi = (b + 1 > a) ? b + 1 : a;
}

void mcu_transpose_conv_f32(const mcu_transpose_conv_f32_params_t *p, const float *input, float *output)
{
    const int32_t ih = p->in_h, iw = p->in_w, ic = p->in_c, oh = p->out_h, ow = p->out_w, oc = p->out_c;
    const int32_t kh = p->k_h, kw = p->k_w, sh = p->stride_h, sw = p->stride_w;
    const float lo = p->act_min, hi = p->act_max;
    const float *filter = p->filter, *bias = p->bias;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *in_b = input + (size_t)b * (size_t)ih * (size_t)iw * (size_t)ic;
        for (int32_t oy = 0; oy < oh; oy++) {
            int32_t y0, y1;
            mcu_tconv_range(oy + p->pad_top, kh, sh, ih, &y0, &y1);
            for (int32_t ox = 0; ox < ow; ox++) {
                int32_t x0, x1;
                mcu_tconv_range(ox + p->pad_left, kw, sw, iw, &x0, &x1);
                for (int32_t g = 0; g * MCU_F32_GROUP < oc; g++) {
                    const float *w_g = filter + (size_t)g * (size_t)kh * (size_t)kw * (size_t)ic * MCU_F32_GROUP;
                    float acc[MCU_F32_GROUP] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
                    for (int32_t iy = y0; iy < y1; iy++) {
                        const int32_t fy = oy + p->pad_top - iy * sh;
                        for (int32_t ix = x0; ix < x1; ix++) {
                            const int32_t fx = ox + p->pad_left - ix * sw;
                            const float *xv = in_b + ((size_t)iy * (size_t)iw + (size_t)ix) * (size_t)ic;
                            const float *wv = w_g + ((size_t)fy * (size_t)kw + (size_t)fx) * (size_t)ic * MCU_F32_GROUP;
                            mcu_f32_dot8(xv, wv, ic, acc);
                        }
                    }
                    const int32_t n = (oc - g * MCU_F32_GROUP < MCU_F32_GROUP) ? oc - g * MCU_F32_GROUP : MCU_F32_GROUP;
                    for (int32_t j = 0; j < n; j++) {
                        float v = acc[j];
                        if (bias != NULL) {
                            v += bias[g * MCU_F32_GROUP + j];
                        }
                        *output++ = mcu_clamp_f32(v, lo, hi);
                    }
                }
            }
        }
    }
}
