/* mcu_unary_s16.c - ABS and RSQRT, int16 (see mcu_math.h). */
#include "mcu_math.h"
#include "mcu_fixedpoint.h"

/* gemmlowp SaturatingRoundingMultiplyByPOT<e> for 0 < e < 31. */
static inline int32_t mcu_sat_shl(int32_t x, int32_t e)
{
    if (x > (INT32_MAX >> e)) {
        return INT32_MAX;
    }
    if (x < (INT32_MIN >> e)) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << e);
}

void mcu_inv_sqrt_multiplier(int32_t x, int32_t *mult, int32_t *shift)
{
    if (x <= 1) {
        *mult = INT32_MAX;
        *shift = 0;
        return;
    }
    int32_t sh = 11;
    while (x >= ((int32_t)1 << 29)) {
        x /= 4;
        sh++;
    }
    int32_t bits = 0;  /* significant bits of x */
    for (uint32_t v = (uint32_t)x; v != 0; v >>= 1) {
        bits++;
    }
    const int32_t pairs = (32 - bits - 1) / 2 - 1;
    sh -= pairs;
    x = (int32_t)((uint32_t)x << (2 * pairs));
    const int32_t half_input = mcu_rdbpot(x >> 1, 1);                   /* Q3.28 */
    const int32_t half_three = ((int32_t)1 << 28) + ((int32_t)1 << 27); /* 1.5 in Q3.28 */
    int32_t v = (int32_t)1 << 28;                                       /* 1.0 */
    for (int32_t i = 0; i < 5; i++) {
        const int32_t x3 = mcu_sat_shl(mcu_sat_rdhm(mcu_sat_rdhm(v, v), v), 6);
        const int32_t d = (int32_t)((uint32_t)mcu_sat_rdhm(half_three, v) - (uint32_t)mcu_sat_rdhm(half_input, x3));
        v = mcu_sat_shl(d, 3);
    }
    v = mcu_sat_rdhm(v, 1518500250); /* sqrt(2) / 2 in Q0.31 */
    if (sh < 0) {
        v = (int32_t)((uint32_t)v << -sh);
        sh = 0;
    }
    *mult = v;
    *shift = -sh;
}

void mcu_abs_s16(const mcu_unary_s16_params_t *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        int32_t v = (int32_t)input[i] + p->input_offset;
        v = v < 0 ? -v : v;
        if (p->mode == 0) {
            output[i] = (int16_t)(uint16_t)(uint32_t)v;  /* |-32768| wraps to -32768, as TFLM's cast */
            continue;
        }
        if (p->mode == 2) {
            v = mcu_requantize(v, p->multiplier, p->shift);
        }
        v = (int32_t)((uint32_t)v + (uint32_t)p->output_offset);
        output[i] = (int16_t)MCU_CLAMP(v, INT16_MIN, INT16_MAX);
    }
}

void mcu_rsqrt_s16(const mcu_unary_s16_params_t *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t v = (int32_t)input[i] + p->input_offset;
        if (v <= 0) {
            /* 0: TFLM gives the maximum; negative values make TFLM's Eval fail: mcugen gives the maximum too */
            output[i] = INT16_MAX;
            continue;
        }
        int32_t m, s;
        mcu_inv_sqrt_multiplier(v, &m, &s);
        const int32_t data = mcu_requantize(1, m, s + 20);
        int32_t out = mcu_requantize(data, p->multiplier, p->shift - 20);
        out = (int32_t)((uint32_t)out + (uint32_t)p->output_offset);
        output[i] = (int16_t)MCU_CLAMP(out, INT16_MIN, INT16_MAX);
    }
}
