/* mcu_squared_difference_s8.c - SQUARED_DIFFERENCE, int8 and int16 (quantized), int32 and float32 (raw);
 * see mcu_math.h. */
#include "mcu_math.h"
#include "mcu_fixedpoint.h"

/* TFLM's quantized SquaredDifference on one pair (a, b) of stored values. */
static inline int32_t mcu_sqdiff_q(const mcu_squared_difference_params_t *p, int32_t a, int32_t b)
{
    const int32_t ls = (int32_t)1 << p->left_shift;
    const int32_t x = mcu_rdbpot(mcu_sat_rdhm((a + p->input1_offset) * ls, p->input1_multiplier), -p->input1_shift);
    const int32_t y = mcu_rdbpot(mcu_sat_rdhm((b + p->input2_offset) * ls, p->input2_multiplier), -p->input2_shift);
    const int32_t d = x - y;  /* |d| < 2^15.5: d * d fits */
    const int32_t scaled = mcu_requantize(d * d, p->output_multiplier, p->output_shift);
    const int32_t v = (int32_t)((uint32_t)scaled + (uint32_t)p->output_offset);
    return MCU_CLAMP(v, p->act_min, p->act_max);
}

void mcu_squared_difference_s8(const mcu_squared_difference_params_t *p, const int8_t *a, const int8_t *b, int8_t *out)
{
#define MCU_SQD8(x, y) ((int8_t)mcu_sqdiff_q(p, (x), (y)))
    MCU_MATH_BINARY_LOOP(p, a, b, out, MCU_SQD8);
#undef MCU_SQD8
}

void mcu_squared_difference_s16(const mcu_squared_difference_params_t *p, const int16_t *a, const int16_t *b,
                                int16_t *out)
{
#define MCU_SQD16(x, y) ((int16_t)mcu_sqdiff_q(p, (x), (y)))
    MCU_MATH_BINARY_LOOP(p, a, b, out, MCU_SQD16);
#undef MCU_SQD16
}

/* int32: (a - b)^2 modulo 2^32, as TFLM's int32 arithmetic wraps. */
static inline int32_t mcu_sqdiff_s32(int32_t a, int32_t b)
{
    const uint32_t d = (uint32_t)a - (uint32_t)b;
    return (int32_t)(d * d);
}

void mcu_squared_difference_s32(const mcu_math_binary_params_t *p, const int32_t *a, const int32_t *b, int32_t *out)
{
    MCU_MATH_BINARY_LOOP(p, a, b, out, mcu_sqdiff_s32);
}

static inline float mcu_sqdiff_f32(float a, float b)
{
    const float d = a - b;
    return d * d;
}

void mcu_squared_difference_f32(const mcu_math_binary_params_t *p, const float *a, const float *b, float *out)
{
    MCU_MATH_BINARY_LOOP(p, a, b, out, mcu_sqdiff_f32);
}
