/*
 * mcu_hybrid.h - what the hybrid (dynamic-range) kernels share: float32 activations, int8 weights, the
 * float input quantized at run time, as desktop TFLite (LiteRT) does in its reference hybrid kernels.
 *
 * Symmetric (per row or per image): range = max(|min|, |max|) in float; an all-zero range gives all-zero
 * values and scale 1; else scale = range / 127 and each value is round(x * (127 / range)) (float product,
 * rounded half away from zero), clamped to [-127, 127].
 * Asymmetric: rmin = min(0, min), rmax = max(0, max); equal: all zero, scale 1, offset 0; else
 * scale = (rmax - rmin) / 255, the zero point from whichever end has the smaller error, nudged into
 * [-128, 127] and rounded; each value is round(offset + x * (1 / scale)), clamped to [-128, 127]. All in
 * float: LiteRT 2.3 (ai-edge-litert) computes in float (older TFLite sources show double; measured: the
 * double recipe misses LiteRT's scale by an ulp on about 1 row in 8, the float one matches every row).
 */
#ifndef MCU_HYBRID_H
#define MCU_HYBRID_H

#include <stdint.h>

/* round half away from zero of a float whose magnitude is far below 2^31, clamped to [lo, hi]
 * (NaN gives lo) */
static inline int32_t mcu_hybrid_round_clamp(float v, int32_t lo, int32_t hi)
{
    if (!(v > (float)lo)) {
        return lo;
    }
    if (v > (float)hi) {
        return hi;
    }
    int32_t t = (int32_t)v;            /* toward zero; |v| <= 128 here */
    const float frac = v - (float)t;   /* exact */
    if (frac >= 0.5f) {
        t += 1;
    } else if (frac <= -0.5f) {
        t -= 1;
    }
    return t < lo ? lo : (t > hi ? hi : t);
}

static inline void mcu_hybrid_min_max(const float *x, int32_t n, float *mn, float *mx)
{
    float lo = x[0], hi = x[0];
    for (int32_t i = 1; i < n; i++) {
        if (x[i] < lo) {
            lo = x[i];
        }
        if (hi < x[i]) {
            hi = x[i];
        }
    }
    *mn = lo;
    *mx = hi;
}

static inline float mcu_hybrid_fabsf(float v)
{
    return v < 0.f ? -v : v;
}

/* Symmetric quantization of n > 0 values (TFLite's SymmetricQuantizeFloats); returns the scale, or 0 for
 * an all-zero input (TFLite stores scale 1 there; every product is 0 either way, so callers skip it). */
static inline float mcu_hybrid_quantize_sym(const float *x, int32_t n, int8_t *q)
{
    float mn, mx;
    mcu_hybrid_min_max(x, n, &mn, &mx);
    const float a = mcu_hybrid_fabsf(mn), b = mcu_hybrid_fabsf(mx);
    const float range = a < b ? b : a;
    if (range == 0.f) {
        for (int32_t i = 0; i < n; i++) {
            q[i] = 0;
        }
        return 0.f;
    }
    const float inv = 127.f / range;
    for (int32_t i = 0; i < n; i++) {
        q[i] = (int8_t)mcu_hybrid_round_clamp(x[i] * inv, -127, 127);
    }
    return range / 127.f;
}

/* Asymmetric quantization of n > 0 values (TFLite's AsymmetricQuantizeFloats); returns the scale (0 for an
 * all-zero input, as above) and stores the zero point in *offset. */
static inline float mcu_hybrid_quantize_asym(const float *x, int32_t n, int8_t *q, int32_t *offset)
{
    const int32_t qmin = -128, qmax = 127;   /* int8 range of the quantized input */
    float mn, mx;
    mcu_hybrid_min_max(x, n, &mn, &mx);
    const float rmin = mn < 0.f ? mn : 0.f;
    const float rmax = mx > 0.f ? mx : 0.f;
    if (rmin == rmax) {
        for (int32_t i = 0; i < n; i++) {
            q[i] = 0;
        }
        *offset = 0;
        return 0.f;
    }
    const float scale = (rmax - rmin) / (float)(qmax - qmin);
    const float lo_q = rmin / scale, hi_q = rmax / scale;
    const float zp_min = (float)qmin - lo_q;
    const float zp_max = (float)qmax - hi_q;
    const float err_min = (float)(-qmin) + mcu_hybrid_fabsf(lo_q);
    const float err_max = (float)qmax + mcu_hybrid_fabsf(hi_q);
    const float zp = err_min < err_max ? zp_min : zp_max;
    int32_t nudged;
    if (zp <= (float)qmin) {
        nudged = qmin;
    } else if (zp >= (float)qmax) {
        nudged = qmax;
    } else {
        nudged = mcu_hybrid_round_clamp(zp, qmin, qmax);
    }
    const float inv = 1.f / scale;
    const float off = (float)nudged;
    for (int32_t i = 0; i < n; i++) {
        q[i] = (int8_t)mcu_hybrid_round_clamp(off + x[i] * inv, qmin, qmax);
    }
    *offset = nudged;
    return scale;
}

/* The fused activation: clamp = 0 (NONE) leaves v as it is; else min(max(v, lo), hi). */
static inline float mcu_hybrid_activate(float v, int32_t clamp, float lo, float hi)
{
    if (!clamp) {
        return v;
    }
    v = (v < lo) ? lo : v;
    return (hi < v) ? hi : v;
}

#endif /* MCU_HYBRID_H */
