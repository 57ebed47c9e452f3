/* mcu_conv_f32.c - CONV_2D, float32 (TFLM's reference float Conv; layout and order in mcu_conv.h). */
#include <stddef.h>

#include "mcu_conv.h"
#include "mcu_f32.h"

/* First tap index k in [0, taps) with 0 <= origin + k * dil, and one past the last with origin + k * dil < size. */
static inline void mcu_conv_f32_taps(int32_t origin, int32_t dil, int32_t size, int32_t taps, int32_t *lo,
                                     int32_t *hi)
{
    int32_t a, b;
    if (dil == 1) { /* no division */
        a = origin < 0 ? -origin : 0;
        b = size - origin > 0 ? size - origin : 0;
    } else {
        a = origin < 0 ? (-origin + dil - 1) / dil : 0;
        b = size - origin > 0 ? (size - origin + dil - 1) / dil : 0;
    }
    if (b > taps) b = taps;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

void mcu_conv_f32(const mcu_conv_f32_params_t *p, const float *input, float *output)
{
    const int32_t ic = p->in_c, oc = p->out_c, kw = p->k_w;
    const int32_t pixels = p->out_h * p->out_w, total = p->batches * pixels;
    const int32_t groups = (oc + MCU_F32_GROUP - 1) / MCU_F32_GROUP;
    const int32_t group_size = p->k_h * kw * ic * MCU_F32_GROUP;
    const size_t image = (size_t)p->in_h * (size_t)p->in_w * (size_t)ic;
    const float lo = p->act_min, hi = p->act_max;
    for (int32_t step = 0; step < total; step++) {
        const int32_t q = p->reverse ? total - 1 - step : step;
        const int32_t b = q / pixels, r = q - b * pixels, oy = r / p->out_w, ox = r - oy * p->out_w;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        int32_t fy0, fy1, fx0, fx1;
        mcu_conv_f32_taps(y0, p->dil_h, p->in_h, p->k_h, &fy0, &fy1);
        mcu_conv_f32_taps(x0, p->dil_w, p->in_w, kw, &fx0, &fx1);
        const float *in_b = input + (size_t)b * image;
        float *out = output + (size_t)q * (size_t)oc;
        for (int32_t g = 0; g < groups; g++) {
            const float *wg = p->filter + (size_t)g * (size_t)group_size;
            float acc[MCU_F32_GROUP] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
            for (int32_t fy = fy0; fy < fy1 && fx0 < fx1; fy++) {
                const int32_t iy = y0 + fy * p->dil_h;
                if (p->dil_w == 1) {
                    /* the row's taps are adjacent in the input and in the filter: one run */
                    const float *xp = in_b + ((size_t)iy * (size_t)p->in_w + (size_t)(x0 + fx0)) * (size_t)ic;
                    const float *wp = wg + (size_t)(fy * kw + fx0) * (size_t)ic * MCU_F32_GROUP;
                    mcu_f32_dot8(xp, wp, (fx1 - fx0) * ic, acc);
                    continue;
                }
                for (int32_t fx = fx0; fx < fx1; fx++) {
                    const int32_t ix = x0 + fx * p->dil_w;
                    const float *xp = in_b + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)ic;
                    const float *wp = wg + (size_t)(fy * kw + fx) * (size_t)ic * MCU_F32_GROUP;
                    mcu_f32_dot8(xp, wp, ic, acc);
                }
            }
            const int32_t o = g * MCU_F32_GROUP;
            const int32_t n = oc - o < MCU_F32_GROUP ? oc - o : MCU_F32_GROUP;
            if (n == MCU_F32_GROUP) {
                mcu_f32_finish8(acc, p->bias ? p->bias + o : NULL, lo, hi, out + o);
                continue;
            }
            for (int32_t k = 0; k < n; k++) {
                const float bias = p->bias ? p->bias[o + k] : 0.f;
                out[o + k] = mcu_clamp_f32(acc[k] + bias, lo, hi);
            }
        }
    }
}
