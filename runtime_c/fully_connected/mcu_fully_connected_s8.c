/* mcu_fully_connected_s8.c - FULLY_CONNECTED, int8 (see mcu_fully_connected.h). */
#include "mcu_fully_connected.h"
#include "mcu_fixedpoint.h"

void mcu_fully_connected_s8(const mcu_fc_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *in = input + (int64_t)b * p->depth;
        for (int32_t u = 0; u < p->units; u++) {
            const int8_t *w = p->filter + (int64_t)u * p->depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < p->depth; d++) {
                acc += ((int32_t)in[d] + p->input_offset) * ((int32_t)w[d] + p->filter_offset);
            }
            if (p->bias) {
                acc += p->bias[u];
            }
            const int32_t c = p->per_channel ? u : 0;
            acc = mcu_requantize(acc, p->multiplier[c], p->shift[c]) + p->output_offset;
            *output++ = (int8_t)MCU_CLAMP(acc, p->act_min, p->act_max);
        }
    }
}
