/* mcu_mul_s16.c - MUL, int16 (zero points 0), with broadcasting (see mcu_elementwise.h). */
#include "mcu_elementwise.h"
#include "mcu_fixedpoint.h"

/* prod = (a - za) * (b - zb) on the output scale, offset and clamped. The offset
 * is added through uint32_t: it wraps like TFLM's int32 add would in the
 * (unrealistic) case of a multiplier large enough to saturate. */
static inline int16_t mcu_mul_output(int32_t prod, int32_t mult, int32_t shift, int32_t offset, int32_t lo, int32_t hi)
{
    const int32_t scaled = mcu_requantize(prod, mult, shift);
    const int32_t out = (int32_t)((uint32_t)scaled + (uint32_t)offset);
    return (int16_t)MCU_CLAMP(out, lo, hi);
}

void mcu_mul_s16(const mcu_mul_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    /* Parameters in locals: stores through int16_t pointers may alias *p, which would force reloads. */
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset;
    const int32_t mo = p->output_multiplier, sho = p->output_shift, zo = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t size = p->size;
#define MCU_MUL_OUT(prod) mcu_mul_output((prod), mo, sho, zo, lo, hi)
    const mcu_broadcast_t *bc = &p->bcast;
    if (bc->rank == 0) {
        /* In place safe: element i is read before it is written. */
        for (int32_t i = 0; i < size; i++) {
            output[i] = MCU_MUL_OUT((input1[i] + off1) * (input2[i] + off2));
        }
        return;
    }
    const int32_t n = bc->shape[bc->rank - 1];
    const int32_t s1 = bc->stride1[bc->rank - 1], s2 = bc->stride2[bc->rank - 1];
    const int32_t runs = size / n;
    int32_t idx[MCU_ELTWISE_MAX_DIMS] = {0};
    int32_t o1 = 0, o2 = 0;
    for (int32_t r = 0; r < runs; r++) {
        const int16_t *a = input1 + o1;
        const int16_t *b = input2 + o2;
        if (s1 == 0) {
            const int32_t av = a[0] + off1;
            for (int32_t i = 0; i < n; i++) {
                output[i] = MCU_MUL_OUT(av * (b[i] + off2));
            }
        } else if (s2 == 0) {
            const int32_t bv = b[0] + off2;
            for (int32_t i = 0; i < n; i++) {
                output[i] = MCU_MUL_OUT((a[i] + off1) * bv);
            }
        } else {
            for (int32_t i = 0; i < n; i++) {
                output[i] = MCU_MUL_OUT((a[i] + off1) * (b[i] + off2));
            }
        }
        output += n;
        mcu_broadcast_next(bc, idx, &o1, &o2);
    }
#undef MCU_MUL_OUT
}
