/*
 * mcu_fixedpoint.h - integer arithmetic shared by the int8/int16 kernels.
 *
 * These follow the gemmlowp/TFLM definitions exactly, because bit-exactness
 * with TensorFlow Lite for Microcontrollers depends on every rounding step:
 *   - mcu_sat_rdhm:   high 32 bits of 2*a*b, rounded half up (nudge 2^30 or 1-2^30),
 *                     saturating only for INT32_MIN * INT32_MIN;
 *   - mcu_rdbpot:     x / 2^e rounded half away from zero;
 *   - mcu_requantize: TFLM's default "double rounding" MultiplyByQuantizedMultiplier.
 * Shifts of negative values are arithmetic (true on every compiler mcugen targets).
 */
#ifndef MCU_FIXEDPOINT_H
#define MCU_FIXEDPOINT_H

#include <stdint.h>

#define MCU_MAX(a, b) ((a) > (b) ? (a) : (b))
#define MCU_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MCU_CLAMP(x, lo, hi) MCU_MIN(MCU_MAX((x), (lo)), (hi))

static inline int32_t mcu_sat_rdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static inline int32_t mcu_rdbpot(int32_t x, int32_t e)
{
    int32_t mask = (int32_t)(((uint32_t)1 << e) - 1u);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* x * M * 2^shift with M a Q31 multiplier in [2^30, 2^31); shift may be negative. */
static inline int32_t mcu_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    int32_t scaled = (int32_t)((uint32_t)x << left);
    return mcu_rdbpot(mcu_sat_rdhm(scaled, multiplier), right);
}

/* (a * b + 2^31) / 2^32 rounded down, plus c: the SMMLAR instruction where the DSP extension has it. */
static inline int32_t mcu_smmlar(int32_t a, int32_t b, int32_t c)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
#else
    return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32) + c;
#endif
}

/* (a * b + 2^31) >> 32 (SMMULR): mcu_smmlar without an accumulator register. */
static inline int32_t mcu_smmulr(int32_t a, int32_t b)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
#else
    return mcu_smmlar(a, b, 0);
#endif
}

#endif /* MCU_FIXEDPOINT_H */
