/* mcu_softmax_s16.c - SOFTMAX over the last axis, int16 in and out (see mcu_activation.h).
 *
 * TFLM's int16 recipe: per row, each difference to the row maximum is rescaled
 * so that [-65535, 0] covers [-10, 0], recentred to int16 and looked up in the
 * exp table (513 entries, linear interpolation over 7 bits). The exps are kept
 * in the output row, summed, normalised by their leading zeros and the
 * reciprocal is read from the 1 / (1 + x) table; each exp times it, rounded,
 * is the output (scale 1/32768, zero point 0). */
#include "mcu_activation.h"
#include "mcu_fixedpoint.h"

/* lut(value) with linear interpolation between the 512 + 1 table entries. */
static inline int16_t mcu_softmax_lut(int32_t value, const int16_t *lut)
{
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7F;
    const int32_t base = lut[index];
    const int32_t slope = (int16_t)(lut[index + 1] - lut[index]);
    return (int16_t)(base + ((slope * offset + 64) >> 7));
}

void mcu_softmax_s16(const mcu_softmax_s16_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t depth = p->depth, mult = p->input_multiplier, shift = p->input_left_shift;
    int32_t r, c;
    for (r = 0; r < p->rows; r++) {
        const int16_t *in = input + r * depth;
        int16_t *out = output + r * depth;
        int32_t max_in_row = INT16_MIN, sum = 0, headroom, shifted, right_shift;
        int16_t recip;
        int64_t round;
        for (c = 0; c < depth; c++) {
            max_in_row = MCU_MAX(max_in_row, (int32_t)in[c]);
        }
        for (c = 0; c < depth; c++) {
            const int32_t scaled = mcu_requantize((int32_t)in[c] - max_in_row, mult, shift) + 32767;
            const int16_t e = mcu_softmax_lut(MCU_CLAMP(scaled, INT16_MIN, INT16_MAX), p->exp_lut);
            out[c] = e;
            sum = (int32_t)((uint32_t)sum + (uint32_t)(int32_t)e);
        }
        headroom = mcu_clz32((uint32_t)sum);
        shifted = (int32_t)((((int64_t)sum * ((int64_t)1 << (headroom - 1))) + (1 << 13)) >> 14);
        shifted -= (1 << 15) + (1 << 16);
        recip = mcu_softmax_lut(MCU_CLAMP(shifted, INT16_MIN, INT16_MAX), p->one_over_one_plus_x_lut);
        right_shift = 31 - headroom;
        round = (int64_t)1 << (right_shift - 1);
        for (c = 0; c < depth; c++) {
            const int32_t v = (int32_t)(((int64_t)out[c] * recip + round) >> right_shift);
            out[c] = (int16_t)MCU_CLAMP(v, 0, INT16_MAX);
        }
    }
}
