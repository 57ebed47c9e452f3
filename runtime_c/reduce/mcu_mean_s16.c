/* mcu_mean_s16.c - MEAN and SUM, int16 (see mcu_reduce.h). */
#include "mcu_reduce.h"
#include "mcu_fixedpoint.h"

/* Add one contiguous row of k2 * r2 inputs into acc[0..k2), modulo 2^32 (int16 sums of more than
 * 65536 values may wrap, as TFLM's int32 sum does). */
static void mcu_mean16_add_row(int32_t *acc, const int16_t *in, int32_t k2, int32_t r2)
{
    if (r2 == 1) {
        for (int32_t k = 0; k < k2; k++) {
            acc[k] = (int32_t)((uint32_t)acc[k] + (uint32_t)(int32_t)in[k]);
        }
        return;
    }
    for (int32_t k = 0; k < k2; k++) {
        uint32_t sum = 0;
        for (int32_t r = 0; r < r2; r++) {
            sum += (uint32_t)(int32_t)in[r];
        }
        acc[k] = (int32_t)((uint32_t)acc[k] + sum);
        in += r2;
    }
}

void mcu_mean_s16(const mcu_mean_params_t *p, const int16_t *input, int16_t *output, int32_t *scratch)
{
    const int32_t block = p->k1 * p->k2;
    const int32_t row = p->k2 * p->r2;
    for (int32_t o = 0; o < p->k0; o++) {
        for (int32_t j = 0; j < block; j++) {
            scratch[j] = 0;
        }
        for (int32_t a = 0; a < p->r0; a++) {
            for (int32_t k = 0; k < p->k1; k++) {
                int32_t *acc = scratch + k * p->k2;
                for (int32_t b = 0; b < p->r1; b++) {
                    mcu_mean16_add_row(acc, input, p->k2, p->r2);
                    input += row;
                }
            }
        }
        for (int32_t j = 0; j < block; j++) {
            const int32_t shifted = (int32_t)((uint32_t)scratch[j] + (uint32_t)p->sum_offset);
            const int32_t scaled = mcu_requantize(shifted, p->multiplier, p->shift);
            const int32_t v = (int32_t)((uint32_t)scaled + (uint32_t)p->output_offset);
            output[j] = (int16_t)MCU_CLAMP(v, INT16_MIN, INT16_MAX);
        }
        output += block;
    }
}
