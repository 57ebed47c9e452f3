/* mcu_tanh_s16.c - TANH, int16 (see mcu_activation.h).
 *
 * tanh(x) = 2 * sigmoid(2x) - 1: as LOGISTIC, but |x'| / 256 indexes the
 * sigmoid table (twice the argument) with 8 interpolation bits, and the result
 * is recentred and scaled to 1/32768. */
#include "mcu_activation.h"

void mcu_tanh_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t mult = p->input_multiplier, shift = p->input_right_shift;
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    const uint16_t *table = p->table;
    const int32_t size = p->size;
    int32_t i;
    for (i = 0; i < size; i++) {
        const int32_t x = ((int32_t)input[i] * mult + round) >> shift;
        const uint32_t ax = (uint32_t)(x < 0 ? -x : x);
        const uint32_t uh = ax >> 8;
        int32_t r;
        if (uh >= 255u) {
            r = (int32_t)(0xFFFFu << 8);
        } else {
            const uint32_t ua = table[uh], ub = table[uh + 1u];
            r = (int32_t)((ua << 8) + (ax & 0xFFu) * (ub - ua));
        }
        r = x >= 0 ? r - ((int32_t)1 << 23) + ((int32_t)1 << 7)
                   : -r + ((int32_t)1 << 23) + ((int32_t)1 << 7) - 1;
        output[i] = (int16_t)(r >> 8);
    }
}
