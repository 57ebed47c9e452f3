/*
 * mcu_svdf_s8.c - SVDF, int8 input and output, int16 or int8 state (see mcu_recurrent.h).
 *
 * Sums are taken in uint32_t so that they wrap exactly like TFLM's int32 sums
 * (without signed overflow); the wrapped value is what gets requantized.
 *
 * TFLM moves the whole state buffer one element to the left and then writes
 * each filter's newest column. This kernel keeps each row as a ring buffer
 * instead: the newest value overwrites the oldest one, at position h of every
 * row, and h advances by one per invocation (kept in the word at head_offset
 * after the state). Row f read from position h + 1 on is TFLM's row, so its
 * dot product with the time weights is sum_k ring[k] * wt[(k - h - 1) mod M],
 * one contiguous sum over the doubled weight row (wt twice) from M - h - 1, or
 * (the _once functions, --optimize size: half the time weights' flash) two sums
 * over the single row: ring[0 .. h] with wt[M - h - 1 ..], the rest with wt[0 ..].
 * The sums wrap modulo 2^32 in any order, so the result is TFLM's bit for bit.
 *
 * With the DSP extension (__ARM_FEATURE_DSP) the dot products use SMLAD on
 * pairs (int8 via SXTB16, int16 directly), reading words at any alignment
 * (Cortex-M4/M7/M33/M55 load unaligned words); SMLAD's sum wraps modulo 2^32
 * like the plain-C uint32_t sums, so both paths give the same bits.
 */
#include <string.h>

#include "mcu_fixedpoint.h"
#include "mcu_recurrent.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

#endif

/* acc + sum a[i] * b[i] (mod 2^32), int8 x int8. */
static inline __attribute__((always_inline)) uint32_t mcu_svdf_dot8(const int8_t *a, const int8_t *b, int32_t n,
                                                                   uint32_t acc)
{
    int32_t i = 0;
#if defined(__ARM_FEATURE_DSP)
    for (; i + 4 <= n; i += 4) {
        uint32_t wa, wb;
        memcpy(&wa, a + i, 4);
        memcpy(&wb, b + i, 4);
        acc = (uint32_t)__smlad(__sxtb16((int32_t)wa), __sxtb16((int32_t)wb), (int32_t)acc);
        acc = (uint32_t)__smlad(mcu_sxtb16_ror8(wa), mcu_sxtb16_ror8(wb), (int32_t)acc);
    }
#endif
    for (; i < n; i++) {
        acc += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    }
    return acc;
}

/* acc + sum a[i] * b[i] (mod 2^32), int16 x int16 (one product may reach 2^30; the sum wraps). */
static inline __attribute__((always_inline)) uint32_t mcu_svdf_dot16(const int16_t *a, const int16_t *b,
                                                                    int32_t n, uint32_t acc)
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

/* Two feature sums (filters f and f + 1 share the input loads), int8 x int8, mod 2^32. */
static inline __attribute__((always_inline)) void mcu_svdf_dot8x2(const int8_t *w0, const int8_t *w1,
                                                                 const int8_t *x, int32_t n, uint32_t *a0,
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
        const int32_t xl = __sxtb16((int32_t)wx), xh = mcu_sxtb16_ror8(wx);
        s0 = (uint32_t)__smlad(__sxtb16((int32_t)wa), xl, (int32_t)s0);
        s0 = (uint32_t)__smlad(mcu_sxtb16_ror8(wa), xh, (int32_t)s0);
        s1 = (uint32_t)__smlad(__sxtb16((int32_t)wb), xl, (int32_t)s1);
        s1 = (uint32_t)__smlad(mcu_sxtb16_ror8(wb), xh, (int32_t)s1);
    }
#endif
    for (; i < n; i++) {
        s0 += (uint32_t)((int32_t)w0[i] * (int32_t)x[i]);
        s1 += (uint32_t)((int32_t)w1[i] * (int32_t)x[i]);
    }
    *a0 = s0;
    *a1 = s1;
}

/* acc + the ring row s . its single time-weights row w rotated by wofs (the _once functions): s[0 .. m - wofs) with
   w[wofs ..], the rest with w[0 ..] (out of line: a second copy in each body would cost more flash than it saves). */
static __attribute__((noinline)) uint32_t mcu_svdf_rot8(const int8_t *s, const int8_t *w, int32_t m, int32_t wofs,
                                                        uint32_t acc)
{
    acc = mcu_svdf_dot8(s, w + wofs, m - wofs, acc);
    return mcu_svdf_dot8(s + (m - wofs), w, wofs, acc);
}

static __attribute__((noinline)) uint32_t mcu_svdf_rot16(const int16_t *s, const int16_t *w, int32_t m,
                                                         int32_t wofs, uint32_t acc)
{
    acc = mcu_svdf_dot16(s, w + wofs, m - wofs, acc);
    return mcu_svdf_dot16(s + (m - wofs), w, wofs, acc);
}

/* TFLM's requantization in its general form (kept out of line: the layers mcugen meets take the exact one). */
static __attribute__((noinline)) int32_t mcu_svdf_rq_slow(int32_t a, int32_t mult, int32_t shift, int32_t zp)
{
    return mcu_requantize(a, mult, shift) + zp;
}

/* What the filters of one invocation share (in locals: the int8 stores may alias anything). */
typedef struct {
    int32_t m, rank, lo, hi, szp, mult1, shift1, mult2, shift2, ozp, h, wofs;
    uint32_t mask;
    const int32_t *ubias;
    const void *wt;
    const mcu_rec_rq_t *rq1, *rq2;
} mcu_svdf_ctx_t;

/* Filter f's newest state value from its feature sum, written over the oldest one of its ring row, and acc +
 * the row . the rotated time weights; when f closes a unit, that unit's output. */
static inline __attribute__((always_inline)) void mcu_svdf_filter(const mcu_svdf_ctx_t *c, void *sb, int8_t *out,
                                                                  int32_t f, uint32_t fa, uint32_t *acc,
                                                                  int32_t *r, const int is16, const int exact,
                                                                  const int twice)
{
    int32_t v = exact ? mcu_rec_rq((int32_t)fa, c->rq1) : mcu_svdf_rq_slow((int32_t)fa, c->mult1, c->shift1, 0);
    /* clamped to the state type, then the zero point added: the cast wraps (see mcugen/ops/svdf.py) */
    v = (int32_t)((uint32_t)(MCU_CLAMP(v, c->lo, c->hi) + c->szp) & c->mask);
    const size_t row = (size_t)f * (size_t)c->m, wrow = 2 * row + (size_t)c->wofs;
    uint32_t a;
    if (is16) {
        int16_t *s = (int16_t *)sb + row;
        s[c->h] = (int16_t)(uint16_t)(uint32_t)v;
        a = twice ? mcu_svdf_dot16(s, (const int16_t *)c->wt + wrow, c->m, *acc)
                     : mcu_svdf_rot16(s, (const int16_t *)c->wt + row, c->m, c->wofs, *acc);
    } else {
        int8_t *s = (int8_t *)sb + row;
        s[c->h] = (int8_t)(uint8_t)(uint32_t)v;
        a = twice ? mcu_svdf_dot8(s, (const int8_t *)c->wt + wrow, c->m, *acc)
                     : mcu_svdf_rot8(s, (const int8_t *)c->wt + row, c->m, c->wofs, *acc);
    }
    if (++*r == c->rank) {
        const int32_t u = f / c->rank;
        const int32_t o = exact ? mcu_rec_rq((int32_t)a, c->rq2)
                                : mcu_svdf_rq_slow((int32_t)a, c->mult2, c->shift2, c->ozp);
        out[u] = (int8_t)MCU_CLAMP(o, INT8_MIN, INT8_MAX);
        *r = 0;
        a = (uint32_t)c->ubias[u + 1]; /* unit_bias has one spare entry */
    }
    *acc = a;
}

static inline __attribute__((always_inline)) void mcu_svdf_body(const mcu_svdf_params_t *p, const int8_t *input,
                                                                void *state, int8_t *output, const int is16,
                                                                const int exact, const int twice)
{
    const int32_t m = p->memory;
    uint32_t word;
    memcpy(&word, (unsigned char *)state + p->head_offset, 4);
    const int32_t h = (int32_t)(word % (uint32_t)m), next = h + 1 == m ? 0 : h + 1;
    const mcu_svdf_ctx_t c = {
        m, p->rank, is16 ? INT16_MIN : INT8_MIN, is16 ? INT16_MAX : INT8_MAX, p->state_zero_point,
        p->mult1, p->shift1, p->mult2, p->shift2, p->output_zero_point, h, m - next,
        is16 ? 0xFFFFu : 0xFFu, p->unit_bias,
        is16 ? (const void *)p->weights_time16 : (const void *)p->weights_time8, &p->rq1, &p->rq2,
    };
    const int32_t in = p->input_size, filters = p->filters, batches = p->batches, units = p->units;
    const int8_t *wf = p->weights_feature;
    const int32_t *fbias = p->feature_bias;
    const size_t per_batch = (size_t)filters * (size_t)m;
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
            mcu_svdf_filter(&c, sb, out, f, fa0, &acc, &r, is16, exact, twice);
            mcu_svdf_filter(&c, sb, out, f + 1, fa1, &acc, &r, is16, exact, twice);
        }
        if (f < filters) {
            uint32_t fa0 = mcu_svdf_dot8(wf + (size_t)f * (size_t)in, x, in, (uint32_t)fbias[f]);
            mcu_svdf_filter(&c, sb, out, f, fa0, &acc, &r, is16, exact, twice);
        }
    }
    word = (uint32_t)next;
    memcpy((unsigned char *)state + p->head_offset, &word, 4);
}

#if defined(__ARM_FEATURE_DSP)
/* Two words of a (word-aligned, constant) weight block in one LDRD: gcc does not pair the loads itself. */
#define mcu_svdf_ldrd(w, off, lo, hi) \
    __asm__("ldrd %0, %1, [%2, #" #off "]" : "=r"(*(lo)), "=r"(*(hi)) : "r"(w), "m"(*(const int32_t(*)[4])(w)))
#endif

/* a[k] += row k . x (mod 2^32) for one block of 4 filters stored interleaved: per group of 4 inputs, each
 * filter's 4 weights in one word (byte j = weight j, by value: low byte first), zero-padded past `in`. */
static inline __attribute__((always_inline)) void mcu_svdf_block4(const int32_t *w, const int8_t *x, int32_t in,
                                                                 uint32_t a[4])
{
    uint32_t s0 = a[0], s1 = a[1], s2 = a[2], s3 = a[3];
    const int32_t tail = in & 3;
    const int8_t *xend = x + (in - tail);
#if defined(__ARM_FEATURE_DSP)
#define MCU_SVDF_GROUP(xw)                                                            \
    do {                                                                              \
        const int32_t xl = __sxtb16((int32_t)(xw)), xh = mcu_sxtb16_ror8(xw);   \
        int32_t w0, w1, w2, w3;                                                       \
        mcu_svdf_ldrd(w, 0, &w0, &w1);                                                \
        mcu_svdf_ldrd(w, 8, &w2, &w3);                                                \
        w += 4;                                                                       \
        s0 = (uint32_t)__smlad(__sxtb16(w0), xl, (int32_t)s0);                        \
        s0 = (uint32_t)__smlad(mcu_sxtb16_ror8((uint32_t)w0), xh, (int32_t)s0);  \
        s1 = (uint32_t)__smlad(__sxtb16(w1), xl, (int32_t)s1);                        \
        s1 = (uint32_t)__smlad(mcu_sxtb16_ror8((uint32_t)w1), xh, (int32_t)s1);  \
        s2 = (uint32_t)__smlad(__sxtb16(w2), xl, (int32_t)s2);                        \
        s2 = (uint32_t)__smlad(mcu_sxtb16_ror8((uint32_t)w2), xh, (int32_t)s2);  \
        s3 = (uint32_t)__smlad(__sxtb16(w3), xl, (int32_t)s3);                        \
        s3 = (uint32_t)__smlad(mcu_sxtb16_ror8((uint32_t)w3), xh, (int32_t)s3);  \
    } while (0)
    for (; x != xend; x += 4) {
        uint32_t xw;
        memcpy(&xw, x, 4);
        MCU_SVDF_GROUP(xw);
    }
    if (tail) {
        uint32_t xw = 0;
        for (int32_t j = 0; j < tail; j++) {
            xw |= (uint32_t)(uint8_t)x[j] << (8 * j);
        }
        MCU_SVDF_GROUP(xw);
    }
#undef MCU_SVDF_GROUP
#else
#define MCU_SVDF_B(v, j) ((int32_t)(int8_t)(uint8_t)((uint32_t)(v) >> (8 * (j))))
#define MCU_SVDF_DOT(v) (MCU_SVDF_B(v, 0) * x0 + MCU_SVDF_B(v, 1) * x1 + MCU_SVDF_B(v, 2) * x2 + MCU_SVDF_B(v, 3) * x3)
    for (; x != xend; x += 4, w += 4) {
        const int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        s0 += (uint32_t)MCU_SVDF_DOT(w[0]);
        s1 += (uint32_t)MCU_SVDF_DOT(w[1]);
        s2 += (uint32_t)MCU_SVDF_DOT(w[2]);
        s3 += (uint32_t)MCU_SVDF_DOT(w[3]);
    }
    if (tail) {
        const int32_t x0 = x[0], x1 = tail > 1 ? x[1] : 0, x2 = tail > 2 ? x[2] : 0, x3 = 0;
        s0 += (uint32_t)MCU_SVDF_DOT(w[0]);
        s1 += (uint32_t)MCU_SVDF_DOT(w[1]);
        s2 += (uint32_t)MCU_SVDF_DOT(w[2]);
        s3 += (uint32_t)MCU_SVDF_DOT(w[3]);
    }
#undef MCU_SVDF_DOT
#undef MCU_SVDF_B
#endif
    a[0] = s0;
    a[1] = s1;
    a[2] = s2;
    a[3] = s3;
}

/* One filter of a rank-1 int8 layer: its new state value over the ring row's oldest, the row . rotated time
 * weights (memory a multiple of 4), the output. */
static inline __attribute__((always_inline)) void mcu_svdf_r1_filter(int8_t *row, const int8_t *wt, int32_t m,
                                                                     int32_t h, uint32_t fa, int32_t szp,
                                                                     int32_t bias, const mcu_rec_rq_t *rq1,
                                                                     const mcu_rec_rq_t *rq2, int8_t *out)
{
    const int32_t v = mcu_rec_rq((int32_t)fa, rq1);
    /* clamped, then the zero point added; the byte store wraps (see mcugen/ops/svdf.py) */
#if defined(__ARM_FEATURE_DSP)
    row[h] = (int8_t)(uint8_t)(uint32_t)(__ssat(v, 8) + szp);
    uint32_t acc = (uint32_t)bias;
    const int8_t *end = row + m;
    do {
        uint32_t ws, ww;
        memcpy(&ws, row, 4);
        memcpy(&ww, wt, 4);
        row += 4;
        wt += 4;
        acc = (uint32_t)__smlad(__sxtb16((int32_t)ws), __sxtb16((int32_t)ww), (int32_t)acc);
        acc = (uint32_t)__smlad(mcu_sxtb16_ror8(ws), mcu_sxtb16_ror8(ww), (int32_t)acc);
    } while (row != end);
    *out = (int8_t)__ssat(mcu_rec_rq((int32_t)acc, rq2), 8);
#else
    row[h] = (int8_t)(uint8_t)(uint32_t)(MCU_CLAMP(v, INT8_MIN, INT8_MAX) + szp);
    const int32_t o = mcu_rec_rq((int32_t)mcu_svdf_dot8(row, wt, m, (uint32_t)bias), rq2);
    *out = (int8_t)MCU_CLAMP(o, INT8_MIN, INT8_MAX);
#endif
}

/* Rank-1 int8 layers with memory a multiple of 4 and exact requantizations (p->blocked): the feature weights
 * of each 4 filters interleaved (weights_blocks), the remaining filters' rows in weights_feature. */
static void mcu_svdf_s8_rank1(const mcu_svdf_params_t *p, const int8_t *input, int8_t *state, int8_t *output)
{
    const int32_t m = p->memory, in = p->input_size, filters = p->filters, szp = p->state_zero_point;
    const int32_t full = filters & ~3, block_words = ((in + 3) >> 2) * 4;
    uint32_t word;
    memcpy(&word, (unsigned char *)state + p->head_offset, 4);
    const int32_t h = (int32_t)(word % (uint32_t)m), next = h + 1 == m ? 0 : h + 1;
    const mcu_rec_rq_t *rq1 = &p->rq1, *rq2 = &p->rq2;
    const int32_t *fbias = p->feature_bias, *ubias = p->unit_bias;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = input + (size_t)b * (size_t)in;
        int8_t *row = state + (size_t)b * (size_t)filters * (size_t)m;
        int8_t *out = output + (size_t)b * (size_t)filters;
        const int32_t *blk = p->weights_blocks;
        const int8_t *wt = p->weights_time8 + (m - next);
        int32_t f = 0;
        for (; f < full; f += 4, blk += block_words, row += 4 * m, wt += 8 * m) {
            uint32_t fa[4] = {(uint32_t)fbias[f], (uint32_t)fbias[f + 1], (uint32_t)fbias[f + 2],
                              (uint32_t)fbias[f + 3]};
            mcu_svdf_block4(blk, x, in, fa);
            for (int k = 0; k < 4; k++) {
                mcu_svdf_r1_filter(row + k * m, wt + 2 * k * m, m, h, fa[k], szp, ubias[f + k], rq1, rq2,
                                   out + f + k);
            }
        }
        const int8_t *wf = p->weights_feature;
        for (; f + 1 < filters; f += 2, wf += 2 * in, row += 2 * m, wt += 4 * m) {
            uint32_t fa0 = (uint32_t)fbias[f], fa1 = (uint32_t)fbias[f + 1];
            mcu_svdf_dot8x2(wf, wf + in, x, in, &fa0, &fa1);
            mcu_svdf_r1_filter(row, wt, m, h, fa0, szp, ubias[f], rq1, rq2, out + f);
            mcu_svdf_r1_filter(row + m, wt + 2 * m, m, h, fa1, szp, ubias[f + 1], rq1, rq2, out + f + 1);
        }
        if (f < filters) {
            const uint32_t fa0 = mcu_svdf_dot8(wf, x, in, (uint32_t)fbias[f]);
            mcu_svdf_r1_filter(row, wt, m, h, fa0, szp, ubias[f], rq1, rq2, out + f);
        }
    }
    word = (uint32_t)next;
    memcpy((unsigned char *)state + p->head_offset, &word, 4);
}

void mcu_svdf_s8_s16(const mcu_svdf_params_t *p, const int8_t *input, int16_t *state, int8_t *output)
{
    if (p->exact) {
        mcu_svdf_body(p, input, state, output, 1, 1, 1);
    } else {
        mcu_svdf_body(p, input, state, output, 1, 0, 1);
    }
}

void mcu_svdf_s8_s8(const mcu_svdf_params_t *p, const int8_t *input, int8_t *state, int8_t *output)
{
    if (p->blocked) {
        mcu_svdf_s8_rank1(p, input, state, output);
        return;
    }
    if (p->exact) {
        mcu_svdf_body(p, input, state, output, 0, 1, 1);
    } else {
        mcu_svdf_body(p, input, state, output, 0, 0, 1);
    }
}

/* --optimize size: each time-weights row stored once (never blocked); separate functions, so that the other
   builds do not link them. */
void mcu_svdf_s8_s16_once(const mcu_svdf_params_t *p, const int8_t *input, int16_t *state, int8_t *output)
{
    if (p->exact) {
        mcu_svdf_body(p, input, state, output, 1, 1, 0);
    } else {
        mcu_svdf_body(p, input, state, output, 1, 0, 0);
    }
}

void mcu_svdf_s8_s8_once(const mcu_svdf_params_t *p, const int8_t *input, int8_t *state, int8_t *output)
{
    if (p->exact) {
        mcu_svdf_body(p, input, state, output, 0, 1, 0);
    } else {
        mcu_svdf_body(p, input, state, output, 0, 0, 0);
    }
}
