/* mcu_quantize_f32_s8.c - QUANTIZE float32 -> int8 (see mcu_quantize.h). */
#include "mcu_quantize.h"
#include "mcu_fixedpoint.h"

void mcu_quantize_f32_s8(const mcu_affine_params_t *p, const float *input, int8_t *output)
{
    const float scale = p->scale;
    const int32_t zp = p->zero_point;
    for (int32_t i = 0; i < p->size; i++) {
        const float q = input[i] / scale;
        int32_t v;
        if (q >= 512.0f) {          /* round(q) + zp >= 385: saturates */
            v = 127;
        } else if (q > -512.0f) {
            /* |q| < 512: truncate, then round the exact fraction half away from zero. */
            int32_t t = (int32_t)q;
            const float frac = q - (float)t;
            if (frac >= 0.5f) {
                t += 1;
            } else if (frac <= -0.5f) {
                t -= 1;
            }
            v = MCU_CLAMP(t + zp, -128, 127);
        } else if (q <= -512.0f) {  /* round(q) + zp <= -385: saturates */
            v = -128;
        } else {                    /* NaN */
            v = zp;
        }
        output[i] = (int8_t)v;
    }
}
