/* mcu_fully_connected_hybrid.c - FULLY_CONNECTED, hybrid: float32 activations, int8 weights quantized per
 * tensor or per unit, the input row quantized at run time (see mcu_fully_connected.h and mcu_hybrid.h). */
#include <stddef.h>

#include "mcu_fully_connected.h"
#include "mcu_hybrid.h"

void mcu_fully_connected_hybrid(const mcu_fc_hybrid_params_t *p, const float *input, float *output,
                                int8_t *scratch)
{
    const int32_t depth = p->depth, units = p->units;
    const int32_t padded = 4 * ((depth + 3) >> 2);
    int32_t *dots = (int32_t *)(void *)(scratch + padded); /* units + 6 int32 after the quantized row */
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)depth;
        float *out = output + (size_t)b * (size_t)units;
        int32_t zp = 0;
        const float row_scale = p->asymmetric ? mcu_hybrid_quantize_asym(x, depth, scratch, &zp)
                                              : mcu_hybrid_quantize_sym(x, depth, scratch);
        if (row_scale == 0.f) { /* an all-zero row: the bias alone */
            for (int32_t u = 0; u < units; u++) {
                out[u] = mcu_hybrid_activate(p->bias[u], p->clamp, p->act_min, p->act_max);
            }
            continue;
        }
        for (int32_t d = depth; d < padded; d++) {
            scratch[d] = 0;
        }
        mcu_hybrid_dots(p->weights, scratch, depth, units, p->single_pass, mcu_hybrid_sum(scratch, depth), zp,
                        p->row_sums, dots);
        mcu_hybrid_outputs(dots, units, 0, row_scale, p->scale, p->bias, p->clamp, p->act_min, p->act_max, out);
    }
}
