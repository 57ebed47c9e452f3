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

/* Cores whose only multiply is 32 x 32 -> 32 (Thumb-1 only: Armv6-M, Armv8-M Baseline): a 64-bit product is a
 * call to __aeabi_lmul there, so the rounded high word below is built from 16-bit halves instead.
 * MCU_FORCE_MUL16 selects that form on any compiler (the tests check it against the 64-bit one). */
#if (defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1 && !defined(__ARM_FEATURE_DSP)) \
    || defined(MCU_FORCE_MUL16)
#define MCU_MUL16 1
#endif

/* floor((a * b + 2^31) / 2^32) exactly, from four 16 x 16 -> 32 products (a = ah 2^16 + al, al unsigned):
 * a * b = ah bh 2^32 + (ah bl + al bh) 2^16 + al bl, and the two middle products' low halves, the high half
 * of al bl and the rounding 2^15 (in units of 2^16) carry into the high word together. */
static inline int32_t mcu_mulhi_round16(int32_t a, int32_t b)
{
    const uint32_t al = (uint32_t)a & 0xFFFFu, bl = (uint32_t)b & 0xFFFFu;
    const int32_t ah = a >> 16, bh = b >> 16;
    const int32_t p1 = ah * (int32_t)bl, p2 = (int32_t)al * bh;
    const uint32_t mid = ((uint32_t)p1 & 0xFFFFu) + ((uint32_t)p2 & 0xFFFFu) + ((al * bl) >> 16) + 0x8000u;
    return ah * bh + (p1 >> 16) + (p2 >> 16) + (int32_t)(mid >> 16);
}

/* (a * b + 2^31) / 2^32 rounded down, plus c: the SMMLAR instruction where the DSP extension has it. */
static inline int32_t mcu_smmlar(int32_t a, int32_t b, int32_t c)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
#elif defined(MCU_MUL16)
    return (int32_t)((uint32_t)mcu_mulhi_round16(a, b) + (uint32_t)c);
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

#if defined(__ARM_FEATURE_DSP)
/* The DSP extension's packing instructions that ACLE lacks, for the kernels' C around their assembly. */
/* SXTB16 with ROR #8: bytes 1 and 3 of x, sign-extended into the low and high halves. */
static inline int32_t mcu_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* PKHBT: the low halves of a and b, as (a[15:0], b[15:0]) (low half first). */
static inline uint32_t mcu_pkhbt(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* PKHTB: the high halves of a and b, as (a[31:16], b[31:16]) (low half first). */
static inline uint32_t mcu_pkhtb(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
    return r;
}
#endif

#endif /* MCU_FIXEDPOINT_H */
