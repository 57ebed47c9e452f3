/* mcu_add_impl.h - the body of ADD and SUB for one element type, with broadcasting
 * (see mcu_elementwise.h). Included by mcu_add_s8.c and mcu_add_s16.c after they
 * define:
 *   MCU_ADD_T    the element type (int8_t, int16_t)
 *   MCU_ADD_FN   the ADD function's name
 *   MCU_SUB_FN   the SUB function's name
 * The clamp range comes from the parameters (act_min, act_max), so the body needs
 * no type range: |q - zp| <= 65535 for int16, and (q - zp) * 2^left_shift fits in
 * an int32 for both types (left shift 20 for int8, 15 for int16).
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
static inline MCU_ADD_T mcu_add_output(int32_t sum, int32_t mult, int32_t shift, int32_t offset, int32_t lo, int32_t hi)
{
    const int32_t out = mcu_rdbpot(mcu_sat_rdhm(sum, mult), -shift) + offset;
    return (MCU_ADD_T)MCU_CLAMP(out, lo, hi);
}

static inline void mcu_add_sub(const mcu_add_params_t *p, const MCU_ADD_T *input1, const MCU_ADD_T *input2,
                               MCU_ADD_T *output, const int32_t sign)
{
    /* Parameters in locals: stores through the output pointer may alias *p, which would force reloads. */
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset, ls = p->left_shift;
    const int32_t m1 = p->input1_multiplier, sh1 = p->input1_shift;
    const int32_t m2 = p->input2_multiplier, sh2 = p->input2_shift;
    const int32_t mo = p->output_multiplier, sho = p->output_shift, zo = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t size = p->size;
    const mcu_broadcast_t *bc = &p->bcast;
#define MCU_ADD_A(x) mcu_add_rescale((x), off1, ls, m1, sh1)
#define MCU_ADD_B(x) (sign * mcu_add_rescale((x), off2, ls, m2, sh2))
#define MCU_ADD_OUT(a, b) mcu_add_output((a) + (b), mo, sho, zo, lo, hi)
    if (bc->rank == 0) {  /* in place safe: element i is read before it is written */
        MCU_FLAT_LOOP(size, input1, input2, output, MCU_ADD_A, MCU_ADD_B, MCU_ADD_OUT);
        return;
    }
    MCU_BROADCAST_LOOP(MCU_ADD_T, MCU_ADD_T, bc, size, input1, input2, output, MCU_ADD_A, MCU_ADD_B, MCU_ADD_OUT);
#undef MCU_ADD_A
#undef MCU_ADD_B
#undef MCU_ADD_OUT
}

void MCU_ADD_FN(const mcu_add_params_t *p, const MCU_ADD_T *input1, const MCU_ADD_T *input2, MCU_ADD_T *output)
{
    mcu_add_sub(p, input1, input2, output, 1);
}

void MCU_SUB_FN(const mcu_add_params_t *p, const MCU_ADD_T *input1, const MCU_ADD_T *input2, MCU_ADD_T *output)
{
    mcu_add_sub(p, input1, input2, output, -1);
}
