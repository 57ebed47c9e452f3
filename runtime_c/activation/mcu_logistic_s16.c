/* mcu_logistic_s16.c - LOGISTIC, int16 (see mcu_activation.h).
 *
 * x is brought to the table scale 1/(3 * 4096) by (x * M + round) >> shift;
 * |x'| / 512 indexes the 256-entry sigmoid table (sigmoid(i / 24), 0.16
 * format) and the low 9 bits interpolate between two entries. Negative inputs
 * use sigmoid(-x) = 1 - sigmoid(x). The result is on scale 1/32768. All sums
 * are unsigned, as in TFLM. */
#include "mcu_activation.h"

void mcu_logistic_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t mult = p->input_multiplier, shift = p->input_right_shift;
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    const uint16_t *table = p->table;
    const int32_t size = p->size;
    int32_t i;
    for (i = 0; i < size; i++) {
        const int32_t x = ((int32_t)input[i] * mult + round) >> shift;
        const uint32_t ax = (uint32_t)(x < 0 ? -x : x);
        const uint32_t uh = ax >> 9;
        uint32_t r;
        if (uh >= 255u) {
            r = 0x7FFFu << 10;
        } else {
            const uint32_t ua = table[uh], ub = table[uh + 1u];
            r = (ua << 9) + (ax & 0x1FFu) * (ub - ua);
        }
        r = x >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
        output[i] = (int16_t)(r >> 10);
    }
}
