/* mcu_arg_max.c - ARG_MAX and ARG_MIN, int8 and float32 inputs, int32 indices (see mcu_math.h). */
#include "mcu_math.h"

#define MCU_DEFINE_ARG_MAX(suffix, T)                                                    \
    void mcu_arg_max_##suffix(const mcu_arg_max_params_t *p, const T *input, int32_t *output) \
    {                                                                                    \
        const int32_t inner = p->inner, n = p->axis;                                     \
        for (int32_t o = 0; o < p->outer; o++) {                                         \
            const T *base = input + o * n * inner;                                       \
            for (int32_t j = 0; j < inner; j++) {                                        \
                T best = base[j];                                                        \
                int32_t at = 0;                                                          \
                for (int32_t i = 1; i < n; i++) {                                        \
                    const T v = base[i * inner + j];                                     \
                    if (p->is_min ? (v < best) : (v > best)) {                           \
                        best = v;                                                        \
                        at = i;                                                          \
                    }                                                                    \
                }                                                                        \
                output[o * inner + j] = at;                                              \
            }                                                                            \
        }                                                                                \
    }

MCU_DEFINE_ARG_MAX(s8, int8_t)
MCU_DEFINE_ARG_MAX(f32, float)
