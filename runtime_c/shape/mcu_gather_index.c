/* mcu_gather_index.c - GATHER with run-time int32 indices, any element size (see mcu_shape.h). */
#include "mcu_shape.h"

void mcu_gather_index_b(const mcu_gather_index_params_t *p, const void *input, const int32_t *indices,
                        void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const size_t inner = (size_t)p->inner_bytes;
    for (int32_t b = 0; b < p->batches; b++) {
        const int32_t *idx = indices + (size_t)b * (size_t)p->coords;
        for (int32_t o = 0; o < p->outer; o++) {
            const uint8_t *base = in + ((size_t)b * (size_t)p->outer + (size_t)o) * (size_t)p->axis_size * inner;
            for (int32_t i = 0; i < p->coords; i++) {
                const int32_t k = idx[i];
                if (k >= 0 && k < p->axis_size) {
                    memcpy(out, base + (size_t)k * inner, inner);
                } else {
                    memset(out, 0, inner); /* TFLM fails the invoke; never read out of bounds */
                }
                out += inner;
            }
        }
    }
}
