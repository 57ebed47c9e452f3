/* mcu_split.c - SPLIT, SPLIT_V and UNPACK, any element size (see mcu_shape.h). */
#include "mcu_shape.h"

void mcu_split_b(const mcu_split_params_t *p, const void *input, void *const *outputs)
{
    const uint8_t *in = (const uint8_t *)input;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t i = 0; i < p->num_outputs; i++) {
            const size_t n = (size_t)p->out_bytes[i];
            memcpy((uint8_t *)outputs[i] + (size_t)o * n, in, n);
            in += n;
        }
    }
}
