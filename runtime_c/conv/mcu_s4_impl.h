/* mcu_s4_impl.h - the packed int4 dot product shared by mcu_conv_s4.c and mcu_fully_connected_s4.c.
 *
 * Weight rows (one per CONV_2D output channel, in the model's (ky, kx, in channel) order; one per
 * FULLY_CONNECTED unit) are stored as 32-bit words of 8 int4 values each, the row padded with zero
 * weights to a whole number of words (mcugen/ops/conv.py pack_s4_rows). Value 8i + j of a row lies in
 * word i at bit MCU_S4_SHIFT(j): j = 0..3 in the low nibbles of bytes 0, 2, 1, 3, j = 4..7 in their high
 * nibbles, so that SXTB16 splits a word into the pairs (w0, w1), (w2, w3), (w4, w5), (w6, w7) (each
 * times 16) that SMLAD multiplies with consecutive int16 inputs. A nibble n is the value (n ^ 8) - 8.
 *
 * x: the row's inputs minus the input zero point, as int16, 8 per word (zero where the row is padded).
 */
#ifndef MCU_S4_IMPL_H
#define MCU_S4_IMPL_H

#include <stdint.h>
#include <string.h>

#include "mcu_fixedpoint.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* The DSP layouts' code (CONV_2D stream, DEPTHWISE_CONV_2D group_weights, mcu_conv.h): on cores with the DSP
 * extension, and on the host (its plain C serves the sanitizer tests); mcugen never emits these layouts for
 * the other Arm cores (M0, M3), which so carry none of it. */
#if defined(__ARM_FEATURE_DSP) || !defined(__arm__)
#define MCU_S4_DSP_LAYOUTS 1
#endif

/* bit position of value j (0..7) in its word */
#define MCU_S4_SHIFT(j) (8 * ((((j) & 1) << 1) | (((j) >> 1) & 1)) + 4 * ((j) >> 2))

/* the int4 value at bit `shift` of word v */
#define MCU_S4_VALUE(v, shift) ((int32_t)((((v) >> (shift)) & 0xFu) ^ 8u) - 8)

/* sum over the row of x * w, `words` words. Exact while |sum| < 2^27 (the DSP path sums 16 * x * w
   in int32): rows of at most MCU_S4_MAX_ROW values (mcugen checks it at build time). */
#define MCU_S4_MAX_ROW 65536
static inline int32_t mcu_s4_dot(const int16_t *x, const int32_t *w, int32_t words)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t acc = 0;
    for (int32_t i = 0; i < words; i++, x += 8) {
        const uint32_t v = (uint32_t)w[i];
        const uint32_t lo = (v & 0x0F0F0F0Fu) << 4, hi = v & 0xF0F0F0F0u;
        int32_t x01, x23, x45, x67;
        memcpy(&x01, x, 4);
        memcpy(&x23, x + 2, 4);
        memcpy(&x45, x + 4, 4);
        memcpy(&x67, x + 6, 4);
        acc = __smlad(__sxtb16((int32_t)lo), x01, acc);
        acc = __smlad(mcu_sxtb16_ror8(lo), x23, acc);
        acc = __smlad(__sxtb16((int32_t)hi), x45, acc);
        acc = __smlad(mcu_sxtb16_ror8(hi), x67, acc);
    }
    return acc / 16; /* exact: every product was taken times 16 */
#else
    int32_t acc = 0;
    for (int32_t i = 0; i < words; i++, x += 8) {
        const uint32_t v = (uint32_t)w[i];
        acc += x[0] * MCU_S4_VALUE(v, MCU_S4_SHIFT(0)) + x[1] * MCU_S4_VALUE(v, MCU_S4_SHIFT(1)) +
               x[2] * MCU_S4_VALUE(v, MCU_S4_SHIFT(2)) + x[3] * MCU_S4_VALUE(v, MCU_S4_SHIFT(3)) +
               x[4] * MCU_S4_VALUE(v, MCU_S4_SHIFT(4)) + x[5] * MCU_S4_VALUE(v, MCU_S4_SHIFT(5)) +
               x[6] * MCU_S4_VALUE(v, MCU_S4_SHIFT(6)) + x[7] * MCU_S4_VALUE(v, MCU_S4_SHIFT(7));
    }
    return acc;
#endif
}

/* The sums of two consecutive rows w0 = w, w1 = w + words over the same x: each input pair is loaded
 * once for both rows. */
static inline void mcu_s4_dot2(const int16_t *x, const int32_t *w, int32_t words, int32_t *acc0, int32_t *acc1)
{
    const int32_t *w1 = w + words;
#if defined(__ARM_FEATURE_DSP)
    int32_t a = 0, b = 0;
    for (int32_t i = 0; i < words; i++, x += 8) {
        const uint32_t v = (uint32_t)w[i], u = (uint32_t)w1[i];
        const uint32_t vlo = (v & 0x0F0F0F0Fu) << 4, vhi = v & 0xF0F0F0F0u;
        const uint32_t ulo = (u & 0x0F0F0F0Fu) << 4, uhi = u & 0xF0F0F0F0u;
        int32_t x01, x23, x45, x67;
        memcpy(&x01, x, 4);
        memcpy(&x23, x + 2, 4);
        memcpy(&x45, x + 4, 4);
        memcpy(&x67, x + 6, 4);
        a = __smlad(__sxtb16((int32_t)vlo), x01, a);
        b = __smlad(__sxtb16((int32_t)ulo), x01, b);
        a = __smlad(mcu_sxtb16_ror8(vlo), x23, a);
        b = __smlad(mcu_sxtb16_ror8(ulo), x23, b);
        a = __smlad(__sxtb16((int32_t)vhi), x45, a);
        b = __smlad(__sxtb16((int32_t)uhi), x45, b);
        a = __smlad(mcu_sxtb16_ror8(vhi), x67, a);
        b = __smlad(mcu_sxtb16_ror8(uhi), x67, b);
    }
    *acc0 = a / 16;
    *acc1 = b / 16;
#else
    *acc0 = mcu_s4_dot(x, w, words);
    *acc1 = mcu_s4_dot(x, w1, words);
#endif
}

/* Rows w0 = w and w1 = w + words against two inputs x0 and x1 (two output pixels): each weight word is
 * unpacked once for both pixels. acc[0] = x0.w0, acc[1] = x0.w1, acc[2] = x1.w0, acc[3] = x1.w1. */
static inline void mcu_s4_dot2x2(const int16_t *x0, const int16_t *x1, const int32_t *w, int32_t words,
                                 int32_t *acc)
{
#if defined(__ARM_FEATURE_DSP)
    const int32_t *w1 = w + words;
    int32_t a = 0, b = 0, c = 0, d = 0;
    for (int32_t i = 0; i < words; i++, x0 += 8, x1 += 8) {
        const uint32_t v = (uint32_t)w[i], u = (uint32_t)w1[i];
        const uint32_t vlo = (v & 0x0F0F0F0Fu) << 4, ulo = (u & 0x0F0F0F0Fu) << 4;
        int32_t p, q, wv, wu;
#define MCU_S4_STEP(k, extract, vv, uu)          \
    do {                                         \
        memcpy(&p, x0 + (k), 4);                 \
        memcpy(&q, x1 + (k), 4);                 \
        wv = extract(vv);                        \
        wu = extract(uu);                        \
        a = __smlad(wv, p, a);                   \
        b = __smlad(wu, p, b);                   \
        c = __smlad(wv, q, c);                   \
        d = __smlad(wu, q, d);                   \
    } while (0)
#define MCU_S4_SX(x) __sxtb16((int32_t)(x))
        MCU_S4_STEP(0, MCU_S4_SX, vlo, ulo);
        MCU_S4_STEP(2, mcu_sxtb16_ror8, vlo, ulo);
        MCU_S4_STEP(4, MCU_S4_SX, v & 0xF0F0F0F0u, u & 0xF0F0F0F0u);
        MCU_S4_STEP(6, mcu_sxtb16_ror8, v & 0xF0F0F0F0u, u & 0xF0F0F0F0u);
#undef MCU_S4_SX
#undef MCU_S4_STEP
    }
    acc[0] = a / 16;
    acc[1] = b / 16;
    acc[2] = c / 16;
    acc[3] = d / 16;
#else
    acc[0] = mcu_s4_dot(x0, w, words);
    acc[1] = mcu_s4_dot(x0, w + words, words);
    acc[2] = mcu_s4_dot(x1, w, words);
    acc[3] = mcu_s4_dot(x1, w + words, words);
#endif
}

/* Four rows against the same x, the rows interleaved by word: w holds word 0 of rows 0..3, then word 1 of
 * rows 0..3, ... (mcugen/ops/fully_connected.py pack_s4_rows4). acc[r] = x . row r.
 * With the DSP extension each pair of values goes to the top 4 bits of its int16 lanes, where a nibble is
 * its own sign: one AND with a shifted operand per pair (the lanes carry 4096 w), no sign extension.
 * |x| <= 255 and |w| <= 8, so a chunk of 32 words (256 values) sums below 2^31 in int32; each chunk is
 * scaled back exactly (a multiple of 4096) before the next. */
static inline void mcu_s4_dot4(const int16_t *x, const int32_t *w, int32_t words, int32_t *acc)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int32_t i = 0; i < words;) {
        const int32_t n = words - i > 32 ? 32 : words - i;
        int32_t a = 0, b = 0, c = 0, d = 0;
#if defined(__GNUC__) && !defined(__clang__)
        /* 14 registers: gcc only (clang takes the C loop below) */
        const uint32_t mask = 0xF000F000u;
        const int32_t *const end = w + 4 * n;
        uint32_t v0, v1, v2, v3, p, t;
        __asm__ volatile(
            "1:\n\t"
            "ldrd %[v0], %[v1], [%[w]], #8\n\t"
            "ldrd %[v2], %[v3], [%[w]], #8\n\t"
            "ldr %[p], [%[x]], #4\n\t"
            "and %[t], %[m], %[v0], lsl #12\n\t" "smlad %[a], %[t], %[p], %[a]\n\t"
            "and %[t], %[m], %[v1], lsl #12\n\t" "smlad %[b], %[t], %[p], %[b]\n\t"
            "and %[t], %[m], %[v2], lsl #12\n\t" "smlad %[c], %[t], %[p], %[c]\n\t"
            "and %[t], %[m], %[v3], lsl #12\n\t" "smlad %[d], %[t], %[p], %[d]\n\t"
            "ldr %[p], [%[x]], #4\n\t"
            "and %[t], %[m], %[v0], lsl #4\n\t" "smlad %[a], %[t], %[p], %[a]\n\t"
            "and %[t], %[m], %[v1], lsl #4\n\t" "smlad %[b], %[t], %[p], %[b]\n\t"
            "and %[t], %[m], %[v2], lsl #4\n\t" "smlad %[c], %[t], %[p], %[c]\n\t"
            "and %[t], %[m], %[v3], lsl #4\n\t" "smlad %[d], %[t], %[p], %[d]\n\t"
            "ldr %[p], [%[x]], #4\n\t"
            "and %[t], %[m], %[v0], lsl #8\n\t" "smlad %[a], %[t], %[p], %[a]\n\t"
            "and %[t], %[m], %[v1], lsl #8\n\t" "smlad %[b], %[t], %[p], %[b]\n\t"
            "and %[t], %[m], %[v2], lsl #8\n\t" "smlad %[c], %[t], %[p], %[c]\n\t"
            "and %[t], %[m], %[v3], lsl #8\n\t" "smlad %[d], %[t], %[p], %[d]\n\t"
            "ldr %[p], [%[x]], #4\n\t"
            "and %[v0], %[m], %[v0]\n\t" "smlad %[a], %[v0], %[p], %[a]\n\t"
            "and %[v1], %[m], %[v1]\n\t" "smlad %[b], %[v1], %[p], %[b]\n\t"
            "and %[v2], %[m], %[v2]\n\t" "smlad %[c], %[v2], %[p], %[c]\n\t"
            "and %[v3], %[m], %[v3]\n\t" "smlad %[d], %[v3], %[p], %[d]\n\t"
            "cmp %[w], %[e]\n\t"
            "bne 1b\n\t"
            : [a] "+&r"(a), [b] "+&r"(b), [c] "+&r"(c), [d] "+&r"(d), [w] "+&r"(w), [x] "+&r"(x),
              [v0] "=&r"(v0), [v1] "=&r"(v1), [v2] "=&r"(v2), [v3] "=&r"(v3), [p] "=&r"(p), [t] "=&r"(t)
            : [m] "r"(mask), [e] "r"(end)
            : "cc", "memory");
#else
        for (int32_t k = 0; k < n; k++, w += 4, x += 8) {
            for (int32_t j = 0; j < 4; j++) {
                const uint32_t v0 = (uint32_t)w[0], v1 = (uint32_t)w[1], v2 = (uint32_t)w[2], v3 = (uint32_t)w[3];
                const int32_t sh = j == 0 ? 12 : j == 1 ? 4 : j == 2 ? 8 : 0;
                int32_t xp;
                memcpy(&xp, x + 2 * j, 4);
                a = __smlad((int32_t)((v0 << sh) & 0xF000F000u), xp, a);
                b = __smlad((int32_t)((v1 << sh) & 0xF000F000u), xp, b);
                c = __smlad((int32_t)((v2 << sh) & 0xF000F000u), xp, c);
                d = __smlad((int32_t)((v3 << sh) & 0xF000F000u), xp, d);
            }
        }
#endif
        t0 += a / 4096;
        t1 += b / 4096;
        t2 += c / 4096;
        t3 += d / 4096;
        i += n;
    }
    acc[0] = t0;
    acc[1] = t1;
    acc[2] = t2;
    acc[3] = t3;
#else
    /* each nibble sign-extended by two shifts (one SBFX on ARMv7-M), each input loaded once for the 4 rows */
    int32_t a = 0, b = 0, c = 0, d = 0;
    for (int32_t i = 0; i < words; i++, x += 8, w += 4) {
        const uint32_t v0 = (uint32_t)w[0], v1 = (uint32_t)w[1], v2 = (uint32_t)w[2], v3 = (uint32_t)w[3];
#define MCU_S4_NIB(v, j) ((int32_t)((v) << (28 - MCU_S4_SHIFT(j))) >> 28)
#define MCU_S4_MAC4(j)                  \
    do {                                \
        const int32_t xj = x[j];        \
        a += xj * MCU_S4_NIB(v0, j);    \
        b += xj * MCU_S4_NIB(v1, j);    \
        c += xj * MCU_S4_NIB(v2, j);    \
        d += xj * MCU_S4_NIB(v3, j);    \
    } while (0)
        MCU_S4_MAC4(0);
        MCU_S4_MAC4(1);
        MCU_S4_MAC4(2);
        MCU_S4_MAC4(3);
        MCU_S4_MAC4(4);
        MCU_S4_MAC4(5);
        MCU_S4_MAC4(6);
        MCU_S4_MAC4(7);
#undef MCU_S4_MAC4
#undef MCU_S4_NIB
    }
    acc[0] = a;
    acc[1] = b;
    acc[2] = c;
    acc[3] = d;
#endif
}

/* The output byte of an accumulator: TFLM's requantization, output zero point, clamp. */
static inline int8_t mcu_s4_output(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_zp,
                                   int32_t act_min, int32_t act_max)
{
    const int32_t v = mcu_requantize(acc, multiplier, shift) + output_zp;
    return (int8_t)MCU_CLAMP(v, act_min, act_max);
}

/* The same output through rq = {M, K, e} (mcugen/ops/conv.py fast_requant_table with the output offset
 * output_zp - act_min): (SMMLAR(2 acc, M, K) - [acc < 0]) >> e, clamped to [0, act_max - act_min], + act_min;
 * equal to mcu_s4_output for every accumulator the layer can produce (checked at build time). */
static inline int8_t mcu_s4_output_rq(int32_t acc, const int32_t *rq, int32_t act_min, int32_t act_max)
{
    const int32_t a = (int32_t)((uint32_t)acc << 1);
    int32_t v = (mcu_smmlar(a, rq[0], rq[1]) + (a >> 31)) >> rq[2];
    v = MCU_CLAMP(v, 0, act_max - act_min);
    return (int8_t)(v + act_min);
}

#endif /* MCU_S4_IMPL_H */
