/*
 * mcu_hybrid.h - what the hybrid (dynamic-range) kernels share: float32 activations, int8 weights, the
 * float input quantized at run time, as desktop TFLite (LiteRT) does in its reference hybrid kernels.
 *
 * Symmetric (per row or per image): range = max(|min|, |max|) in float; an all-zero range gives all-zero
 * values and scale 1; else scale = range / 127 and each value is round(x * (127 / range)) (float product,
 * rounded half away from zero), clamped to [-127, 127].
 * Asymmetric: rmin = min(0, min), rmax = max(0, max); equal: all zero, scale 1, offset 0; else
 * scale = (rmax - rmin) / 255, the zero point from whichever end has the smaller error, nudged into
 * [-128, 127] and rounded; each value is offset + round(x * (1 / scale)), clamped to [-128, 127]. All in
 * float: LiteRT 2.3 (ai-edge-litert) computes in float (older TFLite sources show double; measured: the
 * double recipe misses LiteRT's scale by an ulp on about 1 row in 8, the float one matches every row; and
 * LiteRT rounds x / scale before adding the zero point: round(offset + x / scale) differs on ties).
 */
#ifndef MCU_HYBRID_H
#define MCU_HYBRID_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

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

/* min and max of n > 0 values; returns 1 when every value is finite (their sum is: NaN, which the
 * comparisons skip, and infinities make it NaN or infinite) */
static inline int32_t mcu_hybrid_min_max(const float *x, int32_t n, float *mn, float *mx)
{
    float lo = x[0], hi = x[0], sum = 0.f;
    for (int32_t i = 0; i < n; i++) {
        const float v = x[i];
        sum += v;
        if (v < lo) {
            lo = v;
        }
        if (hi < v) {
            hi = v;
        }
    }
    *mn = lo;
    *mx = hi;
    return sum - sum == 0.f;
}

/* round half away from zero of a finite float with |v| < 2^22: adding the float just below 0.5 (with v's
 * sign) and truncating is exact there (a sum that reaches the next integer rounds up to it) */
static inline int32_t mcu_hybrid_round_fast(float v)
{
    return (int32_t)(v + (v < 0.f ? -0.49999997f : 0.49999997f));
}

static inline int32_t mcu_hybrid_clamp_i(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

static inline float mcu_hybrid_fabsf(float v)
{
    return v < 0.f ? -v : v;
}

/* The float bits of x[i] as int32 (a well-defined reinterpretation) */
static inline int32_t mcu_hybrid_bits(const float *x, int32_t i)
{
    int32_t b;
    memcpy(&b, x + i, sizeof b);
    return b;
}

static inline float mcu_hybrid_from_bits(int32_t b)
{
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* max |x[i]| of n > 0 values through their bits (|x| orders as the unsigned bits of x without the sign);
 * returns 0 when a value is infinite or NaN (its magnitude bits reach 0x7F800000) */
static inline int32_t mcu_hybrid_max_abs_bits(const float *x, int32_t n, float *range)
{
    uint32_t m = 0;
    int32_t i = 0;
#if defined(__thumb2__) && defined(__GNUC__) && defined(__OPTIMIZE__) /* -O0 lacks the registers */
    uint32_t turns = (uint32_t)n >> 2; /* 4 values a turn: LDM, then BIC, CMP, IT, MOVHI each */
    if (turns) {
        const float *p = x;
        __asm__ volatile("1:\n\t"
                         "ldmia %[p]!, {r4, r5, r6, r8}\n\t"
                         "bic r4, r4, #0x80000000\n\t"
                         "cmp r4, %[m]\n\t"
                         "it hi\n\t"
                         "movhi %[m], r4\n\t"
                         "bic r5, r5, #0x80000000\n\t"
                         "cmp r5, %[m]\n\t"
                         "it hi\n\t"
                         "movhi %[m], r5\n\t"
                         "bic r6, r6, #0x80000000\n\t"
                         "cmp r6, %[m]\n\t"
                         "it hi\n\t"
                         "movhi %[m], r6\n\t"
                         "bic r8, r8, #0x80000000\n\t"
                         "cmp r8, %[m]\n\t"
                         "it hi\n\t"
                         "movhi %[m], r8\n\t"
                         "subs %[t], %[t], #1\n\t"
                         "bne 1b\n\t"
                         : [p] "+r"(p), [m] "+r"(m), [t] "+r"(turns)
                         :
                         : "r4", "r5", "r6", "r8", "cc", "memory");
        i = n & ~3;
    }
#endif
    for (; i < n; i++) {
        const uint32_t a = (uint32_t)mcu_hybrid_bits(x, i) & 0x7FFFFFFFu;
        m = a > m ? a : m;
    }
    *range = mcu_hybrid_from_bits((int32_t)m);
    return m < 0x7F800000u;
}

/* min(0, min x) and max(0, max x) of n > 0 values through their bits: non-negative floats order as their
 * signed bits (negative ones are below 0 there), negative floats as their unsigned bits (positive ones are
 * below 0x80000000 there); returns 0 when a value is infinite or NaN */
static inline int32_t mcu_hybrid_range_bits(const float *x, int32_t n, float *rmin, float *rmax)
{
    int32_t hi = 0;
    uint32_t lo = 0x80000000u;
    int32_t i = 0;
#if defined(__thumb2__) && defined(__GNUC__) && defined(__OPTIMIZE__) /* -O0 lacks the registers */
    uint32_t turns = (uint32_t)n >> 2; /* 4 values a turn: LDM, then a signed and an unsigned max each */
    if (turns) {
        const float *p = x;
#define MCU_HYBRID_RANGE_ONE(R)                                                                         \
    "cmp " R ", %[hi]\n\t"                                                                              \
    "it gt\n\t"                                                                                          \
    "movgt %[hi], " R "\n\t"                                                                            \
    "cmp " R ", %[lo]\n\t"                                                                              \
    "it hi\n\t"                                                                                          \
    "movhi %[lo], " R "\n\t"
        __asm__ volatile("1:\n\t"
                         "ldmia %[p]!, {r4, r5, r6, r8}\n\t"
                         MCU_HYBRID_RANGE_ONE("r4") MCU_HYBRID_RANGE_ONE("r5") MCU_HYBRID_RANGE_ONE("r6")
                         MCU_HYBRID_RANGE_ONE("r8")
                         "subs %[t], %[t], #1\n\t"
                         "bne 1b\n\t"
                         : [p] "+r"(p), [hi] "+r"(hi), [lo] "+r"(lo), [t] "+r"(turns)
                         :
                         : "r4", "r5", "r6", "r8", "cc", "memory");
#undef MCU_HYBRID_RANGE_ONE
        i = n & ~3;
    }
#endif
    for (; i < n; i++) {
        const int32_t b = mcu_hybrid_bits(x, i);
        hi = b > hi ? b : hi;
        lo = (uint32_t)b > lo ? (uint32_t)b : lo;
    }
    *rmax = mcu_hybrid_from_bits(hi);
    *rmin = lo == 0x80000000u ? 0.f : mcu_hybrid_from_bits((int32_t)lo);
    return hi < 0x7F800000 && lo < 0xFF800000u;
}

/* q[i] = clamp(round_half_away(x[i] * inv) + zp, -128, 127) for finite x[i] * inv with |x[i] * inv| < 2^22.
 * With an FPU and SSAT: the product converted to fixed point with one fraction bit (rounding toward zero,
 * exact: t = trunc(2 y)), then round_half_away(y) = (t + 1 - (t < 0)) >> 1 (arithmetic), the zero point
 * added as 2 zp before the shift, SSAT's shift and saturation in one instruction. */
static inline void mcu_hybrid_quantize_run(const float *x, int32_t n, float inv, int32_t zp, int32_t qlo, int8_t *q)
{
#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__thumb2__) && defined(__GNUC__) && defined(__OPTIMIZE__)
    const int32_t k = 1 + 2 * zp;
    (void)qlo; /* qlo is -128 (asymmetric) or -127 (symmetric: |x * inv| <= 127 rounds to at least -127) */
    int32_t i = 0;
    uint32_t turns = (uint32_t)n >> 2; /* 4 values a turn: VLDM, 4 VMUL, 4 VCVT, 2 VMOV, 3 each, 4 STRB */
    if (turns) {
        const float *p = x;
        int8_t *d = q;
#define MCU_HYBRID_Q_ONE(R, OFF)                                                                        \
    "add r10, " R ", %[k]\n\t"                                                                          \
    "sub r10, r10, " R ", lsr #31\n\t"                                                                  \
    "ssat r10, #8, r10, asr #1\n\t"                                                                     \
    "strb r10, [%[d], #" OFF "]\n\t"
        __asm__ volatile("1:\n\t"
                         "vldmia %[p]!, {s0-s3}\n\t"
                         "vmul.f32 s0, s0, %[inv]\n\t"
                         "vmul.f32 s1, s1, %[inv]\n\t"
                         "vmul.f32 s2, s2, %[inv]\n\t"
                         "vmul.f32 s3, s3, %[inv]\n\t"
                         "vcvt.s32.f32 s0, s0, #1\n\t"
                         "vcvt.s32.f32 s1, s1, #1\n\t"
                         "vcvt.s32.f32 s2, s2, #1\n\t"
                         "vcvt.s32.f32 s3, s3, #1\n\t"
                         "vmov r4, r5, s0, s1\n\t"
                         "vmov r6, r8, s2, s3\n\t"
                         MCU_HYBRID_Q_ONE("r4", "0") MCU_HYBRID_Q_ONE("r5", "1") MCU_HYBRID_Q_ONE("r6", "2")
                         MCU_HYBRID_Q_ONE("r8", "3")
                         "adds %[d], %[d], #4\n\t"
                         "subs %[t], %[t], #1\n\t"
                         "bne 1b\n\t"
                         : [p] "+r"(p), [d] "+r"(d), [t] "+r"(turns)
                         : [inv] "t"(inv), [k] "r"(k)
                         : "r4", "r5", "r6", "r8", "r10", "s0", "s1", "s2", "s3", "cc", "memory");
#undef MCU_HYBRID_Q_ONE
        i = n & ~3;
    }
    for (; i < n; i++) {
        float y = x[i] * inv;
        int32_t t, r;
        __asm__("vcvt.s32.f32 %0, %0, #1" : "+t"(y));
        __asm__("vmov %0, %1" : "=r"(t) : "t"(y));
        r = t + k - (int32_t)((uint32_t)t >> 31);
        __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(r));
        q[i] = (int8_t)r;
    }
#else
    for (int32_t i = 0; i < n; i++) {
        q[i] = (int8_t)mcu_hybrid_clamp_i(mcu_hybrid_round_fast(x[i] * inv) + zp, qlo, 127);
    }
#endif
}

/* Symmetric quantization of n > 0 values (TFLite's SymmetricQuantizeFloats); returns the scale, or 0 for
 * an all-zero input (TFLite stores scale 1 there; every product is 0 either way, so callers skip it). */
static inline float mcu_hybrid_quantize_sym(const float *x, int32_t n, int8_t *q)
{
    float range;
    const int32_t finite = mcu_hybrid_max_abs_bits(x, n, &range);
    if (!finite) { /* the comparisons of the reference recipe (NaN skipped) */
        float mn, mx;
        (void)mcu_hybrid_min_max(x, n, &mn, &mx);
        const float a = mcu_hybrid_fabsf(mn), b = mcu_hybrid_fabsf(mx);
        range = a < b ? b : a;
    }
    if (range == 0.f) {
        for (int32_t i = 0; i < n; i++) {
            q[i] = 0;
        }
        return 0.f;
    }
    const float inv = 127.f / range;
    if (finite && inv < 3.0e38f) { /* |x * inv| <= 127 (plus rounding): the fast rounding is exact */
        mcu_hybrid_quantize_run(x, n, inv, 0, -127, q);
    } else {
        for (int32_t i = 0; i < n; i++) {
            q[i] = (int8_t)mcu_hybrid_round_clamp(x[i] * inv, -127, 127);
        }
    }
    return range / 127.f;
}

/* Asymmetric quantization of n > 0 values (TFLite's AsymmetricQuantizeFloats); returns the scale (0 for an
 * all-zero input, as above) and stores the zero point in *offset. */
static inline float mcu_hybrid_quantize_asym(const float *x, int32_t n, int8_t *q, int32_t *offset)
{
    const int32_t qmin = -128, qmax = 127;   /* int8 range of the quantized input */
    float rmin, rmax;
    const int32_t finite = mcu_hybrid_range_bits(x, n, &rmin, &rmax);
    if (!finite) { /* the comparisons of the reference recipe (NaN skipped) */
        float mn, mx;
        (void)mcu_hybrid_min_max(x, n, &mn, &mx);
        rmin = mn < 0.f ? mn : 0.f;
        rmax = mx > 0.f ? mx : 0.f;
    }
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
    /* round(x / scale) first, then the zero point, then the clamp: lo, hi bound the rounded value so that
     * adding the zero point stays in [-128, 127] */
    const int32_t lo = qmin - nudged, hi = qmax - nudged;
    if (finite && inv < 3.0e38f) { /* |x * inv| <= 255 (plus rounding): the fast rounding is exact */
        mcu_hybrid_quantize_run(x, n, inv, nudged, qmin, q);
    } else {
        for (int32_t i = 0; i < n; i++) {
            q[i] = (int8_t)(mcu_hybrid_round_clamp(x[i] * inv, lo, hi) + nudged);
        }
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

/* ---- int8 x int8 products against weights packed as for mcu_fully_connected_s8 (row pairs) ---- */
#define MCU_HYBRID_BLOCK 3 /* row pairs per block of the packed weights */

/* The products of one block's np row pairs with the quantized row q: dots[2k] (unit A), dots[2k+1] (B). */
static inline void mcu_hybrid_block_c(const uint32_t *w, const int8_t *q, int32_t depth, int32_t np, int32_t *dots)
{
    const int32_t groups = (depth + 3) >> 2;
    for (int32_t k = 0; k < np; k++) {
        int32_t a = 0, b = 0;
        for (int32_t g = 0; g < groups; g++) {
            const uint32_t *wg = w + (g * np + k) * 2;
            const int32_t n = depth - 4 * g < 4 ? depth - 4 * g : 4;
            for (int32_t j = 0; j < n; j++) {
                const uint32_t half = wg[j & 1] >> (16 * (j >> 1));
                const int32_t qv = q[4 * g + j];
                a += qv * ((int32_t)(half & 0xFFu) - 128);
                b += qv * ((int32_t)((half >> 8) & 0x7Fu) - (int32_t)((half >> 8) & 0x80u));
            }
        }
        dots[2 * k] = a;
        dots[2 * k + 1] = b;
    }
}

#if defined(__ARM_FEATURE_DSP)

static inline int32_t mcu_hybrid_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

#define MCU_HYBRID_LDRD(a, b, p) \
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(a), "=r"(b), "+r"(p) : "m"(*(const int32_t(*)[2])(p)))

/* s += q * half (= 256 w_B + w_A + 128), t += q * (w_A + 128), over one group of one row pair */
#define MCU_HYBRID_PAIR(w, q0, q1, s, t)               \
    do {                                            \
        int32_t wa, wb;                             \
        MCU_HYBRID_LDRD(wa, wb, w);                    \
        s = __smlad(wa, (q0), s);                   \
        wa = (int32_t)__uxtb16(wa);                 \
        t = __smlad(wa, (q0), t);                   \
        s = __smlad(wb, (q1), s);                   \
        wb = (int32_t)__uxtb16(wb);                 \
        t = __smlad(wb, (q1), t);                   \
    } while (0)

#define MCU_HYBRID_GROUP(raw, w, np)                                                    \
    do {                                                                             \
        const int32_t q0 = __sxtb16((int32_t)(raw)), q1 = mcu_hybrid_sxtb16_ror8(raw);  \
        MCU_HYBRID_PAIR(w, q0, q1, s0, t0);                                             \
        if ((np) >= 2) {                                                             \
            MCU_HYBRID_PAIR(w, q0, q1, s1, t1);                                         \
        }                                                                            \
        if ((np) >= 3) {                                                             \
            MCU_HYBRID_PAIR(w, q0, q1, s2, t2);                                         \
        }                                                                            \
    } while (0)

/* One pass over the (zero-padded, 4-byte aligned) row for np row pairs: t = sum q (w_A + 128),
 * sum q w_B = (S - T) / 256 exactly (the generator's bound), sum q w_A = T - 128 sum q. */
static inline __attribute__((always_inline)) void mcu_hybrid_block(const int32_t *w, const int8_t *q, int32_t groups,
                                                                int32_t qsum, int32_t np, int32_t *dots)
{
    int32_t s0 = 0, t0 = 0, s1 = 0, t1 = 0, s2 = 0, t2 = 0;
    const uint32_t *qw = (const uint32_t *)(const void *)q;
    for (int32_t g = 0; g < groups; g++) {
        const uint32_t raw = qw[g];
        MCU_HYBRID_GROUP(raw, w, np);
    }
    const uint32_t bias_a = (uint32_t)qsum * 128u;
    dots[0] = (int32_t)((uint32_t)t0 - bias_a);
    dots[1] = (int32_t)((uint32_t)s0 - (uint32_t)t0) >> 8;
    if (np >= 2) {
        dots[2] = (int32_t)((uint32_t)t1 - bias_a);
        dots[3] = (int32_t)((uint32_t)s1 - (uint32_t)t1) >> 8;
    }
    if (np >= 3) {
        dots[4] = (int32_t)((uint32_t)t2 - bias_a);
        dots[5] = (int32_t)((uint32_t)s2 - (uint32_t)t2) >> 8;
    }
}

#endif /* __ARM_FEATURE_DSP */

/* The products of one quantized row q (4-byte aligned, zero-filled to a multiple of 4 values; qsum = sum
 * of its values) with every unit of weights packed as for mcu_fully_connected_s8 (pack_fc_weights):
 * dots[u] = sum q w[u] - zp * row_sums[u] (row_sums only read when zp != 0). dots: units + 6 int32. */
static inline void mcu_hybrid_dots(const int32_t *weights, const int8_t *q, int32_t depth, int32_t units,
                                   int32_t single_pass, int32_t qsum, int32_t zp, const int32_t *row_sums,
                                   int32_t *dots)
{
    const int32_t groups = (depth + 3) >> 2;
    const int32_t pairs = (units + 1) >> 1;
    const int32_t *w = weights;
    (void)single_pass;
    (void)qsum;
    for (int32_t pair = 0; pair < pairs; pair += MCU_HYBRID_BLOCK) {
        const int32_t np = pairs - pair < MCU_HYBRID_BLOCK ? pairs - pair : MCU_HYBRID_BLOCK;
        int32_t *d = dots + 2 * pair;
#if defined(__ARM_FEATURE_DSP)
        if (single_pass) {
            if (np == 3) {
                mcu_hybrid_block(w, q, groups, qsum, 3, d);
            } else if (np == 2) {
                mcu_hybrid_block(w, q, groups, qsum, 2, d);
            } else {
                mcu_hybrid_block(w, q, groups, qsum, 1, d);
            }
        } else
#endif
        {
            mcu_hybrid_block_c((const uint32_t *)w, q, depth, np, d);
        }
        w += 2 * np * groups;
    }
    if (zp != 0) {
        for (int32_t u = 0; u < units; u++) {
            dots[u] = (int32_t)((uint32_t)dots[u] - (uint32_t)row_sums[u] * (uint32_t)zp);
        }
    }
}

/* out[u] from dots[u], in LiteRT's float order `order`:
 *   0: bias[u] + (float)dot * (row_scale * w_scale[u])     (FULLY_CONNECTED; CONV_2D with one scale)
 *   1: ((float)dot * w_scale[u]) * row_scale + bias[u]     (CONV_2D per channel)
 * then the activation (clamp = 0: none). bias is never NULL here. */
static inline void mcu_hybrid_outputs(const int32_t *dots, int32_t units, int32_t order, float row_scale,
                                      const float *w_scale, const float *bias, int32_t clamp, float lo,
                                      float hi, float *out)
{
    /* one loop per case: the branches stay out of the per-output work */
    if (order == 0 && clamp) {
        for (int32_t u = 0; u < units; u++) {
            out[u] = mcu_hybrid_activate(bias[u] + (float)dots[u] * (row_scale * w_scale[u]), 1, lo, hi);
        }
    } else if (order == 0) {
        for (int32_t u = 0; u < units; u++) {
            out[u] = bias[u] + (float)dots[u] * (row_scale * w_scale[u]);
        }
    } else if (clamp) {
        for (int32_t u = 0; u < units; u++) {
            out[u] = mcu_hybrid_activate(((float)dots[u] * w_scale[u]) * row_scale + bias[u], 1, lo, hi);
        }
    } else {
        for (int32_t u = 0; u < units; u++) {
            out[u] = ((float)dots[u] * w_scale[u]) * row_scale + bias[u];
        }
    }
}

/* sum of n int8 values */
static inline int32_t mcu_hybrid_sum(const int8_t *q, int32_t n)
{
    int32_t s = 0;
    for (int32_t i = 0; i < n; i++) {
        s += q[i];
    }
    return s;
}

#endif /* MCU_HYBRID_H */
