/* mcu_softmax_s8.c - SOFTMAX over the last axis, int8 input (see mcu_activation.h).
 *
 * Per row: the difference of each element to the row maximum is rescaled by
 * beta * input_scale to Q5.26, exp() of it is taken in fixed point (Q0), the
 * exps are summed in Q12.19, and each exp is multiplied by the reciprocal of the
 * sum (normalised to [1, 2) so it is a Q0 value, the shift kept apart).
 * Differences below diff_min contribute nothing and give the minimum output.
 *
 * TFLM checks that the final shift is at most 31, which fails (TFLM aborts) when
 * the sum of exps reaches 512, i.e. 512 or more elements (nearly) equal to the
 * maximum; every probability is then below 1/512 and this kernel writes the
 * output minimum, which is what the rounding would give.
 */
#include "mcu_activation.h"
#include "mcu_fixedpoint.h"

/* exp(diff * beta * input_scale) in Q0 for diff (<= 0) at least diff_min. */
static inline int32_t mcu_softmax_exp(const mcu_softmax_params_t *p, int32_t diff)
{
    const int32_t scaled = mcu_sat_rdhm((int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
    return mcu_fp_exp_on_negative_values(scaled, 5);
}

/* Reciprocal of the row's sum of exps and the shift that turns
 * reciprocal * exp into an output of `out_bits` bits; returns 0 when the shift
 * would exceed 31 (the output is then the minimum everywhere). */
static int32_t mcu_softmax_row_scale(const mcu_softmax_params_t *p, const int8_t *in, int32_t max_in_row,
                                     int32_t out_bits, int32_t *scale, int32_t *exponent)
{
    uint32_t sum = 0u; /* Q12.19; wraps like TFLM's int32 sum */
    int32_t headroom;
    int32_t c;
    for (c = 0; c < p->depth; c++) {
        const int32_t diff = (int32_t)in[c] - max_in_row;
        if (diff >= p->diff_min) {
            sum += (uint32_t)mcu_rdbpot(mcu_softmax_exp(p, diff), 12);
        }
    }
    headroom = mcu_clz32(sum);
    *exponent = (12 - headroom) + 31 - out_bits;
    if (headroom == 32 || *exponent > 31) {
        return 0;
    }
    /* sum = 2^(12 - headroom) * (1 + x), x in [0, 1): scale = 1 / (1 + x) */
    *scale = mcu_fp_one_over_one_plus_x((int32_t)((sum << headroom) - 0x80000000u));
    return 1;
}

static inline int32_t mcu_softmax_row_max(const int8_t *in, int32_t depth)
{
    int32_t m = -128;
    int32_t c;
    for (c = 0; c < depth; c++) {
        m = MCU_MAX(m, (int32_t)in[c]);
    }
    return m;
}

void mcu_softmax_s8(const mcu_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t r, c;
    for (r = 0; r < p->rows; r++) {
        const int8_t *in = input + (int64_t)r * p->depth;
        int8_t *out = output + (int64_t)r * p->depth;
        const int32_t max_in_row = mcu_softmax_row_max(in, p->depth);
        int32_t scale = 0, exponent = 0;
        const int32_t ok = mcu_softmax_row_scale(p, in, max_in_row, 8, &scale, &exponent);
        for (c = 0; c < p->depth; c++) {
            const int32_t diff = (int32_t)in[c] - max_in_row;
            int32_t q = -128;
            if (ok && diff >= p->diff_min) {
                q = mcu_rdbpot(mcu_sat_rdhm(scale, mcu_softmax_exp(p, diff)), exponent) - 128;
                q = MCU_CLAMP(q, -128, 127);
            }
            out[c] = (int8_t)q;
        }
    }
}

void mcu_softmax_s8_s16(const mcu_softmax_params_t *p, const int8_t *input, int16_t *output)
{
    int32_t r, c;
    for (r = 0; r < p->rows; r++) {
        const int8_t *in = input + (int64_t)r * p->depth;
        int16_t *out = output + (int64_t)r * p->depth;
        const int32_t max_in_row = mcu_softmax_row_max(in, p->depth);
        int32_t scale = 0, exponent = 0;
        const int32_t ok = mcu_softmax_row_scale(p, in, max_in_row, 16, &scale, &exponent);
        for (c = 0; c < p->depth; c++) {
            const int32_t diff = (int32_t)in[c] - max_in_row;
            int32_t q = -32768;
            if (ok && diff >= p->diff_min) {
                q = mcu_rdbpot(mcu_sat_rdhm(scale, mcu_softmax_exp(p, diff)), exponent) - 32768;
                q = MCU_CLAMP(q, -32768, 32767);
            }
            out[c] = (int16_t)q;
        }
    }
}
