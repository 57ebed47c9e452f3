/*
 * mcu_lstm_s8.c - UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations, int16 cell (see mcu_recurrent.h).
 *
 * One unit at a time: its four gate pre-activations (input and recurrent
 * fully-connected rows, each requantized to Q3.12 and saturated to int16, then
 * added with saturation), the gate nonlinearities, the cell update and the new
 * hidden value. Only the old hidden row is read by the gates, so new hidden
 * values go to the output row and are copied to the hidden state afterwards.
 *
 * When every requantization allows (p->exact_requant, see exact_requant in
 * mcugen/ops/lstm.py) each one is a single 64-bit multiply-accumulate with a
 * build-time bias (mcu_rec_rq); the gate weights are int16 pairs in words, read
 * two words per LDRD with the DSP extension.
 */
#include <string.h>

#include "mcu_fixedpoint.h"
#include "mcu_recurrent.h"

#define LSTM_GATE_I 0
#define LSTM_GATE_F 1
#define LSTM_GATE_C 2
#define LSTM_GATE_O 3

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

#endif

/* Two words of a (word-aligned, constant) weight block in one LDRD: gcc does not pair the loads itself. */
#define mcu_lstm_ldrd(w, off, lo, hi) \
    __asm__("ldrd %0, %1, [%2, #" #off "]" : "=r"(*(lo)), "=r"(*(hi)) : "r"(w), "m"(*(const int32_t(*)[8])(w)))

static inline int32_t sat16(int32_t v)
{
#if defined(__ARM_FEATURE_DSP)
    return __ssat(v, 16);
#else
    return MCU_CLAMP(v, INT16_MIN, INT16_MAX);
#endif
}

/* TFLM's MultiplyByQuantizedMultiplier, its SRDHM as one 64-bit multiply-accumulate: floor((s M + 2^30) / 2^31)
 * equals TFLM's nudge-then-truncate for every s (its saturation needs M = INT32_MIN, which no multiplier is). */
static inline int32_t mcu_lstm_rq(int32_t x, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    const int32_t s = (int32_t)((uint32_t)x << left);
    const int32_t v = (int32_t)(((int64_t)s * mult + ((int64_t)1 << 30)) >> 31);
    return mcu_rdbpot(v, right);
}

/* TFLM's int64 MultiplyByQuantizedMultiplier: `reduced` its 16-bit multiplier (computed at build time),
 * (x * reduced + 2^(14 - shift)) >> (15 - shift) (the sums here stay far below 2^47: nothing wraps). */
static inline int32_t mcu_lstm_rq64(int64_t x, int32_t reduced, int32_t shift)
{
    const int32_t total = 15 - shift;
    const uint64_t sum = (uint64_t)x * (uint64_t)(int64_t)reduced + ((uint64_t)1 << (total - 1));
    return (int32_t)(uint32_t)(uint64_t)((int64_t)sum >> total);
}

#if !defined(__ARM_FEATURE_DSP)
/* int16 number k of a block of words (read as bytes: the words are int32 objects). */
static inline int32_t mcu_lstm_half(const int32_t *w, int32_t k)
{
    int16_t v;
    memcpy(&v, (const unsigned char *)w + 2 * k, 2);
    return v;
}
#endif

/* acc[k] += gate k's row . x (mod 2^32) for the 4 gates of one unit; w is the unit's interleaved block
 * ([ceil(n / 4)][4 gates][(c0, c2), (c1, c3)] int16 pairs in words, zero-padded), so one input word serves all
 * four gates. */
static inline __attribute__((always_inline)) void mcu_lstm_gates(const int32_t *w, const int8_t *x, int32_t n,
                                                                 uint32_t acc[MCU_LSTM_GATES])
{
    const int32_t full = n >> 2, tail = n & 3;
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if defined(__ARM_FEATURE_DSP)
    /* one group: 4 inputs (word xw: SXTB16 makes (x0, x2) and (x1, x3)) against each gate's two weight words */
#define MCU_LSTM_GROUP(xw)                                                          \
    do {                                                                            \
        const int32_t xl = __sxtb16((int32_t)(xw)), xh = mcu_sxtb16_ror8(xw); \
        int32_t w0, w1, w2, w3, w4, w5, w6, w7;                                     \
        mcu_lstm_ldrd(w, 0, &w0, &w1);                                              \
        mcu_lstm_ldrd(w, 8, &w2, &w3);                                              \
        mcu_lstm_ldrd(w, 16, &w4, &w5);                                             \
        mcu_lstm_ldrd(w, 24, &w6, &w7);                                             \
        w += 8;                                                                     \
        a0 = (uint32_t)__smlad(w0, xl, (int32_t)a0);                                \
        a0 = (uint32_t)__smlad(w1, xh, (int32_t)a0);                                \
        a1 = (uint32_t)__smlad(w2, xl, (int32_t)a1);                                \
        a1 = (uint32_t)__smlad(w3, xh, (int32_t)a1);                                \
        a2 = (uint32_t)__smlad(w4, xl, (int32_t)a2);                                \
        a2 = (uint32_t)__smlad(w5, xh, (int32_t)a2);                                \
        a3 = (uint32_t)__smlad(w6, xl, (int32_t)a3);                                \
        a3 = (uint32_t)__smlad(w7, xh, (int32_t)a3);                                \
    } while (0)
    for (const int8_t *xend = x + 4 * full; x != xend; x += 4) {
        uint32_t xw;
        memcpy(&xw, x, 4);
        MCU_LSTM_GROUP(xw);
    }
    if (tail) {
        uint32_t xw = 0;
        for (int32_t j = 0; j < tail; j++) {
            xw |= (uint32_t)(uint8_t)x[j] << (8 * j);
        }
        MCU_LSTM_GROUP(xw);
    }
#undef MCU_LSTM_GROUP
#else
    /* a word holds (c0, c2) or (c1, c3), low half first: int16 k of the block is word k / 2's half k % 2
     * (little-endian, like every target) */
#define MCU_LSTM_W(k) mcu_lstm_half(w, k)
#define MCU_LSTM_DOT(k) (MCU_LSTM_W(k) * x0 + MCU_LSTM_W(k + 1) * x2 + MCU_LSTM_W(k + 2) * x1 + MCU_LSTM_W(k + 3) * x3)
    for (int32_t g = 0; g <= full; g++, x += 4, w += 8) {
        int32_t x0, x1, x2, x3;
        if (g < full) {
            x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        } else if (tail) {
            x0 = x[0], x1 = tail > 1 ? x[1] : 0, x2 = tail > 2 ? x[2] : 0, x3 = 0;
        } else {
            break;
        }
        a0 += (uint32_t)MCU_LSTM_DOT(0);
        a1 += (uint32_t)MCU_LSTM_DOT(4);
        a2 += (uint32_t)MCU_LSTM_DOT(8);
        a3 += (uint32_t)MCU_LSTM_DOT(12);
    }
#undef MCU_LSTM_DOT
#undef MCU_LSTM_W
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* TFLM's int16 logistic of a Q3.12 value, to Q0.15 (input scaled by 3, table of sigmoid(i / 24)). */
static inline __attribute__((always_inline)) int32_t lstm_sigmoid(const uint16_t *table, int32_t x)
{
    int32_t v = x * 3;
    uint32_t a = (uint32_t)(v < 0 ? -v : v);
    uint32_t uh = a >> 9;
    uint32_t r;
    if (uh >= 255u) {
        r = 0x7FFFu << 10;
    } else {
        uint32_t ua = table[uh], ub = table[uh + 1u];
        r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int32_t)(r >> 10);
}

/* TFLM's int16 tanh: x * mult (rounded >> shift when shift > 0), then the same table at twice the rate. */
static inline __attribute__((always_inline)) int32_t lstm_tanh(const uint16_t *table, int32_t x, int32_t mult, int32_t shift)
{
    int32_t round = shift > 0 ? (1 << (shift - 1)) : 0;
    int32_t v = (x * mult + round) >> shift;
    uint32_t a = (uint32_t)(v < 0 ? -v : v);
    uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255u) {
        r = (int32_t)(0xFFFFu << 8);
    } else {
        uint32_t ua = table[uh], ub = table[uh + 1u];
        r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return r >> 8;
}

/* One gate's activation from its two sums: each requantized to Q3.12 and saturated, added with saturation, then
 * sigmoid (or tanh for the cell gate of a TANH layer), to Q0.15. */
static inline __attribute__((always_inline)) int32_t lstm_gate(const mcu_lstm_params_t *p, int k, uint32_t ai,
                                                               uint32_t ah, const int exact)
{
    int32_t a, b;
    if (exact) {
        a = mcu_rec_rq((int32_t)ai, &p->rq[k]);
        b = mcu_rec_rq((int32_t)ah, &p->rq[MCU_LSTM_GATES + k]);
    } else {
        a = mcu_lstm_rq((int32_t)ai, p->input_mult[k], p->input_shift[k]);
        b = mcu_lstm_rq((int32_t)ah, p->recurrent_mult[k], p->recurrent_shift[k]);
    }
    const int32_t pre = sat16(sat16(a) + sat16(b));
    if (k == LSTM_GATE_C && p->cell_gate_tanh) {
        return lstm_tanh(p->sigmoid_table, pre, 3, 0);
    }
    return lstm_sigmoid(p->sigmoid_table, pre);
}

/* One batch row for one time step. Only the old hidden row is read by the gates, so the new hidden values go
 * to the output row and are copied to the hidden state at the end. */
static inline __attribute__((always_inline)) void lstm_row(const mcu_lstm_params_t *p, const int8_t *x, int8_t *h,
                                                           int16_t *c, int8_t *out, const int exact)
{
    const int32_t n = p->units, in = p->input_size;
    const size_t in_block = (size_t)((in + 3) >> 2) * 8u, h_block = (size_t)((n + 3) >> 2) * 8u; /* words */
    const int32_t *iw = p->input_weights, *rw = p->recurrent_weights;
    const int32_t *ib = p->input_bias, *rb = p->recurrent_bias;
    for (int32_t u = 0; u < n; u++, iw += in_block, rw += h_block, ib += MCU_LSTM_GATES, rb += MCU_LSTM_GATES) {
        uint32_t ai[MCU_LSTM_GATES] = {(uint32_t)ib[0], (uint32_t)ib[1], (uint32_t)ib[2], (uint32_t)ib[3]};
        uint32_t ah[MCU_LSTM_GATES] = {(uint32_t)rb[0], (uint32_t)rb[1], (uint32_t)rb[2], (uint32_t)rb[3]};
        mcu_lstm_gates(iw, x, in, ai);
        mcu_lstm_gates(rw, h, n, ah);
        const int32_t gi = lstm_gate(p, LSTM_GATE_I, ai[0], ah[0], exact);
        const int32_t gf = lstm_gate(p, LSTM_GATE_F, ai[1], ah[1], exact);
        const int32_t gc = lstm_gate(p, LSTM_GATE_C, ai[2], ah[2], exact);
        const int32_t go = lstm_gate(p, LSTM_GATE_O, ai[3], ah[3], exact);
        const int32_t fc = gf * (int32_t)c[u], ic = gi * gc;
        int32_t kept, added;
        if (exact) {
            kept = mcu_rec_rq(fc, &p->rq[MCU_LSTM_RQ_FORGET]);
            added = mcu_rec_rq(ic, &p->rq[MCU_LSTM_RQ_UPDATE]);
        } else {
            kept = mcu_lstm_rq(fc, p->forget_mult, p->forget_shift);
            added = mcu_lstm_rq(ic, p->update_mult, p->update_shift);
        }
        int32_t cell = sat16(sat16(kept) + sat16(added));
        const int32_t clip = p->cell_clip;
        if (clip > 0) {
            cell = MCU_CLAMP(cell, -clip, clip);
        }
        c[u] = (int16_t)cell;
        const int32_t to = lstm_tanh(p->sigmoid_table, cell, p->cell_tanh_mult, p->cell_tanh_shift) * go;
        const int32_t hv = exact ? mcu_rec_rq(to, &p->rq[MCU_LSTM_RQ_HIDDEN])
                                 : p->hidden_zero_point + mcu_lstm_rq(to, p->hidden_mult, p->hidden_shift);
        out[u] = (int8_t)MCU_CLAMP(hv, INT8_MIN, INT8_MAX);
    }
    memcpy(h, out, (size_t)n);
}

void mcu_lstm_s8(const mcu_lstm_params_t *p, const int8_t *input, int8_t *hidden_state, int16_t *cell_state,
                 int8_t *output)
{
    const size_t in = (size_t)p->input_size, n = (size_t)p->units;

    for (int32_t b = 0; b < p->batches; b++) {
        int8_t *h = hidden_state + (size_t)b * n;
        int16_t *c = cell_state + (size_t)b * n;
        for (int32_t t = 0; t < p->time_steps; t++) {
            /* time major: [T, B, *]; batch major: [B, T, *]. The state rows are per batch either way. */
            size_t row = p->time_major ? (size_t)t * (size_t)p->batches + (size_t)b
                                       : (size_t)b * (size_t)p->time_steps + (size_t)t;
            if (p->exact_requant) {
                lstm_row(p, input + row * in, h, c, output + row * n, 1);
            } else {
                lstm_row(p, input + row * in, h, c, output + row * n, 0);
            }
        }
    }
}

/* 16x8: int16 input and hidden state (zero points 0), int8 weights, int64 biases, int16 cell. The gate sums
 * are int64 and requantized by TFLM's int64 MultiplyByQuantizedMultiplier (16-bit multiplier); the rest is
 * the int8 kernel's arithmetic with an int16 hidden clamp. Plain C. */
static void lstm_row_s16(const mcu_lstm_s16_params_t *p, const int16_t *x, int16_t *h, int16_t *c, int16_t *out)
{
    const int32_t n = p->units, in = p->input_size;
    for (int32_t u = 0; u < n; u++) {
        int32_t g[MCU_LSTM_GATES];
        for (int k = 0; k < MCU_LSTM_GATES; k++) {
            const int8_t *wi = p->input_weights[k] + (size_t)u * (size_t)in;
            const int8_t *wr = p->recurrent_weights[k] + (size_t)u * (size_t)n;
            int64_t ai = p->input_bias[k][u], ar = 0;
            for (int32_t i = 0; i < in; i++) {
                ai += (int64_t)wi[i] * x[i];
            }
            for (int32_t i = 0; i < n; i++) {
                ar += (int64_t)wr[i] * h[i];
            }
            int32_t a = sat16(mcu_lstm_rq64(ai, p->input_mult[k], p->input_shift[k]));
            int32_t b = sat16(mcu_lstm_rq64(ar, p->recurrent_mult[k], p->recurrent_shift[k]));
            int32_t pre = sat16(a + b);
            g[k] = (k == LSTM_GATE_C && p->cell_gate_tanh) ? lstm_tanh(p->sigmoid_table, pre, 3, 0)
                                                            : lstm_sigmoid(p->sigmoid_table, pre);
        }
        int32_t kept = sat16(mcu_lstm_rq(g[LSTM_GATE_F] * (int32_t)c[u], p->forget_mult, p->forget_shift));
        int32_t added = sat16(mcu_lstm_rq(g[LSTM_GATE_I] * g[LSTM_GATE_C], p->update_mult, p->update_shift));
        int32_t cell = sat16(kept + added);
        if (p->cell_clip > 0) {
            cell = MCU_CLAMP(cell, -p->cell_clip, p->cell_clip);
        }
        c[u] = (int16_t)cell;
        int32_t t = lstm_tanh(p->sigmoid_table, cell, p->cell_tanh_mult, p->cell_tanh_shift);
        int32_t hv = p->hidden_zero_point + mcu_lstm_rq(t * g[LSTM_GATE_O], p->hidden_mult, p->hidden_shift);
        out[u] = (int16_t)MCU_CLAMP(hv, INT16_MIN, INT16_MAX);
    }
    for (int32_t u = 0; u < n; u++) {
        h[u] = out[u];
    }
}

void mcu_lstm_s16(const mcu_lstm_s16_params_t *p, const int16_t *input, int16_t *hidden_state, int16_t *cell_state,
                  int16_t *output)
{
    const size_t in = (size_t)p->input_size, n = (size_t)p->units;
    for (int32_t b = 0; b < p->batches; b++) {
        for (int32_t t = 0; t < p->time_steps; t++) {
            size_t row = p->time_major ? (size_t)t * (size_t)p->batches + (size_t)b
                                       : (size_t)b * (size_t)p->time_steps + (size_t)t;
            lstm_row_s16(p, input + row * in, hidden_state + (size_t)b * n, cell_state + (size_t)b * n,
                         output + row * n);
        }
    }
}
