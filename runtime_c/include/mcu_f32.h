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
    if (n > 0) {
        __asm__ volatile(
            "vldmia %[acc], {s0-s7}\n"
            "1:\n"
            "vldmia %[x]!, {s16}\n"
            "vldmia %[w]!, {s8-s15}\n"
            "vmla.f32 s0, s16, s8\n"
            "vmla.f32 s1, s16, s9\n"
            "vmla.f32 s2, s16, s10\n"
            "vmla.f32 s3, s16, s11\n"
            "vmla.f32 s4, s16, s12\n"
            "vmla.f32 s5, s16, s13\n"
            "vmla.f32 s6, s16, s14\n"
            "vmla.f32 s7, s16, s15\n"
            "subs %[n], %[n], #1\n"
            "bne 1b\n"
            "vstmia %[acc], {s0-s7}\n"
            : [x] "+r"(x), [w] "+r"(w), [n] "+r"(n)
            : [acc] "r"(acc)
            : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15", "s16", "memory", "cc");
    }
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

#endif /* MCU_F32_H */
