/* mcu_fully_connected_s4.c - FULLY_CONNECTED, int8 activations, packed int4 weights (see
 * mcu_fully_connected.h and mcu_s4_impl.h). */
#include "mcu_fully_connected.h"
#include "mcu_fixedpoint.h"
#include "mcu_s4_impl.h"

int32_t mcu_fully_connected_s4_get_buffer_size(int32_t row_words)
{
    return 16 * row_words;
}

void mcu_fully_connected_s4(const mcu_fc_s4_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch)
{
    const int32_t depth = p->depth, units = p->units, words = p->row_words;
    memset(scratch + depth, 0, (size_t)(8 * words - depth) * sizeof(int16_t));
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = input + (int64_t)b * depth;
        int8_t *out = output + (int64_t)b * units;
        int32_t xsum = 0;
        for (int32_t d = 0; d < depth; d++) {
            const int32_t v = x[d] - p->input_zp;
            scratch[d] = (int16_t)v;
            xsum += v;
        }
        /* sum (x - zp) * (w + filter_offset) = sum (x - zp) * w + filter_offset * sum (x - zp) */
        const uint32_t offset = (uint32_t)p->filter_offset * (uint32_t)xsum;
        const int32_t *w = p->weights;
        for (int32_t u = 0; u < units; u++, w += words) {
            uint32_t acc = (uint32_t)mcu_s4_dot(scratch, w, words) + offset;
            if (p->bias) {
                acc += (uint32_t)p->bias[u];
            }
            out[u] = p->rq ? mcu_s4_output_rq((int32_t)acc, p->rq, p->act_min, p->act_max)
                           : mcu_s4_output((int32_t)acc, p->multiplier[0], p->shift[0], p->output_zp, p->act_min,
                                           p->act_max);
        }
    }
}
