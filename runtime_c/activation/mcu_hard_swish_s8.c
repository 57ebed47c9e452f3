/* mcu_hard_swish_s8.c - HARD_SWISH, int8 (see mcu_activation.h).
 *
 * TFLM's recipe works on int16 values:
 *   v      = (x - zi) * 2^7                          input on a "hires" scale
 *   pre    = SRDHM16(v, output_multiplier)           output scale, before its shift
 *   relu   = v rescaled so that 3.0 is 2^15 (saturating), then mapped from
 *            [-1, 1] to [0, 1] as (relu + 2^15) / 2
 *   out    = zo + RDBPOT16(SDHM16(relu, pre), -output_exponent)
 * SRDHM16 rounds, SDHM16 truncates; RDBPOT16 follows gemmlowp's int16 template
 * exactly, including its behaviour for shifts of 16 and more (where the int16
 * mask becomes -1).
 */
#include "mcu_activation.h"
#include "mcu_fixedpoint.h"

/* High half of 2*a*b rounded half up, saturating for INT16_MIN * INT16_MIN. */
static inline int32_t mcu_hs_srdhm16(int32_t a, int32_t b)
{
    const int32_t ab = a * b;
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (ab + (ab >= 0 ? (1 << 14) : (1 - (1 << 14)))) / (1 << 15);
}

/* High half of 2*a*b truncated toward zero, saturating for INT16_MIN * INT16_MIN. */
static inline int32_t mcu_hs_sdhm16(int32_t a, int32_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (a * b) / (1 << 15);
}

/* value * 2^amount clamped to int16. */
static inline int32_t mcu_hs_sat_shl16(int32_t value, int32_t amount)
{
    const int64_t r = (int64_t)value * ((int64_t)1 << amount);
    return (int32_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}

/* gemmlowp RoundingDivideByPOT on int16_t: x / 2^e rounded half away from zero
 * for e <= 15; for e >= 16 the int16 mask is all ones, giving 1 for x >= 0 and
 * -1 for x < 0. */
static inline int32_t mcu_hs_rdbpot16(int32_t x, int32_t e)
{
    if (e >= 16) {
        return x >= 0 ? 1 : -1;
    }
    return mcu_rdbpot(x, e);
}

void mcu_hard_swish_s8(const mcu_hard_swish_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t rexp = p->reluish_exponent;
    int32_t i;
    for (i = 0; i < p->size; i++) {
        const int32_t hires = ((int32_t)input[i] - p->input_zero_point) * (1 << 7);
        const int32_t preshift = mcu_hs_srdhm16(hires, p->output_multiplier);
        int32_t relu = hires;
        int32_t q;
        if (rexp > 0) {
            relu = mcu_hs_sat_shl16(relu, rexp - 1);
        }
        relu = mcu_hs_srdhm16(relu, p->reluish_multiplier);
        if (rexp > 0) {
            relu = mcu_hs_sat_shl16(relu, 1);
        } else if (rexp < 0) {
            relu = mcu_hs_rdbpot16(relu, -rexp);
        }
        relu = (relu + (1 << 15)) >> 1;
        q = mcu_hs_rdbpot16(mcu_hs_sdhm16(relu, preshift), -p->output_exponent) + p->output_zero_point;
        output[i] = (int8_t)MCU_CLAMP(q, -128, 127);
    }
}
