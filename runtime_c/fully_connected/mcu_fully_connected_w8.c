/* mcu_fully_connected_w8.c - FULLY_CONNECTED with float32 activations and int8 weights kept int8
 * (weight-only; see mcu_weight_only.h for both paths and their layouts). */
#include <stddef.h>
#include <string.h>

#include "mcu_weight_only.h"
#include "mcu_f32.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* acc[k] = sum x[i] * (s[k] * (float)w[8 i + k]) for i = 0 .. n-1 in order: each weight dequantized to the
 * float the converter's DEQUANTIZE makes, then the float kernel's products and sums (its bits) */
static void mcu_fc_w8_dot8(const float *x, const int8_t *w, int32_t n, const float *s, float *acc)
{
    const float s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3], s4 = s[4], s5 = s[5], s6 = s[6], s7 = s[7];
    float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f, a4 = 0.f, a5 = 0.f, a6 = 0.f, a7 = 0.f;
    for (int32_t i = 0; i < n; i++, w += 8) {
        const float v = x[i];
        a0 += v * (s0 * (float)w[0]);
        a1 += v * (s1 * (float)w[1]);
        a2 += v * (s2 * (float)w[2]);
        a3 += v * (s3 * (float)w[3]);
        a4 += v * (s4 * (float)w[4]);
        a5 += v * (s5 * (float)w[5]);
        a6 += v * (s6 * (float)w[6]);
        a7 += v * (s7 * (float)w[7]);
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
}

/* the same with zero points: x[i] * (s[k] * (float)(w - zp[k])) */
static void mcu_fc_w8_dot8_zp(const float *x, const int8_t *w, int32_t n, const float *s, const int32_t *z,
                              float *acc)
{
    for (int32_t k = 0; k < MCU_F32_GROUP; k++) acc[k] = 0.f;
    for (int32_t i = 0; i < n; i++, w += 8) {
        const float v = x[i];
        for (int32_t k = 0; k < MCU_F32_GROUP; k++) acc[k] += v * (s[k] * (float)((int32_t)w[k] - z[k]));
    }
}

static void mcu_fc_w8_float_row(const mcu_fc_w8_params_t *p, const float *x, float *out)
{
    const int32_t depth = p->depth, units = p->units;
    const int32_t groups = (units + MCU_F32_GROUP - 1) / MCU_F32_GROUP;
    const int8_t *wp = p->weights;
    for (int32_t g = 0; g < groups; g++, wp += (size_t)depth * MCU_F32_GROUP) {
        float acc[MCU_F32_GROUP], s[MCU_F32_GROUP] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
        int32_t z[MCU_F32_GROUP] = {0, 0, 0, 0, 0, 0, 0, 0};
        const int32_t u = g * MCU_F32_GROUP;
        const int32_t n = units - u < MCU_F32_GROUP ? units - u : MCU_F32_GROUP;
        for (int32_t k = 0; k < n; k++) {
            s[k] = p->scale[u + k];
            if (p->zero_point) z[k] = p->zero_point[u + k];
        }
        if (p->zero_point)
            mcu_fc_w8_dot8_zp(x, wp, depth, s, z, acc);
        else
            mcu_fc_w8_dot8(x, wp, depth, s, acc);
        for (int32_t k = 0; k < n; k++) {
            const float bias = p->bias ? p->bias[u + k] : 0.f;
            out[u + k] = mcu_clamp_f32(acc[k] + bias, p->act_min, p->act_max);
        }
    }
}

/* ---- the fixed-point path (fixed == 1) ------------------------------------------------------------ */

#define MCU_FC_W8_CHUNK 255 /* groups of 4 per exact int32 pass: 1020 * (2^14 - 1) * 128 < 2^31 */

static inline uint32_t mcu_fc_w8_pair(int32_t lo, int32_t hi) /* two int16 in one word, lo first */
{
    return ((uint32_t)lo & 0xFFFFu) | (((uint32_t)hi & 0xFFFFu) << 16);
}

/* acc[0..3] += (H, L) of units a and b over n groups: x = {H02, H13, L02, L13} per group, w = {a, b} per group */
static inline void mcu_fc_w8_fixed_pair(const uint32_t *x, const int32_t *w, int32_t n, int32_t *acc)
{
    int32_t h0 = 0, l0 = 0, h1 = 0, l1 = 0;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__)
    if (n > 0) {
        uint32_t x0, x1, w0, w1, a0, a1;
        __asm__ volatile(
            "1:\n\t"
            "ldrd %[w0], %[w1], [%[w]], #8\n\t"
            "ldrd %[x0], %[x1], [%[x]], #8\n\t"
            "sxtb16 %[a0], %[w0]\n\t"
            "sxtb16 %[w0], %[w0], ror #8\n\t"
            "sxtb16 %[a1], %[w1]\n\t"
            "sxtb16 %[w1], %[w1], ror #8\n\t"
            "smlad %[h0], %[x0], %[a0], %[h0]\n\t"
            "smlad %[h0], %[x1], %[w0], %[h0]\n\t"
            "smlad %[h1], %[x0], %[a1], %[h1]\n\t"
            "smlad %[h1], %[x1], %[w1], %[h1]\n\t"
            "ldrd %[x0], %[x1], [%[x]], #8\n\t"
            "smlad %[l0], %[x0], %[a0], %[l0]\n\t"
            "smlad %[l0], %[x1], %[w0], %[l0]\n\t"
            "smlad %[l1], %[x0], %[a1], %[l1]\n\t"
            "smlad %[l1], %[x1], %[w1], %[l1]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b\n\t"
            : [x] "+r"(x), [w] "+r"(w), [n] "+r"(n), [h0] "+r"(h0), [l0] "+r"(l0), [h1] "+r"(h1), [l1] "+r"(l1),
              [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), [w1] "=&r"(w1), [a0] "=&r"(a0), [a1] "=&r"(a1)
            :
            : "memory", "cc");
    }
#else
    for (int32_t g = 0; g < n; g++, x += 4, w += 2) {
        for (int32_t k = 0; k < 2; k++) {
            const uint32_t word = (uint32_t)w[k];
            int32_t q[4], hx[4], lx[4];
            for (int32_t j = 0; j < 4; j++) {
                const int32_t b = (int32_t)((word >> (8 * j)) & 0xFFu);
                q[j] = b >= 128 ? b - 256 : b;
            }
            /* x[0] = (hi0, hi2), x[1] = (hi1, hi3), x[2] = (lo0, lo2), x[3] = (lo1, lo3) */
            for (int32_t j = 0; j < 2; j++) {
                hx[2 * j] = (int16_t)(x[j] & 0xFFFFu);
                hx[2 * j + 1] = (int16_t)(x[j] >> 16);
                lx[2 * j] = (int16_t)(x[2 + j] & 0xFFFFu);
                lx[2 * j + 1] = (int16_t)(x[2 + j] >> 16);
            }
            /* hx = {hi0, hi2, hi1, hi3}; q order 0, 2, 1, 3 alike */
            const int32_t h = hx[0] * q[0] + hx[1] * q[2] + hx[2] * q[1] + hx[3] * q[3];
            const int32_t l = lx[0] * q[0] + lx[1] * q[2] + lx[2] * q[1] + lx[3] * q[3];
            if (k == 0) { h0 += h; l0 += l; } else { h1 += h; l1 += l; }
        }
    }
#endif
    acc[0] += h0;
    acc[1] += l0;
    acc[2] += h1;
    acc[3] += l1;
}

/* The row as fixed point into the scratch; returns 0 (and the exponent s) or -1 for the float path. */
static int32_t mcu_fc_w8_prepare(const float *x, int32_t depth, uint32_t *xs, int32_t *s_out, int64_t *sum_out)
{
    uint32_t top = 0;
    for (int32_t i = 0; i < depth; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], 4);
        bits &= 0x7FFFFFFFu;
        top = bits > top ? bits : top;
    }
    if (top >= 0x7F800000u) return -1;                /* inf or NaN */
    const int32_t e = top == 0 ? 0 : (int32_t)(top >> 23) - 127; /* max|x| < 2^(e+1) */
    if (e < -90) return -1;
    const int32_t s = 26 - e;                           /* |x| * 2^s < 2^27 */
    uint32_t pbits = (uint32_t)(s + 127) << 23;
    float p2s;
    memcpy(&p2s, &pbits, 4);
    int64_t sum = 0;
    const int32_t groups = (depth + 3) / 4;
    for (int32_t g = 0; g < groups; g++) {
        int32_t hi[4] = {0, 0, 0, 0}, lo[4] = {0, 0, 0, 0};
        for (int32_t j = 0; j < 4; j++) {
            const int32_t i = 4 * g + j;
            if (i >= depth) break;
            const int32_t v = (int32_t)(x[i] * p2s);
            sum += v;
            lo[j] = (int32_t)((uint32_t)v & 0x3FFFu);
            hi[j] = (v - lo[j]) / 16384;
        }
        xs[4 * g + 0] = mcu_fc_w8_pair(hi[0], hi[2]);
        xs[4 * g + 1] = mcu_fc_w8_pair(hi[1], hi[3]);
        xs[4 * g + 2] = mcu_fc_w8_pair(lo[0], lo[2]);
        xs[4 * g + 3] = mcu_fc_w8_pair(lo[1], lo[3]);
    }
    *s_out = s;
    *sum_out = sum;
    return 0;
}

/* The float fallback of the fixed layout: sum x * (scale * (float)(q - zp)) per unit in order (the float
 * kernel's bits, as the plain path). */
static float mcu_fc_w8_fixed_float(const int32_t *wp, int32_t depth, int32_t k, const float *x, float scale,
                                   int32_t zp)
{
    float acc = 0.f;
    for (int32_t i = 0; i < depth; i++) {
        const uint32_t word = (uint32_t)wp[2 * (i / 4) + k];
        const int32_t b = (int32_t)((word >> (8 * (i % 4))) & 0xFFu);
        acc += x[i] * (scale * (float)((b >= 128 ? b - 256 : b) - zp));
    }
    return acc;
}

static void mcu_fc_w8_fixed_row(const mcu_fc_w8_params_t *p, const float *x, float *out, uint32_t *xs)
{
    const int32_t depth = p->depth, units = p->units, groups = (depth + 3) / 4;
    int32_t s = 0;
    int64_t sum = 0;
    const int32_t ok = mcu_fc_w8_prepare(x, depth, xs, &s, &sum);
    float back = 0.f;                                   /* 2^-s */
    if (ok == 0) {
        uint32_t bits = (uint32_t)(127 - s) << 23;
        memcpy(&back, &bits, 4);
    }
    const float lo = p->act_min, hi = p->act_max;
    if (ok == 0 && !p->zero_point && groups <= MCU_FC_W8_CHUNK) {
        /* the common case: one exact int32 pass per pair of units, no zero points */
        const int32_t *wp = p->words;
        for (int32_t u = 0; u < units; u += 2, wp += 2 * groups) {
            int32_t acc[4] = {0, 0, 0, 0};
            mcu_fc_w8_fixed_pair(xs, wp, groups, acc);
            const float r0 = ((float)acc[0] * 16384.f + (float)acc[1]) * back;
            out[u] = mcu_clamp_f32(r0 * p->scale[u] + (p->bias ? p->bias[u] : 0.f), lo, hi);
            if (u + 1 < units) {
                const float r1 = ((float)acc[2] * 16384.f + (float)acc[3]) * back;
                out[u + 1] = mcu_clamp_f32(r1 * p->scale[u + 1] + (p->bias ? p->bias[u + 1] : 0.f), lo, hi);
            }
        }
        return;
    }
    for (int32_t u = 0; u < units; u += 2) {
        const int32_t *wp = p->words + (size_t)(u / 2) * (size_t)groups * 2;
        float r[2] = {0.f, 0.f};
        if (ok == 0 && p->zero_point) {
            /* exact in int64: sum v q - zp sum v */
            int64_t t[2] = {0, 0};
            for (int32_t g = 0; g < groups; g += MCU_FC_W8_CHUNK) {
                const int32_t n = groups - g < MCU_FC_W8_CHUNK ? groups - g : MCU_FC_W8_CHUNK;
                int32_t acc[4] = {0, 0, 0, 0};
                mcu_fc_w8_fixed_pair(xs + 4 * g, wp + 2 * g, n, acc);
                t[0] += (int64_t)acc[0] * 16384 + acc[1];
                t[1] += (int64_t)acc[2] * 16384 + acc[3];
            }
            for (int32_t k = 0; k < 2 && u + k < units; k++) {
                t[k] -= (int64_t)p->zero_point[u + k] * sum;
                r[k] = (float)t[k] * back * p->scale[u + k];
            }
        } else if (ok == 0) {
            /* 16384 H + L in float (each int32 converted exactly to the nearest float, one product-sum) */
            float t0 = 0.f, t1 = 0.f;
            for (int32_t g = 0; g < groups; g += MCU_FC_W8_CHUNK) {
                const int32_t n = groups - g < MCU_FC_W8_CHUNK ? groups - g : MCU_FC_W8_CHUNK;
                int32_t acc[4] = {0, 0, 0, 0};
                mcu_fc_w8_fixed_pair(xs + 4 * g, wp + 2 * g, n, acc);
                t0 += (float)acc[0] * 16384.f + (float)acc[1];
                t1 += (float)acc[2] * 16384.f + (float)acc[3];
            }
            for (int32_t k = 0; k < 2 && u + k < units; k++) r[k] = (k ? t1 : t0) * back * p->scale[u + k];
        } else {
            for (int32_t k = 0; k < 2 && u + k < units; k++)
                r[k] = mcu_fc_w8_fixed_float(wp, depth, k, x, p->scale[u + k],
                                             p->zero_point ? p->zero_point[u + k] : 0);
        }
        for (int32_t k = 0; k < 2 && u + k < units; k++) {
            const float bias = p->bias ? p->bias[u + k] : 0.f;
            out[u + k] = mcu_clamp_f32(r[k] + bias, p->act_min, p->act_max);
        }
    }
}

void mcu_fully_connected_w8(const mcu_fc_w8_params_t *p, const float *input, float *output, uint32_t *scratch)
{
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)p->depth;
        float *out = output + (size_t)b * (size_t)p->units;
        if (p->fixed)
            mcu_fc_w8_fixed_row(p, x, out, scratch);
        else
            mcu_fc_w8_float_row(p, x, out);
    }
}
