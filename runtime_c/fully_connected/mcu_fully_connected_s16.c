/* mcu_fully_connected_s16.c - FULLY_CONNECTED, int16 activations, int8 weights (see
 * mcu_fully_connected.h). Plain C,
 * with the DSP dot product of mcu_dot_s16 (mcu_conv.h) where the board has it. */
#include "mcu_fully_connected.h"
#include "mcu_conv.h"

void mcu_fully_connected_s16(const mcu_fc_s16_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t depth = p->depth, units = p->units;
    for (int32_t b = 0; b < p->batches; b++) {
        const int16_t *x = input + (int64_t)b * depth;
        for (int32_t u = 0; u < units; u++) {
            const int8_t *w = p->weights + (int64_t)u * depth;
            int64_t acc = mcu_dot_s16(x, w, depth);
            if (p->bias) {
                acc += p->bias[u];
            }
            const int32_t q = p->per_channel ? u : 0;
            output[(int64_t)b * units + u] =
                mcu_output_s16(acc, p->acc64, p->multiplier[q], p->shift[q], p->act_min, p->act_max);
        }
    }
}
