/*
 * mcu_svdf_s8.c - SVDF, int8 input and output, int16 or int8 state (see mcu_recurrent.h).
 *
 * Sums are taken in uint32_t so that they wrap exactly like TFLM's int32 sums
 * (without signed overflow); the wrapped value is what gets requantized.
 *
 * TFLM moves the whole state buffer one element to the left and then writes
 * each filter's newest column. The element that crosses from one filter's row
 * into the previous one is always overwritten by that newest column, so moving
 * each row on its own is the same; the kernel does it filter by filter, right
 * before the filter's time dot product, while the row is in cache/registers.
 *
 * With the DSP extension (__ARM_FEATURE_DSP) the dot products use SMLAD on
 * pairs (int8 via SXTB16, int16 directly) and the rows move a word at a time;
 * SMLAD's sum wraps modulo 2^32 like the plain-C uint32_t sums, so both paths
 * give the same bits.
 */
#include <string.h>

#include "mcu_fixedpoint.h"
#include "mcu_recurrent.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

static inline int32_t mcu_svdf_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#endif

/* acc + sum a[i] * b[i] (mod 2^32), int8 x int8. */
static inline uint32_t mcu_svdf_dot8(const int8_t *a, const int8_t *b, int32_t n, uint32_t acc)
{
    int32_t i = 0;
#if defined(__ARM_FEATURE_DSP)
    for (; i + 4 <= n; i += 4) {
        uint32_t wa, wb;
        memcpy(&wa, a + i, 4);
        memcpy(&wb, b + i, 4);
        acc = (uint32_t)__smlad(__sxtb16((int32_t)wa), __sxtb16((int32_t)wb), (int32_t)acc);
        acc = (uint32_t)__smlad(mcu_svdf_sxtb16_ror8(wa), mcu_svdf_sxtb16_ror8(wb), (int32_t)acc);
    }
#endif
    for (; i < n; i++) {
        acc += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    }
    return acc;
}

/* acc + sum a[i] * b[i] (mod 2^32), int16 x int16 (one product may reach 2^30; the sum wraps). */
static inline uint32_t mcu_svdf_dot16(const int16_t *a, const int16_t *b, int32_t n, uint32_t acc)
{
    int32_t i = 0;
#if defined(__ARM_FEATURE_DSP)
    for (; i + 2 <= n; i += 2) {
        int32_t wa, wb;
        memcpy(&wa, a + i, 4);
        memcpy(&wb, b + i, 4);
        acc = (uint32_t)__smlad(wa, wb, (int32_t)acc);
    }
#endif
    for (; i < n; i++) {
        acc += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    }
    return acc;
}

/* row[0..m-2] <- row[1..m-1], row[m-1] <- v (int8 elements). */
static inline void mcu_svdf_shift8(int8_t *row, int32_t m, int8_t v)
{
    int32_t j = 0;
#if defined(__ARM_FEATURE_DSP)
    /* little-endian words: the new word k is the old word k's top three bytes and word k+1's lowest */
    if ((m & 3) == 0) {
        uint32_t cur;
        memcpy(&cur, row, 4);
        for (; j + 4 < m; j += 4) {
            uint32_t next, w;
            memcpy(&next, row + j + 4, 4);
            w = (cur >> 8) | (next << 24);
            memcpy(row + j, &w, 4);
            cur = next;
        }
        cur = (cur >> 8) | ((uint32_t)(uint8_t)v << 24);
        memcpy(row + j, &cur, 4);
        return;
    }
#endif
    for (; j + 1 < m; j++) {
        row[j] = row[j + 1];
    }
    row[m - 1] = v;
}

/* row[0..m-2] <- row[1..m-1], row[m-1] <- v (int16 elements). */
static inline void mcu_svdf_shift16(int16_t *row, int32_t m, int16_t v)
{
    int32_t j = 0;
#if defined(__ARM_FEATURE_DSP)
    if ((m & 1) == 0) {
        uint32_t cur;
        memcpy(&cur, row, 4);
        for (; j + 2 < m; j += 2) {
            uint32_t next, w;
            memcpy(&next, row + j + 2, 4);
            w = (cur >> 16) | (next << 16);
            memcpy(row + j, &w, 4);
            cur = next;
        }
        cur = (cur >> 16) | ((uint32_t)(uint16_t)v << 16);
        memcpy(row + j, &cur, 4);
        return;
    }
#endif
    for (; j + 1 < m; j++) {
        row[j] = row[j + 1];
    }
    row[m - 1] = v;
}

/* TFLM's requantization in its general form (kept out of line: the layers mcugen meets take the fast one). */
static __attribute__((noinline)) int32_t mcu_svdf_rq_slow(int32_t a, int32_t mult, int32_t shift, int32_t zp)
{
    return mcu_requantize(a, mult, shift) + zp;
}

/* TFLM's requantization of a (wrapped) sum, plus `zp`. With `fast` (shift = -e, 1 <= e, checked by the
 * generator, see _fast_requant in mcugen/ops/svdf.py) it is one 64-bit multiply-accumulate:
 *   SRDHM(a, M) = floor((a M + 2^30) / 2^31) for every int32 a (M < 2^31: TFLM's saturation never fires);
 *   RDBPOT(v, e) + zp = (v + k - [v < 0]) >> e with k = 2^(e-1) + zp 2^e;
 * v is first clamped to [-2^30, 2^30): that changes no result inside the clamp that follows (the generator
 * checked 2^30 >> e clears the target range), and keeps the sum from overflowing. */
static inline int32_t mcu_svdf_rq(uint32_t acc, int32_t mult, int32_t shift, int32_t fast, int32_t k, int32_t e,
                                  int32_t zp)
{
    const int32_t a = (int32_t)acc;
    if (fast) {
        int32_t v = (int32_t)(((int64_t)a * mult + ((int64_t)1 << 30)) >> 31);
#if defined(__ARM_FEATURE_DSP)
        v = __ssat(v, 31);
#else
        v = MCU_CLAMP(v, -(INT32_C(1) << 30), (INT32_C(1) << 30) - 1);
#endif
        return (v + k - (v < 0 ? 1 : 0)) >> e;
    }
    return mcu_svdf_rq_slow(a, mult, shift, zp);
}

/* Two feature sums (filters f and f + 1 share the input loads), int8 x int8, mod 2^32. */
static inline void mcu_svdf_dot8x2(const int8_t *w0, const int8_t *w1, const int8_t *x, int32_t n, uint32_t *a0,
                                   uint32_t *a1)
{
    uint32_t s0 = *a0, s1 = *a1;
    int32_t i = 0;
#if defined(__ARM_FEATURE_DSP)
    for (; i + 4 <= n; i += 4) {
        uint32_t wx, wa, wb;
        memcpy(&wx, x + i, 4);
        memcpy(&wa, w0 + i, 4);
        memcpy(&wb, w1 + i, 4);
        const int32_t xl = __sxtb16((int32_t)wx), xh = mcu_svdf_sxtb16_ror8(wx);
        s0 = (uint32_t)__smlad(__sxtb16((int32_t)wa), xl, (int32_t)s0);
        s0 = (uint32_t)__smlad(mcu_svdf_sxtb16_ror8(wa), xh, (int32_t)s0);
        s1 = (uint32_t)__smlad(__sxtb16((int32_t)wb), xl, (int32_t)s1);
        s1 = (uint32_t)__smlad(mcu_svdf_sxtb16_ror8(wb), xh, (int32_t)s1);
    }
#endif
    for (; i < n; i++) {
        s0 += (uint32_t)((int32_t)w0[i] * (int32_t)x[i]);
        s1 += (uint32_t)((int32_t)w1[i] * (int32_t)x[i]);
    }
    *a0 = s0;
    *a1 = s1;
}

/* Moves one filter's state row by one, appends its newest value `v` and returns acc + time weights . row. */
static inline __attribute__((always_inline)) uint32_t mcu_svdf_row(void *state, const void *wt, size_t row,
                                                                  int32_t m, int32_t v, uint32_t acc,
                                                                  const int is16, const int words)
{
    (void)words; /* only the DSP paths use it */
    if (is16) {
        int16_t *s = (int16_t *)state + row;
        const int16_t *w = (const int16_t *)wt + row;
#if defined(__ARM_FEATURE_DSP)
        if (words || (m & 1) == 0) {
            /* little-endian words: new word k = old word k's top half and word k + 1's bottom half */
            uint32_t cur, next, ww;
            memcpy(&cur, s, 4);
            for (int32_t j = 0; j < m; j += 2) {
                if (j + 2 < m) {
                    memcpy(&next, s + j + 2, 4);
                } else {
                    next = (uint32_t)v;
                }
                cur = (cur >> 16) | (next << 16);
                memcpy(s + j, &cur, 4);
                memcpy(&ww, w + j, 4);
                acc = (uint32_t)__smlad((int32_t)ww, (int32_t)cur, (int32_t)acc);
                cur = next;
            }
            return acc;
        }
#endif
        mcu_svdf_shift16(s, m, (int16_t)(uint16_t)((uint32_t)v & 0xFFFFu));
        return mcu_svdf_dot16(w, s, m, acc);
    }
    int8_t *s = (int8_t *)state + row;
    const int8_t *w = (const int8_t *)wt + row;
#if defined(__ARM_FEATURE_DSP)
    if (words || (m & 3) == 0) {
        /* new word k = old word k's top three bytes and word k + 1's lowest byte */
        uint32_t cur, next, ww;
        memcpy(&cur, s, 4);
        for (int32_t j = 0; j < m; j += 4) {
            if (j + 4 < m) {
                memcpy(&next, s + j + 4, 4);
            } else {
                next = (uint32_t)v;
            }
            cur = (cur >> 8) | (next << 24);
            memcpy(s + j, &cur, 4);
            memcpy(&ww, w + j, 4);
            acc = (uint32_t)__smlad(__sxtb16((int32_t)ww), __sxtb16((int32_t)cur), (int32_t)acc);
            acc = (uint32_t)__smlad(mcu_svdf_sxtb16_ror8(ww), mcu_svdf_sxtb16_ror8(cur), (int32_t)acc);
            cur = next;
        }
        return acc;
    }
#endif
    mcu_svdf_shift8(s, m, (int8_t)(uint8_t)((uint32_t)v & 0xFFu));
    return mcu_svdf_dot8(w, s, m, acc);
}

/* What the filters of one batch row share (in locals: the int8 stores may alias anything). */
typedef struct {
    int32_t m, rank, lo, hi, szp, mult1, shift1, fast1, k1, e1, mult2, shift2, fast2, k2, e2, ozp;
    uint32_t mask;
    const int32_t *ubias;
    const void *wt;
} mcu_svdf_ctx_t;

/* Filter f's newest state value from its feature sum, its row moved and summed into *acc; when f closes a
 * unit, that unit's output. */
static inline __attribute__((always_inline)) void mcu_svdf_filter(const mcu_svdf_ctx_t *c, void *sb, int8_t *out,
                                                                  int32_t f, uint32_t fa, uint32_t *acc,
                                                                  int32_t *r, const int is16, const int spec)
{
    int32_t v = mcu_svdf_rq(fa, c->mult1, c->shift1, spec || c->fast1, c->k1, c->e1, 0);
    /* clamped to the state type, then the zero point added: the cast wraps (see mcugen/ops/svdf.py) */
    v = (int32_t)((uint32_t)(MCU_CLAMP(v, c->lo, c->hi) + c->szp) & c->mask);
    uint32_t a = mcu_svdf_row(sb, c->wt, (size_t)f * (size_t)c->m, c->m, v, *acc, is16, spec);
    if (++*r == c->rank) {
        const int32_t u = f / c->rank;
        int32_t o = mcu_svdf_rq(a, c->mult2, c->shift2, spec || c->fast2, c->k2, c->e2, c->ozp);
        out[u] = (int8_t)MCU_CLAMP(o, INT8_MIN, INT8_MAX);
        *r = 0;
        a = (uint32_t)c->ubias[u + 1]; /* unit_bias has one spare entry */
    }
    *acc = a;
}

static inline __attribute__((always_inline)) void mcu_svdf_body(const mcu_svdf_params_t *p, const int8_t *input,
                                                                void *state, int8_t *output, const int is16,
                                                                const int spec)
{
    const mcu_svdf_ctx_t c = {
        p->memory, p->rank, is16 ? INT16_MIN : INT8_MIN, is16 ? INT16_MAX : INT8_MAX, p->state_zero_point,
        p->mult1, p->shift1, p->fast1, p->k1, p->e1, p->mult2, p->shift2, p->fast2, p->k2, p->e2,
        p->output_zero_point, is16 ? 0xFFFFu : 0xFFu, p->unit_bias,
        is16 ? (const void *)p->weights_time16 : (const void *)p->weights_time8,
    };
    const int32_t in = p->input_size, filters = p->filters, batches = p->batches, units = p->units;
    const int8_t *wf = p->weights_feature;
    const int32_t *fbias = p->feature_bias;
    const size_t per_batch = (size_t)filters * (size_t)c.m;
    for (int32_t b = 0; b < batches; b++) {
        const int8_t *x = input + (size_t)b * (size_t)in;
        void *sb = is16 ? (void *)((int16_t *)state + (size_t)b * per_batch)
                        : (void *)((int8_t *)state + (size_t)b * per_batch);
        int8_t *out = output + (size_t)b * (size_t)units;
        uint32_t acc = (uint32_t)c.ubias[0];
        int32_t r = 0, f = 0;
        for (; f + 1 < filters; f += 2) {
            const int8_t *w0 = wf + (size_t)f * (size_t)in;
            uint32_t fa0 = (uint32_t)fbias[f], fa1 = (uint32_t)fbias[f + 1];
            mcu_svdf_dot8x2(w0, w0 + in, x, in, &fa0, &fa1);
            mcu_svdf_filter(&c, sb, out, f, fa0, &acc, &r, is16, spec);
            mcu_svdf_filter(&c, sb, out, f + 1, fa1, &acc, &r, is16, spec);
        }
        if (f < filters) {
            uint32_t fa0 = mcu_svdf_dot8(wf + (size_t)f * (size_t)in, x, in, (uint32_t)fbias[f]);
            mcu_svdf_filter(&c, sb, out, f, fa0, &acc, &r, is16, spec);
        }
    }
}

#if defined(__ARM_FEATURE_DSP)
/* One int8 state row moved by one with `v` appended, word by word, and acc + time weights . row. */
static inline __attribute__((always_inline)) uint32_t mcu_svdf_row8_words(int8_t *s, const int8_t *w, int32_t m,
                                                                         uint32_t v, uint32_t acc)
{
    uint32_t cur, next, ww;
    const int8_t *end = s + m - 4;
    memcpy(&cur, s, 4);
    for (; s != end; s += 4, w += 4) {
        memcpy(&next, s + 4, 4);
        cur = (cur >> 8) | (next << 24);
        memcpy(s, &cur, 4);
        memcpy(&ww, w, 4);
        acc = (uint32_t)__smlad(__sxtb16((int32_t)ww), __sxtb16((int32_t)cur), (int32_t)acc);
        acc = (uint32_t)__smlad(mcu_svdf_sxtb16_ror8(ww), mcu_svdf_sxtb16_ror8(cur), (int32_t)acc);
        cur = next;
    }
    cur = (cur >> 8) | (v << 24);
    memcpy(s, &cur, 4);
    memcpy(&ww, w, 4);
    acc = (uint32_t)__smlad(__sxtb16((int32_t)ww), __sxtb16((int32_t)cur), (int32_t)acc);
    return (uint32_t)__smlad(mcu_svdf_sxtb16_ror8(ww), mcu_svdf_sxtb16_ror8(cur), (int32_t)acc);
}

/* The common int8-state case with DSP: rank 1, memory a multiple of 4, both requantizations fast. */
static void mcu_svdf_s8_rank1(const mcu_svdf_params_t *p, const int8_t *input, int8_t *state, int8_t *output)
{
    const int32_t m = p->memory, in = p->input_size, filters = p->filters, szp = p->state_zero_point;
    const int32_t mult1 = p->mult1, k1 = p->k1, e1 = p->e1, mult2 = p->mult2, k2 = p->k2, e2 = p->e2;
    const int8_t *wf = p->weights_feature, *wt = p->weights_time8;
    const int32_t *fbias = p->feature_bias, *ubias = p->unit_bias;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = input + (size_t)b * (size_t)in;
        int8_t *s = state + (size_t)b * (size_t)filters * (size_t)m;
        int8_t *out = output + (size_t)b * (size_t)filters;
        int32_t f = 0;
        for (; f < filters; f += 2) {
            const int32_t pair = f + 1 < filters;
            const int8_t *w0 = wf + (size_t)f * (size_t)in;
            uint32_t fa0 = (uint32_t)fbias[f], fa1 = pair ? (uint32_t)fbias[f + 1] : 0u;
            mcu_svdf_dot8x2(w0, pair ? w0 + in : w0, x, in, &fa0, &fa1);
            for (int32_t k = 0; k <= pair; k++) {
                int32_t v = mcu_svdf_rq(k ? fa1 : fa0, mult1, 0, 1, k1, e1, 0);
                v = __ssat(v, 8) + szp; /* clamped, then the zero point added: wraps (see mcugen/ops/svdf.py) */
                const size_t row = (size_t)(f + k) * (size_t)m;
                uint32_t acc = mcu_svdf_row8_words(s + row, wt + row, m, (uint32_t)v, (uint32_t)ubias[f + k]);
                out[f + k] = (int8_t)__ssat(mcu_svdf_rq(acc, mult2, 0, 1, k2, e2, 0), 8);
            }
        }
    }
}
#endif

/* With the DSP extension, the common case gets its own copy of the body (spec: both requantizations fast,
 * rows a whole number of words), without the run-time choices. */
#if defined(__ARM_FEATURE_DSP)
#define MCU_SVDF_SPEC(p, words) ((p)->fast1 && (p)->fast2 && ((p)->memory % (words)) == 0)
#else
#define MCU_SVDF_SPEC(p, words) 0
#endif

void mcu_svdf_s8_s16(const mcu_svdf_params_t *p, const int8_t *input, int16_t *state, int8_t *output)
{
    if (MCU_SVDF_SPEC(p, 2)) {
        mcu_svdf_body(p, input, state, output, 1, 1);
    } else {
        mcu_svdf_body(p, input, state, output, 1, 0);
    }
}

void mcu_svdf_s8_s8(const mcu_svdf_params_t *p, const int8_t *input, int8_t *state, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    if (MCU_SVDF_SPEC(p, 4) && p->rank == 1) {
        mcu_svdf_s8_rank1(p, input, state, output);
        return;
    }
#endif
    if (MCU_SVDF_SPEC(p, 4)) {
        mcu_svdf_body(p, input, state, output, 0, 1);
    } else {
        mcu_svdf_body(p, input, state, output, 0, 0);
    }
}
