/* mcu_select.c - SELECT_V2 with three-way broadcasting, any element of 1, 2 or 4 bytes (see mcu_math.h). */
#include "mcu_math.h"

static inline void mcu_select_copy(void *out, int32_t k, const void *src, int32_t i, int32_t size)
{
    if (size == 1) {
        ((uint8_t *)out)[k] = ((const uint8_t *)src)[i];
    } else if (size == 2) {
        ((uint16_t *)out)[k] = ((const uint16_t *)src)[i];
    } else {
        ((uint32_t *)out)[k] = ((const uint32_t *)src)[i];
    }
}

void mcu_select(const mcu_select_params_t *p, const uint8_t *cond, const void *x, const void *y, void *out)
{
    const int32_t es = p->elem_size;
    if (p->rank == 0) {
        for (int32_t k = 0; k < p->size; k++) {
            mcu_select_copy(out, k, cond[k] ? x : y, k, es);
        }
        return;
    }
    int32_t idx[MCU_ELTWISE_MAX_DIMS] = {0};
    int32_t oc = 0, ox = 0, oy = 0;
    const int32_t last = p->rank - 1;
    for (int32_t k = 0; k < p->size; k++) {
        if (cond[oc]) {
            mcu_select_copy(out, k, x, ox, es);
        } else {
            mcu_select_copy(out, k, y, oy, es);
        }
        for (int32_t d = last; d >= 0; d--) {
            oc += p->stride_c[d];
            ox += p->stride_x[d];
            oy += p->stride_y[d];
            if (++idx[d] < p->shape[d]) {
                break;
            }
            idx[d] = 0;
            oc -= p->stride_c[d] * p->shape[d];
            ox -= p->stride_x[d] * p->shape[d];
            oy -= p->stride_y[d] * p->shape[d];
        }
    }
}
