/* mcu_max_min.c - MAXIMUM and MINIMUM on the stored values, every element type (see mcu_math.h). */
#include "mcu_math.h"

#define MCU_MAX_OF(x, y) ((x) > (y) ? (x) : (y))
#define MCU_MIN_OF(x, y) ((x) < (y) ? (x) : (y))

#define MCU_DEFINE_MAX_MIN(suffix, T, LD, ST)                                                 \
    void mcu_max_min_##suffix(const mcu_math_binary_params_t *p, const T *a, const T *b, T *out) \
    {                                                                                         \
        if (p->op == 0) {                                                                     \
            MCU_MATH_BINARY_LOOP_LS(p, a, b, out, MCU_MAX_OF, LD, ST);                        \
        } else {                                                                              \
            MCU_MATH_BINARY_LOOP_LS(p, a, b, out, MCU_MIN_OF, LD, ST);                        \
        }                                                                                     \
    }

MCU_DEFINE_MAX_MIN(s8, int8_t, MCU_MATH_LD, MCU_MATH_ST)
MCU_DEFINE_MAX_MIN(s16, int16_t, MCU_MATH_LD, MCU_MATH_ST)
MCU_DEFINE_MAX_MIN(s32, int32_t, MCU_MATH_LD, MCU_MATH_ST)
MCU_DEFINE_MAX_MIN(s64, int64_t, MCU_MATH_LD64, MCU_MATH_ST64)
MCU_DEFINE_MAX_MIN(f32, float, MCU_MATH_LD, MCU_MATH_ST)
