/* mcu_quantize_f32_s8.c - QUANTIZE float32 -> int8 and int16 (see mcu_quantize.h). */
#include "mcu_quantize.h"
#include "mcu_fixedpoint.h"

/*
 * round(q) + zp clamped to [lo, hi], NaN -> zp. `limit` is a power of two below 2^23 beyond which
 * round(q) + zp saturates whatever the zero point (|zp| + hi < limit): inside it the float
 * truncates exactly to int32 and the fraction q - trunc(q) is exact.
 */
static inline int32_t mcu_affine_q(float q, int32_t zp, int32_t lo, int32_t hi, float limit)
{
    if (q >= limit) {
        return hi;
    }
    if (q > -limit) {
        int32_t t = (int32_t)q;
        const float frac = q - (float)t;
        if (frac >= 0.5f) {
            t += 1;
        } else if (frac <= -0.5f) {
            t -= 1;
        }
        return MCU_CLAMP(t + zp, lo, hi);
    }
    if (q <= -limit) {
        return lo;
    }
    return zp; /* NaN */
}

void mcu_quantize_f32_s8(const mcu_affine_params_t *p, const float *input, int8_t *output)
{
    const float scale = p->scale;
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int8_t)mcu_affine_q(input[i] / scale, p->zero_point, -128, 127, 512.0f);
    }
}

void mcu_quantize_f32_s16(const mcu_affine_params_t *p, const float *input, int16_t *output)
{
    const float scale = p->scale;
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int16_t)mcu_affine_q(input[i] / scale, p->zero_point, -32768, 32767, 131072.0f);
    }
}
