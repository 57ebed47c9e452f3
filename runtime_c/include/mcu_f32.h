/*
 * mcu_f32.h - what the float32 kernels share.
 *
 * The float kernels follow TFLM's reference float kernels operation for operation: every output sums its
 * products in TFLM's order into one float accumulator (no reassociation, no fused multiply-add: the
 * projects build in ISO C mode, where gcc does not contract a * b + c), adds the bias after the sum, and
 * clamps like TFLM's ActivationFunctionWithMinMax: min(max(v, act_min), act_max) with std::max/std::min's
 * comparisons, so NaN passes through and +-infinity is clamped to +-FLT_MAX under activation NONE.
 */
#ifndef MCU_F32_H
#define MCU_F32_H

#include <stdint.h>

/* std::min(std::max(v, lo), hi) */
static inline float mcu_clamp_f32(float v, float lo, float hi)
{
    v = (v < lo) ? lo : v;
    return (hi < v) ? hi : v;
}

/* Output channels a float CONV_2D / FULLY_CONNECTED pass computes at once (the weights are grouped so). */
#define MCU_F32_GROUP 8

/* acc[k] += x[i] * w[8 i + k] for i = 0 .. n-1 in order, k = 0 .. 7: each product rounded, then added.
 * With a single-precision FPU, VLDM loads the eight weights at once and VMLA (the chained multiply-add of
 * the Armv7-M / Armv8-M FPU: the product is rounded before the add, unlike VFMA) accumulates: the same
 * bits as the plain C's separate multiply and add. */
static inline void mcu_f32_dot8(const float *x, const float *w, int32_t n, float *acc)
{
#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__thumb2__)
    /* eight inputs a turn (one VLDM), each against its eight weights; then the rest one by one */
#define MCU_F32_MLA8(X)                                                                                 \
    "vldmia %[w]!, {s8-s15}\n"                                                                          \
    "vmla.f32 s0, " X ", s8\n"                                                                          \
    "vmla.f32 s1, " X ", s9\n"                                                                          \
    "vmla.f32 s2, " X ", s10\n"                                                                         \
    "vmla.f32 s3, " X ", s11\n"                                                                         \
    "vmla.f32 s4, " X ", s12\n"                                                                         \
    "vmla.f32 s5, " X ", s13\n"                                                                         \
    "vmla.f32 s6, " X ", s14\n"                                                                         \
    "vmla.f32 s7, " X ", s15\n"
    if (n > 0) {
        uint32_t turns = (uint32_t)n >> 3, rest = (uint32_t)n & 7u;
        __asm__ volatile(
            "vldmia %[acc], {s0-s7}\n"
            "cmp %[t], #0\n"
            "beq 2f\n"
            "1:\n"
            "vldmia %[x]!, {s16-s23}\n"
            MCU_F32_MLA8("s16") MCU_F32_MLA8("s17") MCU_F32_MLA8("s18") MCU_F32_MLA8("s19")
            MCU_F32_MLA8("s20") MCU_F32_MLA8("s21") MCU_F32_MLA8("s22") MCU_F32_MLA8("s23")
            "subs %[t], %[t], #1\n"
            "bne 1b\n"
            "2:\n"
            "cmp %[r], #0\n"
            "beq 4f\n"
            "3:\n"
            "vldmia %[x]!, {s16}\n"
            MCU_F32_MLA8("s16")
            "subs %[r], %[r], #1\n"
            "bne 3b\n"
            "4:\n"
            "vstmia %[acc], {s0-s7}\n"
            : [x] "+r"(x), [w] "+r"(w), [t] "+r"(turns), [r] "+r"(rest)
            : [acc] "r"(acc)
            : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
              "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "memory", "cc");
    }
#undef MCU_F32_MLA8
#else
    float a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
    for (int32_t i = 0; i < n; i++, w += 8) {
        const float v = x[i];
        a0 += v * w[0];
        a1 += v * w[1];
        a2 += v * w[2];
        a3 += v * w[3];
        a4 += v * w[4];
        a5 += v * w[5];
        a6 += v * w[6];
        a7 += v * w[7];
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
#endif
}

/* out[k] = clamp(acc[k] + bias[k], lo, hi) for k = 0 .. 7 (TFLM's order and clamp; bias NULL: + 0). With a
 * single-precision FPU in assembly: VLDM, 8 VADD, the clamp (VCMP, VMRS, IT, VMOV), VSTM; where an end of
 * the range is infinite (-FLT_MAX, FLT_MAX: only infinities reach them) and the 8 values are finite (their
 * sum is), that end's compares are skipped. */
static inline void mcu_f32_finish8(const float *acc, const float *bias, float lo, float hi, float *out)
{
#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__thumb2__)
    static const float zeros[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    const uint32_t mode = (lo == -3.40282347e+38f ? 1u : 0u) | (hi == 3.40282347e+38f ? 2u : 0u);
#define MCU_F32_ADD(I, B) "vadd.f32 s" I ", s" I ", s" B "\n"
#define MCU_F32_LO(I) "vcmp.f32 s" I ", %[lo]\nvmrs APSR_nzcv, fpscr\nit mi\nvmovmi.f32 s" I ", %[lo]\n"
#define MCU_F32_HI(I) "vcmp.f32 s" I ", %[hi]\nvmrs APSR_nzcv, fpscr\nit gt\nvmovgt.f32 s" I ", %[hi]\n"
    uint32_t m = mode;
    __asm__ volatile(
        "vldmia %[acc], {s0-s7}\n"
        "vldmia %[b], {s8-s15}\n"
        MCU_F32_ADD("0", "8") MCU_F32_ADD("1", "9") MCU_F32_ADD("2", "10") MCU_F32_ADD("3", "11")
        MCU_F32_ADD("4", "12") MCU_F32_ADD("5", "13") MCU_F32_ADD("6", "14") MCU_F32_ADD("7", "15")
        "cmp %[m], #0\n"
        "beq 1f\n"
        "vadd.f32 s8, s0, s1\n"
        "vadd.f32 s8, s8, s2\n"
        "vadd.f32 s8, s8, s3\n"
        "vadd.f32 s8, s8, s4\n"
        "vadd.f32 s8, s8, s5\n"
        "vadd.f32 s8, s8, s6\n"
        "vadd.f32 s8, s8, s7\n"
        "vsub.f32 s8, s8, s8\n"
        "vcmp.f32 s8, #0\n"
        "vmrs APSR_nzcv, fpscr\n"
        "it ne\n"
        "movne %[m], #0\n"
        "1:\n"
        "tst %[m], #1\n"
        "bne 2f\n"
        MCU_F32_LO("0") MCU_F32_LO("1") MCU_F32_LO("2") MCU_F32_LO("3")
        MCU_F32_LO("4") MCU_F32_LO("5") MCU_F32_LO("6") MCU_F32_LO("7")
        "2:\n"
        "tst %[m], #2\n"
        "bne 3f\n"
        MCU_F32_HI("0") MCU_F32_HI("1") MCU_F32_HI("2") MCU_F32_HI("3")
        MCU_F32_HI("4") MCU_F32_HI("5") MCU_F32_HI("6") MCU_F32_HI("7")
        "3:\n"
        "vstmia %[out], {s0-s7}\n"
        : [m] "+r"(m)
        : [acc] "r"(acc), [b] "r"(bias ? bias : zeros), [lo] "t"(lo), [hi] "t"(hi), [out] "r"(out)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
          "memory", "cc");
#undef MCU_F32_ADD
#undef MCU_F32_LO
#undef MCU_F32_HI
#else
    for (int32_t k = 0; k < 8; k++) {
        out[k] = mcu_clamp_f32(acc[k] + (bias ? bias[k] : 0.f), lo, hi);
    }
#endif
}

#endif /* MCU_F32_H */
