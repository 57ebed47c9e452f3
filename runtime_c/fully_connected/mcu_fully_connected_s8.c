/* mcu_fully_connected_s8.c - FULLY_CONNECTED, int8 (see mcu_fully_connected.h for the weight layout). */
#include <string.h>

#include "mcu_fully_connected.h"
#include "mcu_fixedpoint.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* Row pairs per pass over the input (the weights are interleaved in blocks of this many pairs). */
#define MCU_FC_BLOCK 3

/* What every output of one batch needs, gathered once. */
typedef struct {
    const mcu_fc_params_t *p;
    int8_t *out;
    const int32_t *bias;
    const int32_t *rq;
    int32_t rq_step;     /* 3 per channel, 0 per tensor */
    uint32_t off_a;      /* added to unit A's sum (see the kernels) */
    uint32_t off_b;      /* added to unit B's sum */
    int32_t dbl;         /* 1: accumulators are doubled (fast requantization) */
    int32_t lo, span;    /* act_min, act_max - act_min */
    int32_t units;
} mcu_fc_ctx_t;

/* Output bytes of units u0 .. u0+n-1 from their accumulators acc[k] (times 2^dbl, mod 2^32). Everything
 * is read into locals first: the int8 stores may alias anything. */
static inline __attribute__((always_inline)) void mcu_fc_outputs(const mcu_fc_ctx_t *c, const int32_t *acc,
                                                                 int32_t n, int32_t u0)
{
    const int32_t lo = c->lo, span = c->span;
    int8_t *out = c->out + u0;
    if (c->dbl) {
        /* TFLM's requantization, offset by -act_min (see fast_requant_table in mcugen/ops/conv.py) */
        const int32_t step = c->rq_step;
        const int32_t *rq = c->rq + u0 * step;
        for (int32_t k = 0; k < n; k++, rq += step) {
            const int32_t a = acc[k];
            int32_t v = (mcu_smmlar(a, rq[0], rq[1]) + (a >> 31)) >> rq[2];
            v = MCU_CLAMP(v, 0, span);
            out[k] = (int8_t)(v + lo);
        }
    } else {
        const int32_t *mult = c->p->multiplier, *shift = c->p->shift;
        const int32_t zp = c->p->output_offset - lo, per_channel = c->rq_step != 0;
        for (int32_t k = 0; k < n; k++) {
            const int32_t ch = per_channel ? u0 + k : 0;
            int32_t v = mcu_requantize(acc[k], mult[ch], shift[ch]) + zp;
            v = MCU_CLAMP(v, 0, span);
            out[k] = (int8_t)(v + lo);
        }
    }
}

#if defined(__ARM_FEATURE_DSP) /* only the DSP path uses it (clang: -Wunused-function) */
/* act_min-relative output of one unit from its doubled accumulator a (fast requantization). */
static inline int32_t mcu_fc_fast(int32_t a, const int32_t *rq, int32_t span)
{
    int32_t v = (mcu_smmlar(a, rq[0], rq[1]) + (a >> 31)) >> rq[2];
#if defined(__ARM_FEATURE_DSP)
    v = __usat(v, 8);
    return v > span ? span : v;
#else
    return MCU_CLAMP(v, 0, span);
#endif
}
#endif

/* Outputs of row pairs k = 0 .. np-1 (units u0 + 2k, u0 + 2k + 1) from t[k] = sum x * (w_A + 128) and
 * b[k] = sum x * w_B (times 2^dbl). */
static inline __attribute__((always_inline)) void mcu_fc_finish(const mcu_fc_ctx_t *c, const int32_t *t,
                                                                const int32_t *b, int32_t np, int32_t u0)
{
    const uint32_t off_a = c->off_a, off_b = c->off_b;
    const int32_t dbl = c->dbl, n = MCU_MIN(2 * np, c->units - u0);
    const int32_t *bias = c->bias + u0;
    int32_t acc[2 * MCU_FC_BLOCK];
    for (int32_t k = 0; k < np; k++) {
        acc[2 * k] = (int32_t)(((uint32_t)t[k] << dbl) + off_a + (uint32_t)bias[2 * k]);
        acc[2 * k + 1] = (int32_t)((uint32_t)b[k] + off_b + (uint32_t)bias[2 * k + 1]);
    }
    mcu_fc_outputs(c, acc, n, u0);
}

/* Plain C: `np` interleaved row pairs starting at unit u0 (also the DSP fallback for deep layers). */
static void mcu_fc_block_c(const mcu_fc_ctx_t *c, const uint32_t *w, const int8_t *x, int32_t depth, int32_t np,
                           int32_t u0)
{
    const int32_t groups = (depth + 3) >> 2;
    int32_t tk[MCU_FC_BLOCK], bk[MCU_FC_BLOCK];
    for (int32_t k = 0; k < np; k++) {
        int32_t t = 0, b = 0;
        for (int32_t g = 0; g < groups; g++) {
            const uint32_t *wg = w + (g * np + k) * 2;
            const int32_t n = depth - 4 * g < 4 ? depth - 4 * g : 4;
            for (int32_t j = 0; j < n; j++) {
                /* depth 4g+j: word j&1, half j>>1 */
                const uint32_t half = wg[j & 1] >> (16 * (j >> 1));
                const int32_t xv = x[4 * g + j];
                t += xv * (int32_t)(half & 0xFFu);
                b += xv * ((int32_t)((half >> 8) & 0xFFu) - (int32_t)((half >> 8) & 0x80u) * 2);
            }
        }
        tk[k] = t;
        bk[k] = (int32_t)((uint32_t)b << c->dbl);
    }
    mcu_fc_finish(c, tk, bk, np, u0);
}

#if defined(__ARM_FEATURE_DSP)

/* a = p[0], b = p[1], p += 2, in one LDRD (p is 4-byte aligned: the weights are int32 arrays). */
#define MCU_FC_LDRD(a, b, p) \
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(a), "=r"(b), "+r"(p) : "m"(*(const int32_t(*)[2])(p)))

/* One row pair's two words of a group against its inputs x0 = (x0, x2), x1 = (x1, x3):
 * s += x * half, t += x * low byte. */
#define MCU_FC_PAIR(w, x0, x1, s, t)                \
    do {                                            \
        int32_t wa, wb;                             \
        MCU_FC_LDRD(wa, wb, w);                     \
        s = __smlad(wa, (x0), s);                   \
        wa = (int32_t)__uxtb16(wa);                 \
        t = __smlad(wa, (x0), t);                   \
        s = __smlad(wb, (x1), s);                   \
        wb = (int32_t)__uxtb16(wb);                 \
        t = __smlad(wb, (x1), t);                   \
    } while (0)

/* One group of 4 inputs (raw bytes `raw`) against `np` (1 to 3) interleaved row pairs. */
#define MCU_FC_GROUP(raw, w, np)                                                   \
    do {                                                                           \
        const int32_t x0 = __sxtb16((int32_t)(raw)), x1 = mcu_sxtb16_ror8(raw); \
        MCU_FC_PAIR(w, x0, x1, s0, t0);                                            \
        if ((np) >= 2) {                                                           \
            MCU_FC_PAIR(w, x0, x1, s1, t1);                                        \
        }                                                                          \
        if ((np) >= 3) {                                                           \
            MCU_FC_PAIR(w, x0, x1, s2, t2);                                        \
        }                                                                          \
    } while (0)

/* `np` (1 to 3) interleaved row pairs starting at unit u0, over the whole input in one pass (the
 * generator checked |sum x w_B| < 2^23 for every unit B, so S - T = 256 * sum(x w_B) exactly). */
static inline __attribute__((always_inline)) void mcu_fc_block(const mcu_fc_ctx_t *c, const int32_t *w,
                                                               const int8_t *x, int32_t full, int32_t has_tail,
                                                               uint32_t tail, int32_t np, int32_t u0)
{
    int32_t s0 = 0, t0 = 0, s1 = 0, t1 = 0, s2 = 0, t2 = 0;
    const int8_t *xend = x + 4 * full;
    while (x != xend) {
        uint32_t raw;
        memcpy(&raw, x, 4);
        x += 4;
        MCU_FC_GROUP(raw, w, np);
    }
    if (has_tail) {
        MCU_FC_GROUP(tail, w, np);
    }
    const int32_t sh = 8 - c->dbl;
    const int32_t b0 = (int32_t)((uint32_t)s0 - (uint32_t)t0) >> sh;
    const int32_t b1 = (int32_t)((uint32_t)s1 - (uint32_t)t1) >> sh;
    const int32_t b2 = (int32_t)((uint32_t)s2 - (uint32_t)t2) >> sh;
    if (c->dbl && c->units - u0 >= 2 * np) {
        /* the common case, unrolled: fast requantization of whole pairs */
        const uint32_t off_a = c->off_a, off_b = c->off_b;
        const int32_t lo = c->lo, span = c->span, step = c->rq_step;
        const int32_t *bias = c->bias + u0;
        const int32_t *rq = c->rq + u0 * step;
        int8_t *out = c->out + u0;
#define MCU_FC_FAST_PAIR(k, t, b)                                                                  \
    do {                                                                                           \
        const int32_t acc_a = (int32_t)(((uint32_t)(t) << 1) + off_a + (uint32_t)bias[2 * (k)]);   \
        const int32_t acc_b = (int32_t)((uint32_t)(b) + off_b + (uint32_t)bias[2 * (k) + 1]);      \
        out[2 * (k)] = (int8_t)(mcu_fc_fast(acc_a, rq + 2 * (k) * step, span) + lo);               \
        out[2 * (k) + 1] = (int8_t)(mcu_fc_fast(acc_b, rq + (2 * (k) + 1) * step, span) + lo);     \
    } while (0)
        MCU_FC_FAST_PAIR(0, t0, b0);
        if (np >= 2) {
            MCU_FC_FAST_PAIR(1, t1, b1);
        }
        if (np >= 3) {
            MCU_FC_FAST_PAIR(2, t2, b2);
        }
#undef MCU_FC_FAST_PAIR
    } else {
        const int32_t tk[3] = {t0, t1, t2}, bk[3] = {b0, b1, b2};
        mcu_fc_finish(c, tk, bk, np, u0);
    }
}

/* sum of the input bytes: USADA8 sums unsigned bytes, so flip their sign bits and subtract 128 each. */
static int32_t mcu_fc_sum(const int8_t *x, int32_t depth)
{
    uint32_t acc = 0;
    int32_t d = 0;
    for (; d + 4 <= depth; d += 4) {
        uint32_t raw;
        memcpy(&raw, x + d, 4);
        acc = __usada8(raw ^ 0x80808080u, 0, acc);
    }
    int32_t sum = (int32_t)acc - 128 * d;
    for (; d < depth; d++) {
        sum += x[d];
    }
    return sum;
}

#else

static int32_t mcu_fc_sum(const int8_t *x, int32_t depth)
{
    int32_t sum = 0;
    for (int32_t d = 0; d < depth; d++) {
        sum += x[d];
    }
    return sum;
}

#endif /* __ARM_FEATURE_DSP */

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>

/* Helium (p->mve): 4 units at a time, per 16 inputs one input vector and each unit's weight vector (VLDRB)
 * into VMLADAVA (16 products summed into the unit's scalar, modulo 2^32); the depth's tail predicated. */
static void mcu_fc_mve(const mcu_fc_ctx_t *c, const int8_t *x, int32_t depth)
{
    const int32_t stride = 4 * ((depth + 3) >> 2), units = c->units, dbl = c->dbl;
    const int8_t *wbase = (const int8_t *)(const void *)c->p->weights;
    const uint32_t off = c->off_b;
    for (int32_t u = 0; u < units; u += 4) {
        const int32_t n = units - u < 4 ? units - u : 4;
        const int8_t *w0 = wbase + u * stride;
        const int8_t *w1 = n > 1 ? w0 + stride : w0;
        const int8_t *w2 = n > 2 ? w0 + 2 * stride : w0;
        const int8_t *w3 = n > 3 ? w0 + 3 * stride : w0;
        const int8_t *xp = x;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int32_t i = depth >> 4; i > 0; i--) {
            const int8x16_t xv = vld1q_s8(xp);
            xp += 16;
            a0 = vmladavaq_s8(a0, xv, vld1q_s8(w0));
            w0 += 16;
            a1 = vmladavaq_s8(a1, xv, vld1q_s8(w1));
            w1 += 16;
            a2 = vmladavaq_s8(a2, xv, vld1q_s8(w2));
            w2 += 16;
            a3 = vmladavaq_s8(a3, xv, vld1q_s8(w3));
            w3 += 16;
        }
        if (depth & 15) {
            const mve_pred16_t pr = vctp8q((uint32_t)(depth & 15));
            const int8x16_t xv = vldrbq_z_s8(xp, pr);
            a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w0, pr));
            a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1, pr));
            a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2, pr));
            a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3, pr));
        }
        const int32_t sums[4] = {a0, a1, a2, a3};
        int32_t acc[4];
        for (int32_t k = 0; k < n; k++) {
            acc[k] = (int32_t)(((uint32_t)sums[k] << dbl) + off + (uint32_t)c->bias[u + k]);
        }
        mcu_fc_outputs(c, acc, n, u);
    }
}
#endif

#if !defined(__ARM_FEATURE_DSP) /* the rows4 layout is only chosen for cores without DSP */
/* Byte j (0..3) of a weight word as a signed value: one SBFX (or ASR for the top byte) on Armv7-M. */
#define MCU_FC_BYTE(w, j) ((j) == 3 ? ((int32_t)(w) >> 24) : (int32_t)(int8_t)((int32_t)(w) >> (8 * (j))))

/* The four units' sums (uint32_t, modulo 2^32) += input xj times byte j of each unit's word: one input,
 * four multiply-accumulates, so the accumulators and the four words stay in registers. */
#define MCU_FC_ROWS4_STEP(xj, j)                                    \
    do {                                                            \
        const int32_t xv_ = (xj);                                   \
        a0 += (uint32_t)(xv_ * MCU_FC_BYTE(w0, j));                 \
        a1 += (uint32_t)(xv_ * MCU_FC_BYTE(w1, j));                 \
        a2 += (uint32_t)(xv_ * MCU_FC_BYTE(w2, j));                 \
        a3 += (uint32_t)(xv_ * MCU_FC_BYTE(w3, j));                 \
    } while (0)

#if defined(__thumb2__) && !defined(__ARM_FEATURE_DSP)
/* Armv7-M / Armv8-M mainline without DSP (Cortex-M3): `n` > 0 whole groups of the rows4 layout, the
 * loop the compiler would spill from: the four accumulators, the four words of a group, the input and a
 * temporary all in registers. Per group of 16 MACs: 2 LDRD, 4 LDRSB, 16 extractions (SXTB, SBFX, ASR),
 * 16 MLA and the loop. */
static inline void mcu_fc_rows4_asm(const uint32_t **wp, const int8_t **xp, int32_t n, uint32_t *acc)
{
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const uint32_t *w = *wp;
    const int8_t *x = *xp;
    uint32_t w0, w1, w2, w3;
    int32_t xv, t;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[w0], %[w1], [%[w]], #8\n\t"
        "ldrd %[w2], %[w3], [%[w]], #8\n\t"
        "ldrsb %[xv], [%[x]], #1\n\t"
        "sxtb %[t], %[w0]\n\t"
        "mla %[a0], %[xv], %[t], %[a0]\n\t"
        "sxtb %[t], %[w1]\n\t"
        "mla %[a1], %[xv], %[t], %[a1]\n\t"
        "sxtb %[t], %[w2]\n\t"
        "mla %[a2], %[xv], %[t], %[a2]\n\t"
        "sxtb %[t], %[w3]\n\t"
        "mla %[a3], %[xv], %[t], %[a3]\n\t"
        "ldrsb %[xv], [%[x]], #1\n\t"
        "sbfx %[t], %[w0], #8, #8\n\t"
        "mla %[a0], %[xv], %[t], %[a0]\n\t"
        "sbfx %[t], %[w1], #8, #8\n\t"
        "mla %[a1], %[xv], %[t], %[a1]\n\t"
        "sbfx %[t], %[w2], #8, #8\n\t"
        "mla %[a2], %[xv], %[t], %[a2]\n\t"
        "sbfx %[t], %[w3], #8, #8\n\t"
        "mla %[a3], %[xv], %[t], %[a3]\n\t"
        "ldrsb %[xv], [%[x]], #1\n\t"
        "sbfx %[t], %[w0], #16, #8\n\t"
        "mla %[a0], %[xv], %[t], %[a0]\n\t"
        "sbfx %[t], %[w1], #16, #8\n\t"
        "mla %[a1], %[xv], %[t], %[a1]\n\t"
        "sbfx %[t], %[w2], #16, #8\n\t"
        "mla %[a2], %[xv], %[t], %[a2]\n\t"
        "sbfx %[t], %[w3], #16, #8\n\t"
        "mla %[a3], %[xv], %[t], %[a3]\n\t"
        "ldrsb %[xv], [%[x]], #1\n\t"
        "asr %[t], %[w0], #24\n\t"
        "mla %[a0], %[xv], %[t], %[a0]\n\t"
        "asr %[t], %[w1], #24\n\t"
        "mla %[a1], %[xv], %[t], %[a1]\n\t"
        "asr %[t], %[w2], #24\n\t"
        "mla %[a2], %[xv], %[t], %[a2]\n\t"
        "asr %[t], %[w3], #24\n\t"
        "mla %[a3], %[xv], %[t], %[a3]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [x] "+r"(x), [n] "+r"(n),
          [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [xv] "=&r"(xv), [t] "=&r"(t)
        :
        : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    *wp = w;
    *xp = x;
}
#endif

/* Plain C (p->rows4, cores without DSP): four units at a time; per group of four inputs, the inputs are
 * read once and each unit's word once. Sums are taken modulo 2^32 (as on the other paths). */
static void mcu_fc_rows4(const mcu_fc_ctx_t *c, const int8_t *x, int32_t depth)
{
    const int32_t groups = (depth + 3) >> 2, full = depth >> 2, units = c->units, dbl = c->dbl;
    const uint32_t *w = (const uint32_t *)(const void *)c->p->weights;
    const uint32_t off = c->off_b;
    for (int32_t u = 0; u < units; u += 4) {
        uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int8_t *xp = x;
#if defined(__thumb2__) && !defined(__ARM_FEATURE_DSP)
        if (full > 0) {
            uint32_t acc4[4] = {0, 0, 0, 0};
            mcu_fc_rows4_asm(&w, &xp, full, acc4);
            a0 = acc4[0];
            a1 = acc4[1];
            a2 = acc4[2];
            a3 = acc4[3];
        }
#else
        for (int32_t g = full; g > 0; g--, xp += 4, w += 4) {
            const uint32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
            MCU_FC_ROWS4_STEP(xp[0], 0);
            MCU_FC_ROWS4_STEP(xp[1], 1);
            MCU_FC_ROWS4_STEP(xp[2], 2);
            MCU_FC_ROWS4_STEP(xp[3], 3);
        }
#endif
        if (groups > full) { /* the last, partial group: its padded weights are zero, its inputs not read */
            const int32_t left = depth - 4 * full;
            const uint32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
            MCU_FC_ROWS4_STEP(xp[0], 0);
            if (left > 1) {
                MCU_FC_ROWS4_STEP(xp[1], 1);
            }
            if (left > 2) {
                MCU_FC_ROWS4_STEP(xp[2], 2);
            }
            w += 4;
        }
        const int32_t n = units - u < 4 ? units - u : 4;
        const uint32_t sums[4] = {a0, a1, a2, a3};
        int32_t acc[4];
        for (int32_t k = 0; k < n; k++) {
            acc[k] = (int32_t)((sums[k] << dbl) + off + (uint32_t)c->bias[u + k]);
        }
        mcu_fc_outputs(c, acc, n, u);
    }
}

#endif /* !__ARM_FEATURE_DSP */

void mcu_fully_connected_s8(const mcu_fc_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t depth = p->depth, units = p->units;
    const int32_t groups = (depth + 3) >> 2;
    const int32_t pairs = (units + 1) >> 1;
    mcu_fc_ctx_t c;
    c.p = p;
    c.bias = p->bias;
    c.rq = p->rq;
    c.rq_step = p->per_channel ? 3 : 0;
    c.dbl = p->fast;
    c.lo = p->act_min;
    c.span = p->act_max - p->act_min;
    c.units = units;
    for (int32_t bi = 0; bi < p->batches; bi++) {
        const int32_t b = p->reverse ? p->batches - 1 - bi : bi;
        const int8_t *x = input + (int64_t)b * depth;
        const int32_t xsum = mcu_fc_sum(x, depth);
        c.out = output + (int64_t)b * units;
        /* the filter offset's term, filter_offset * sum(x); unit A's sums hold 128 * sum(x) more */
        c.off_b = ((uint32_t)p->filter_offset * (uint32_t)xsum) << c.dbl;
        c.off_a = c.off_b - ((uint32_t)xsum << (7 + c.dbl));
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
        if (p->mve) {
            mcu_fc_mve(&c, x, depth);
            continue;
        }
#endif
#if !defined(__ARM_FEATURE_DSP)
        if (p->rows4) {
            mcu_fc_rows4(&c, x, depth);
            continue;
        }
#endif
        const int32_t *w = p->weights;
#if defined(__ARM_FEATURE_DSP)
        const int32_t full = depth >> 2, has_tail = depth & 3;
        uint32_t tail = 0; /* the last, partial group of inputs, zero-filled */
        for (int32_t j = has_tail - 1; j >= 0; j--) {
            tail = (tail << 8) | (uint8_t)x[4 * full + j];
        }
#endif
        for (int32_t pair = 0; pair < pairs; pair += MCU_FC_BLOCK) {
            const int32_t np = MCU_MIN(pairs - pair, MCU_FC_BLOCK);
#if defined(__ARM_FEATURE_DSP)
            if (p->single_pass) {
                if (np == 3) {
                    mcu_fc_block(&c, w, x, full, has_tail, tail, 3, 2 * pair);
                } else if (np == 2) {
                    mcu_fc_block(&c, w, x, full, has_tail, tail, 2, 2 * pair);
                } else {
                    mcu_fc_block(&c, w, x, full, has_tail, tail, 1, 2 * pair);
                }
            } else
#endif
            {
                mcu_fc_block_c(&c, (const uint32_t *)w, x, depth, np, 2 * pair);
            }
            w += 2 * np * groups;
        }
    }
}
