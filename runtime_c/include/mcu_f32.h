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

/* std::min(std::max(v, lo), hi) */
static inline float mcu_clamp_f32(float v, float lo, float hi)
{
    v = (v < lo) ? lo : v;
    return (hi < v) ? hi : v;
}

/* Output channels a float CONV_2D / FULLY_CONNECTED pass computes at once (the weights are grouped so). */
#define MCU_F32_GROUP 4

#endif /* MCU_F32_H */
