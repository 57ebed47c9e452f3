/* mcu_fully_connected_s4.c - FULLY_CONNECTED, int8 activations, packed int4 weights (see
 * mcu_fully_connected.h and mcu_s4_impl.h). */
#include "mcu_fully_connected.h"
#include "mcu_fixedpoint.h"
#include "mcu_s4_impl.h"

int32_t mcu_fully_connected_s4_get_buffer_size(int32_t row_words)
{
    return 16 * row_words;
}

/* The output byte of unit u from its accumulator without the bias (per_channel: unit u's requantization). */
static inline int8_t mcu_fc_s4_out(const mcu_fc_s4_params_t *p, int32_t u, int32_t per_channel, int32_t acc)
{
    const int32_t c = per_channel ? u : 0;
    if (p->bias) {
        acc = (int32_t)((uint32_t)acc + (uint32_t)p->bias[u]);
    }
    return p->rq ? mcu_s4_output_rq(acc, p->rq + 3 * c, p->act_min, p->act_max)
                 : mcu_s4_output(acc, p->multiplier[c], p->shift[c], p->output_zp, p->act_min, p->act_max);
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
        const int32_t pc = p->per_channel;
        int32_t u = 0;
        for (; u + 4 <= p->blocked_units; u += 4, w += 4 * words) { /* rows interleaved by word (mcu_s4_dot4) */
            int32_t acc[4];
            mcu_s4_dot4(scratch, w, words, acc);
            for (int32_t r = 0; r < 4; r++) {
                out[u + r] = mcu_fc_s4_out(p, u + r, pc, (int32_t)((uint32_t)acc[r] + offset));
            }
        }
        for (; u < units; u++, w += words) {
            out[u] = mcu_fc_s4_out(p, u, pc, (int32_t)((uint32_t)mcu_s4_dot(scratch, w, words) + offset));
        }
    }
}
