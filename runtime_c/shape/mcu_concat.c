/* mcu_concat.c - CONCATENATION, any element size (see mcu_shape.h). */
#include "mcu_shape.h"

void mcu_concat_b(const mcu_concat_params_t *p, const void *const *inputs, void *output)
{
    uint8_t *out = (uint8_t *)output;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t i = 0; i < p->num_inputs; i++) {
            const size_t n = (size_t)p->in_bytes[i];
            memcpy(out, (const uint8_t *)inputs[i] + (size_t)o * n, n);
            out += n;
        }
    }
}
