/* mcu_compare.c - EQUAL ... GREATER_EQUAL on raw int32, int64, float32 and bool values (see mcu_math.h). */
#include "mcu_math.h"

#define MCU_EQ(x, y) ((uint8_t)((x) == (y)))
#define MCU_NE(x, y) ((uint8_t)((x) != (y)))
#define MCU_LT(x, y) ((uint8_t)((x) < (y)))
#define MCU_LE(x, y) ((uint8_t)((x) <= (y)))
#define MCU_GT(x, y) ((uint8_t)((x) > (y)))
#define MCU_GE(x, y) ((uint8_t)((x) >= (y)))

#define MCU_DEFINE_COMPARE(suffix, T, LD)                                                           \
    void mcu_compare_##suffix(const mcu_math_binary_params_t *p, const T *a, const T *b, uint8_t *out) \
    {                                                                                             \
        switch (p->op) {                                                                          \
        case MCU_CMP_EQ: MCU_MATH_BINARY_LOOP_LS(p, a, b, out, MCU_EQ, LD, MCU_MATH_ST); break;                     \
        case MCU_CMP_NE: MCU_MATH_BINARY_LOOP_LS(p, a, b, out, MCU_NE, LD, MCU_MATH_ST); break;                     \
        case MCU_CMP_LT: MCU_MATH_BINARY_LOOP_LS(p, a, b, out, MCU_LT, LD, MCU_MATH_ST); break;                     \
        case MCU_CMP_LE: MCU_MATH_BINARY_LOOP_LS(p, a, b, out, MCU_LE, LD, MCU_MATH_ST); break;                     \
        case MCU_CMP_GT: MCU_MATH_BINARY_LOOP_LS(p, a, b, out, MCU_GT, LD, MCU_MATH_ST); break;                     \
        default: MCU_MATH_BINARY_LOOP_LS(p, a, b, out, MCU_GE, LD, MCU_MATH_ST); break;                             \
        }                                                                                         \
    }

MCU_DEFINE_COMPARE(s32, int32_t, MCU_MATH_LD)
MCU_DEFINE_COMPARE(s64, int64_t, MCU_MATH_LD64)
MCU_DEFINE_COMPARE(f32, float, MCU_MATH_LD)
/* bool: a byte 0 or 1; TFLM compares the bool values, which equal the bytes for valid tensors */
MCU_DEFINE_COMPARE(b8, uint8_t, MCU_MATH_LD)
