/* mcu_add_s16.c - ADD and SUB, int16, with broadcasting (see mcu_elementwise.h).
 *
 * TFLM runs its general-scale recipe for every int16 ADD/SUB (left shift 15,
 * whatever pot_scale_int16 says): |q - zp| <= 65535, so (q - zp) * 2^15 fits in
 * an int32 and the int8 body carries over unchanged.
 *
 *
 * SUB follows TFLM: it subtracts the two rescaled inputs. (ADD with the second
 * multiplier negated would round exact halves differently: mcu_sat_rdhm rounds
 * them upward.) Both share one body; `sign` is a constant in each caller. */
#include "mcu_elementwise.h"
#include "mcu_fixedpoint.h"

/* One input on the common scale: ((q + offset) << left_shift) * M * 2^shift, shift <= 0. */
static inline int32_t mcu_add_rescale(int32_t q, int32_t offset, int32_t left_shift, int32_t mult, int32_t shift)
{
    return mcu_rdbpot(mcu_sat_rdhm((q + offset) * (1 << left_shift), mult), -shift);
}

/* The sum on the output scale, offset and clamped. */
static inline int16_t mcu_add_output(int32_t sum, int32_t mult, int32_t shift, int32_t offset, int32_t lo, int32_t hi)
{
    const int32_t out = mcu_rdbpot(mcu_sat_rdhm(sum, mult), -shift) + offset;
    return (int16_t)MCU_CLAMP(out, lo, hi);
}

static inline void mcu_add_sub(const mcu_add_params_t *p, const int16_t *input1, const int16_t *input2,
                               int16_t *output, const int32_t sign)
{
    /* Parameters in locals: stores through int16_t pointers may alias *p, which would force reloads. */
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset, ls = p->left_shift;
    const int32_t m1 = p->input1_multiplier, sh1 = p->input1_shift;
    const int32_t m2 = p->input2_multiplier, sh2 = p->input2_shift;
    const int32_t mo = p->output_multiplier, sho = p->output_shift, zo = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t size = p->size;
#define MCU_ADD_A(x) mcu_add_rescale((x), off1, ls, m1, sh1)
#define MCU_ADD_B(x) (sign * mcu_add_rescale((x), off2, ls, m2, sh2))
#define MCU_ADD_OUT(sum) mcu_add_output((sum), mo, sho, zo, lo, hi)
    const mcu_broadcast_t *bc = &p->bcast;
    if (bc->rank == 0) {
        /* In place safe: element i is read before it is written. */
        for (int32_t i = 0; i < size; i++) {
            output[i] = MCU_ADD_OUT(MCU_ADD_A(input1[i]) + MCU_ADD_B(input2[i]));
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
            const int32_t av = MCU_ADD_A(a[0]);
            for (int32_t i = 0; i < n; i++) {
                output[i] = MCU_ADD_OUT(av + MCU_ADD_B(b[i]));
            }
        } else if (s2 == 0) {
            const int32_t bv = MCU_ADD_B(b[0]);
            for (int32_t i = 0; i < n; i++) {
                output[i] = MCU_ADD_OUT(MCU_ADD_A(a[i]) + bv);
            }
        } else {
            for (int32_t i = 0; i < n; i++) {
                output[i] = MCU_ADD_OUT(MCU_ADD_A(a[i]) + MCU_ADD_B(b[i]));
            }
        }
        output += n;
        mcu_broadcast_next(bc, idx, &o1, &o2);
    }
#undef MCU_ADD_A
#undef MCU_ADD_B
#undef MCU_ADD_OUT
}

void mcu_add_s16(const mcu_add_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    mcu_add_sub(p, input1, input2, output, 1);
}

void mcu_sub_s16(const mcu_add_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    mcu_add_sub(p, input1, input2, output, -1);
}
