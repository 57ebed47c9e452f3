/* mcu_compare_s8.c - EQUAL ... GREATER_EQUAL on rescaled int8 values (see mcu_math.h). */
#include "mcu_math.h"
#include "mcu_fixedpoint.h"

/* TFLM *WithScaling: ((q - zp) * 2^left_shift) times the input's Q31 multiplier, rounded right shift. */
static inline int32_t mcu_cmp_rescale(int32_t q, int32_t offset, int32_t left_shift, int32_t mult, int32_t shift)
{
    const int32_t shifted = (q + offset) * ((int32_t)1 << left_shift);
    return mcu_rdbpot(mcu_sat_rdhm(shifted, mult), -shift);
}

void mcu_compare_s8(const mcu_compare_params_t *p, const int8_t *a, const int8_t *b, uint8_t *out)
{
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset, ls = p->left_shift;
    const int32_t m1 = p->input1_multiplier, sh1 = p->input1_shift;
    const int32_t m2 = p->input2_multiplier, sh2 = p->input2_shift;
#define MCU_V1(x) mcu_cmp_rescale((x), off1, ls, m1, sh1)
#define MCU_V2(y) mcu_cmp_rescale((y), off2, ls, m2, sh2)
#define MCU_SEQ(x, y) ((uint8_t)(MCU_V1(x) == MCU_V2(y)))
#define MCU_SNE(x, y) ((uint8_t)(MCU_V1(x) != MCU_V2(y)))
#define MCU_SLT(x, y) ((uint8_t)(MCU_V1(x) < MCU_V2(y)))
#define MCU_SLE(x, y) ((uint8_t)(MCU_V1(x) <= MCU_V2(y)))
#define MCU_SGT(x, y) ((uint8_t)(MCU_V1(x) > MCU_V2(y)))
#define MCU_SGE(x, y) ((uint8_t)(MCU_V1(x) >= MCU_V2(y)))
    switch (p->op) {
    case MCU_CMP_EQ: MCU_MATH_BINARY_LOOP(p, a, b, out, MCU_SEQ); break;
    case MCU_CMP_NE: MCU_MATH_BINARY_LOOP(p, a, b, out, MCU_SNE); break;
    case MCU_CMP_LT: MCU_MATH_BINARY_LOOP(p, a, b, out, MCU_SLT); break;
    case MCU_CMP_LE: MCU_MATH_BINARY_LOOP(p, a, b, out, MCU_SLE); break;
    case MCU_CMP_GT: MCU_MATH_BINARY_LOOP(p, a, b, out, MCU_SGT); break;
    default: MCU_MATH_BINARY_LOOP(p, a, b, out, MCU_SGE); break;
    }
#undef MCU_V1
#undef MCU_V2
#undef MCU_SEQ
#undef MCU_SNE
#undef MCU_SLT
#undef MCU_SLE
#undef MCU_SGT
#undef MCU_SGE
}
