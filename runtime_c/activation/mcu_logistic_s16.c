/* mcu_logistic_s16.c - LOGISTIC and TANH, int16 (see mcu_activation.h).
 *
 * LOGISTIC: x is brought to the table scale 1/(3 * 4096) by
 * (x * M + round) >> shift; |x'| / 512 indexes the 256-entry sigmoid table
 * (sigmoid(i / 24), 0.16 format) and the low 9 bits interpolate between two
 * entries. Negative inputs use sigmoid(-x) = 1 - sigmoid(x). The result is on
 * scale 1/32768.
 * TANH: tanh(x) = 2 * sigmoid(2x) - 1: the same, but |x'| / 256 indexes the
 * table (twice the argument) with 8 interpolation bits, and the result is
 * recentred and scaled to 1/32768.
 * All sums are unsigned, as in TFLM. Both share one body; `is_tanh` is a
 * constant in each caller. */
#include "mcu_activation.h"

static inline void mcu_sigmoid_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output,
                                   const int32_t is_tanh)
{
    const int32_t mult = p->input_multiplier, shift = p->input_right_shift;
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    const uint16_t *table = p->table;
    const int32_t size = p->size;
    int32_t i;
    for (i = 0; i < size; i++) {
        const int32_t x = (input[i] * mult + round) >> shift;
        const uint32_t ax = (uint32_t)(x < 0 ? -x : x);
        if (is_tanh) {
            int32_t r = (int32_t)mcu_sigmoid_s16_lookup(table, ax, 8u, 0xFFFFu << 8);
            r = x >= 0 ? r - ((int32_t)1 << 23) + ((int32_t)1 << 7)
                       : -r + ((int32_t)1 << 23) + ((int32_t)1 << 7) - 1;
            output[i] = (int16_t)(r >> 8);
        } else {
            uint32_t r = mcu_sigmoid_s16_lookup(table, ax, 9u, 0x7FFFu << 10);
            r = x >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
            output[i] = (int16_t)(r >> 10);
        }
    }
}

void mcu_logistic_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output)
{
    mcu_sigmoid_s16(p, input, output, 0);
}

void mcu_tanh_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output)
{
    mcu_sigmoid_s16(p, input, output, 1);
}
