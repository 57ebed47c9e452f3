/* mcu_mul_impl.h - the body of MUL for one element type, with broadcasting (see
 * mcu_elementwise.h). Included by mcu_mul_s8.c and mcu_mul_s16.c after they define:
 *   MCU_MUL_T    the element type (int8_t, int16_t)
 *   MCU_MUL_FN   the function's name
 * The clamp range comes from the parameters (act_min, act_max). The product of two
 * offset inputs fits in an int32 for both types (int16 zero points are 0, so
 * |product| <= 2^30). */
#include "mcu_elementwise.h"
#include "mcu_fixedpoint.h"

/* prod = (a - za) * (b - zb) on the output scale, offset and clamped. The offset
 * is added through uint32_t: it wraps like TFLM's int32 add would in the
 * (unrealistic) case of a multiplier large enough to saturate. */
static inline MCU_MUL_T mcu_mul_output(int32_t prod, int32_t mult, int32_t shift, int32_t offset, int32_t lo, int32_t hi)
{
    const int32_t scaled = mcu_requantize(prod, mult, shift);
    const int32_t out = (int32_t)((uint32_t)scaled + (uint32_t)offset);
    return (MCU_MUL_T)MCU_CLAMP(out, lo, hi);
}

void MCU_MUL_FN(const mcu_mul_params_t *p, const MCU_MUL_T *input1, const MCU_MUL_T *input2, MCU_MUL_T *output)
{
    /* Parameters in locals: stores through the output pointer may alias *p, which would force reloads. */
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset;
    const int32_t mo = p->output_multiplier, sho = p->output_shift, zo = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t size = p->size;
    const mcu_broadcast_t *bc = &p->bcast;
#define MCU_MUL_A(x) ((x) + off1)
#define MCU_MUL_B(x) ((x) + off2)
#define MCU_MUL_OUT(a, b) mcu_mul_output((a) * (b), mo, sho, zo, lo, hi)
    if (bc->rank == 0) {  /* in place safe: element i is read before it is written */
        MCU_FLAT_LOOP(size, input1, input2, output, MCU_MUL_A, MCU_MUL_B, MCU_MUL_OUT);
        return;
    }
    MCU_BROADCAST_LOOP(MCU_MUL_T, MCU_MUL_T, bc, size, input1, input2, output, MCU_MUL_A, MCU_MUL_B, MCU_MUL_OUT);
#undef MCU_MUL_A
#undef MCU_MUL_B
#undef MCU_MUL_OUT
}
