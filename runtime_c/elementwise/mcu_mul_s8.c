/* mcu_mul_s8.c - MUL, int8, with broadcasting (see mcu_elementwise.h). */
#include "mcu_elementwise.h"
#include "mcu_fixedpoint.h"

/* prod = (a - za) * (b - zb), at most 256 * 256 in magnitude. */
static inline int8_t mcu_mul_finish(const mcu_mul_params_t *p, int32_t prod)
{
    /* The offset is added through uint32_t: wraps like TFLM's int32 add would
     * in the (unrealistic) case of a multiplier large enough to saturate. */
    const int32_t scaled = mcu_requantize(prod, p->output_multiplier, p->output_shift);
    const int32_t out = (int32_t)((uint32_t)scaled + (uint32_t)p->output_offset);
    return (int8_t)MCU_CLAMP(out, p->act_min, p->act_max);
}

void mcu_mul_s8(const mcu_mul_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset;
    const mcu_broadcast_t *bc = &p->bcast;
    if (bc->rank == 0) {
        /* In place safe: element i is read before it is written. */
        for (int32_t i = 0; i < p->size; i++) {
            output[i] = mcu_mul_finish(p, (input1[i] + off1) * (input2[i] + off2));
        }
        return;
    }
    const int32_t n = bc->shape[bc->rank - 1];
    const int32_t s1 = bc->stride1[bc->rank - 1], s2 = bc->stride2[bc->rank - 1];
    const int32_t runs = p->size / n;
    int32_t idx[MCU_ELTWISE_MAX_DIMS] = {0};
    int32_t o1 = 0, o2 = 0;
    for (int32_t r = 0; r < runs; r++) {
        const int8_t *a = input1 + o1;
        const int8_t *b = input2 + o2;
        if (s1 == 0) {
            const int32_t av = a[0] + off1;
            for (int32_t i = 0; i < n; i++) {
                output[i] = mcu_mul_finish(p, av * (b[i] + off2));
            }
        } else if (s2 == 0) {
            const int32_t bv = b[0] + off2;
            for (int32_t i = 0; i < n; i++) {
                output[i] = mcu_mul_finish(p, (a[i] + off1) * bv);
            }
        } else {
            for (int32_t i = 0; i < n; i++) {
                output[i] = mcu_mul_finish(p, (a[i] + off1) * (b[i] + off2));
            }
        }
        output += n;
        mcu_broadcast_next(bc, idx, &o1, &o2);
    }
}
