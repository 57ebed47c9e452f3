/*
 * mcu_recurrent.h - recurrent layers with state kept across invocations:
 * SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations (TFLM's integer schemes).
 *
 * The state tensors ("variables") live in the arena at offsets no other buffer
 * ever uses; the model's init()/reset() set them to TFLM's initial value (the
 * zero point for int8 state, 0 for int16) and each invoke() advances them.
 *
 * SVDF (int8 input, int8 feature weights, int8 or int16 time weights and state):
 *   state[b][f][0..M-2] <- state[b][f][1..M-1]   (the whole buffer moves by one element)
 *   state[b][f][M-1]    <- clamp(state_zp + rq1(sum_i wf[f][i] * (x[b][i] - x_zp)))
 *   out[b][u]           <- clamp8(out_zp + rq2(bias[u] + sum_{f in u} sum_m wt[f][m] * (state[b][f][m] - state_zp)))
 * with TFLM's double-rounding requantization; int32 sums wrap as TFLM's do. The
 * input and state offsets are folded at build time into feature_bias[f] and
 * unit_bias[u]. TFLM's integer SVDF applies no fused activation (only the int8
 * clamp), and neither does this kernel. No scratch. The state is kept as a ring
 * buffer instead (nothing moves): each row's newest value overwrites its oldest
 * at position h, and a word after the state (head_offset) keeps h for the next
 * invocation; the time weights are stored twice per row, so the dot product of
 * the ring with the weights rotated by h is one contiguous sum. reset() fills
 * the state with one value, where every position h gives the same rows, so h
 * may start anywhere (the kernel takes the word modulo M).
 *
 * LSTM (int8 input/hidden, int8 weights, int32 bias, int16 cell, no CIFG,
 * peephole, projection or layer norm: what TFLM's kernel accepts). Per time step
 * and batch row, for each unit u (gates k = input, forget, cell, output):
 *   g_k   = act_k(sat16(sat16(rq_k(W_k[u].x + bi_k[u])) + sat16(rr_k(R_k[u].h + br_k[u]))))   (Q3.12 -> Q0.15)
 *   c[u]  = clip(sat16(sat16(mul(g_f, c[u])) + sat16(mul(g_i, g_c))))
 *   out[u]= clamp8(h_zp + mul(tanh(c[u]), g_o))
 * act is sigmoid for i, f, o and the layer's activation (TANH or SIGMOID) for
 * the cell gate, both by TFLM's interpolated 256-entry sigmoid table; the new
 * hidden row is written to the output first and copied to the hidden state once
 * the row is done, so the kernel needs no scratch (TFLM's needs four int16
 * gate buffers of batch * units).
 */
#ifndef MCU_RECURRENT_H
#define MCU_RECURRENT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* TFLM's MultiplyByQuantizedMultiplier (shift -e, 1 <= e <= 31) plus a zero point as one 64-bit multiply-
 * accumulate: (bias[a < 0] + a * mult) >> (31 + e), the high word shifted by e1 = e - 1 (exact_requant in
 * mcugen/ops/lstm.py proves it and checks that nothing leaves int64). */
typedef struct {
    int64_t bias[2];
    int32_t mult, e1;
} mcu_rec_rq_t;

static inline int32_t mcu_rec_rq(int32_t a, const mcu_rec_rq_t *q)
{
    const int64_t acc = q->bias[(uint32_t)a >> 31] + (int64_t)a * q->mult;
    return (int32_t)(acc >> 32) >> q->e1;
}

typedef struct {
    int32_t batches, input_size, filters, units, rank, memory;
    int32_t state_zero_point, output_zero_point;
    int32_t mult1, shift1;            /* input * feature weights -> state (the general requantization) */
    int32_t mult2, shift2;            /* state * time weights -> output */
    int32_t exact;                    /* 1: both take rq1 / rq2 (mcu_rec_rq) */
    mcu_rec_rq_t rq1;                 /* -> state, no zero point (it is added after the clamp) */
    mcu_rec_rq_t rq2;                 /* -> output, the output zero point included */
    uint32_t head_offset;             /* bytes from the state's start to its ring position word */
    int32_t blocked;                  /* 1: rank 1, int8 state, memory % 4 == 0, exact: the feature weights of
                                       * the first filters & ~3 filters in weights_blocks, the others' rows in
                                       * weights_feature */
    const int32_t *weights_blocks;    /* [filters / 4][ceil(input_size / 4)][4 filters]: 4 weights per word */
    const int8_t *weights_feature;    /* [filters][input_size] (blocked: the rows after the blocks) */
    const int8_t *weights_time8;      /* [filters][2 * memory]: each row twice (mcu_svdf_s8_*_once: [filters]
                                       * [memory], once), int8 state (NULL otherwise) */
    const int16_t *weights_time16;    /* the same for an int16 state */
    const int32_t *feature_bias;      /* [filters]: -x_zp * sum_i wf[f][i] */
    const int32_t *unit_bias;         /* [units + 1]: bias[u] - state_zp * sum_{f in u} sum_m wt[f][m], then 0 */
} mcu_svdf_params_t;

/* SVDF with int16 state and time weights. */
void mcu_svdf_s8_s16(const mcu_svdf_params_t *p, const int8_t *input, int16_t *state, int8_t *output);
/* SVDF with int8 state and time weights. */
void mcu_svdf_s8_s8(const mcu_svdf_params_t *p, const int8_t *input, int8_t *state, int8_t *output);
/* The same with each time-weights row stored once (--optimize size; blocked never set). */
void mcu_svdf_s8_s16_once(const mcu_svdf_params_t *p, const int8_t *input, int16_t *state, int8_t *output);
void mcu_svdf_s8_s8_once(const mcu_svdf_params_t *p, const int8_t *input, int8_t *state, int8_t *output);

#define MCU_LSTM_GATES 4 /* input, forget, cell, output (TFLM's tensor order) */

#define MCU_LSTM_RQ_FORGET 8 /* rq[0..3]: input FCs, rq[4..7]: recurrent FCs, then forget, update, hidden */
#define MCU_LSTM_RQ_UPDATE 9
#define MCU_LSTM_RQ_HIDDEN 10 /* the hidden zero point included */

typedef struct {
    int32_t time_steps, batches, input_size, units;
    int32_t time_major;                               /* 1: input [T, B, I]; 0: [B, T, I] */
    /* int8 weights widened to int16, two per word (low half first): per unit, per group of 4 columns
     * c0..c3, each gate's (c0, c2), (c1, c3) in turn, zero-padded: [units][ceil(input_size / 4)][4][2] and
     * [units][ceil(units / 4)][4][2] words */
    const int32_t *input_weights;
    const int32_t *recurrent_weights;
    const int32_t *input_bias;                        /* [units][4]: bias - x_zp * row sums */
    const int32_t *recurrent_bias;                    /* [units][4]: -h_zp * row sums */
    int32_t input_mult[MCU_LSTM_GATES], input_shift[MCU_LSTM_GATES];        /* -> Q3.12 */
    int32_t recurrent_mult[MCU_LSTM_GATES], recurrent_shift[MCU_LSTM_GATES];
    int32_t cell_gate_tanh;                           /* 1: tanh, 0: sigmoid */
    int32_t forget_mult, forget_shift;                /* Q0.15 * cell -> cell */
    int32_t update_mult, update_shift;                /* Q0.15 * Q0.15 -> cell */
    int32_t hidden_mult, hidden_shift, hidden_zero_point; /* Q0.15 * Q0.15 -> hidden */
    int32_t cell_clip;                                /* quantized |cell| bound; 0: no clipping */
    int32_t cell_tanh_mult, cell_tanh_shift;          /* tanh(cell) input scaling (TFLM's 3 << k or 3 >> k) */
    const uint16_t *sigmoid_table;                    /* sigmoid(i / 24) in 0.16, 256 entries */
    int32_t exact_requant;                            /* 1: every requantization takes rq[] (mcu_rec_rq) */
    mcu_rec_rq_t rq[11];                              /* see MCU_LSTM_RQ_FORGET */
} mcu_lstm_params_t;

void mcu_lstm_s8(const mcu_lstm_params_t *p, const int8_t *input, int8_t *hidden_state, int16_t *cell_state,
                 int8_t *output);

/* 16x8 LSTM: int16 input / hidden / output (zero points 0), int8 weights, int64 biases, int16 cell. */
typedef struct {
    int32_t time_steps, batches, input_size, units, time_major;
    const int8_t *input_weights[MCU_LSTM_GATES];      /* [units][input_size] */
    const int8_t *recurrent_weights[MCU_LSTM_GATES];  /* [units][units] */
    const int64_t *input_bias[MCU_LSTM_GATES];        /* [units] */
    int32_t input_mult[MCU_LSTM_GATES], input_shift[MCU_LSTM_GATES];        /* 16-bit (reduced) -> Q3.12 */
    int32_t recurrent_mult[MCU_LSTM_GATES], recurrent_shift[MCU_LSTM_GATES];
    int32_t cell_gate_tanh;
    int32_t forget_mult, forget_shift, update_mult, update_shift;
    int32_t hidden_mult, hidden_shift, hidden_zero_point;
    int32_t cell_clip, cell_tanh_mult, cell_tanh_shift;
    const uint16_t *sigmoid_table;
} mcu_lstm_s16_params_t;

void mcu_lstm_s16(const mcu_lstm_s16_params_t *p, const int16_t *input, int16_t *hidden_state, int16_t *cell_state,
                  int16_t *output);

/* float32 SVDF: TFLM's reference float SVDF (state starts at 0; the fused activation applies). */
typedef struct {
    int32_t batches, input_size, filters, units, rank, memory;
    float act_min, act_max;
    const float *weights_feature; /* [filters][input_size] */
    const float *weights_time;    /* [filters][memory] */
    const float *bias;            /* [units] or NULL */
} mcu_svdf_f32_params_t;

void mcu_svdf_f32(const mcu_svdf_f32_params_t *p, const float *input, float *state, float *output);

/* float32 LSTM (the same standard form as the int8 one; hidden and cell state start at 0). */
typedef struct {
    int32_t time_steps, batches, input_size, units, time_major;
    const float *input_weights;                     /* [units][input_size][4 gates] (gates side by side) */
    const float *recurrent_weights;                 /* [units][units][4 gates] */
    const float *bias[MCU_LSTM_GATES];              /* [units] */
    int32_t cell_gate_tanh;                         /* 1: tanh, 0: logistic */
    float cell_clip;                                /* 0: no clipping */
} mcu_lstm_f32_params_t;

void mcu_lstm_f32(const mcu_lstm_f32_params_t *p, const float *input, float *hidden_state, float *cell_state,
                  float *output);

/*
 * exp, logistic and tanh in float for the float and hybrid LSTM kernels, faster than a C library's (newlib's
 * expf is a few hundred instructions on Cortex-M4) and within 2 ulp of exp where the result is normal:
 * x = n ln2 + r (Cody-Waite, |r| <= ln2 / 2), e^r by its degree-7 Taylor polynomial (truncation below
 * 6e-9 relative), times 2^n built in two halves (n up to +-128 stays a normal power). Below -87.33: 0
 * (where exp is subnormal); above 88.72: infinity; NaN stays NaN.
 */
static inline float mcu_rec_pow2i(int32_t n) /* 2^n for -126 <= n <= 127 */
{
    union {
        uint32_t u;
        float f;
    } v;
    v.u = (uint32_t)(n + 127) << 23;
    return v.f;
}

static inline float mcu_rec_expf(float x)
{
    if (!(x >= -87.33654f)) {
        return x != x ? x : 0.0f;
    }
    if (x > 88.72283f) {
        return HUGE_VALF;
    }
    const float t = x * 1.44269504f;
    const int32_t n = (int32_t)(t + (t < 0.0f ? -0.5f : 0.5f));
    const float fn = (float)n;
    const float r = (x - fn * 0.693145751953125f) - fn * 1.428606765330187e-6f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t half = n / 2;
    return (p * mcu_rec_pow2i(half)) * mcu_rec_pow2i(n - half);
}

/* tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2 |x|): absolute error a few 1e-8 (near 0 the quotient loses
 * relative precision, not absolute); +-1 beyond |x| = 9 (tanh differs from 1 there by under 3e-8) */
static inline float mcu_rec_tanhf(float x)
{
    const float a = x < 0.0f ? -x : x;
    if (a > 9.0f) {
        return x < 0.0f ? -1.0f : 1.0f;
    }
    const float e = mcu_rec_expf(-2.0f * a);
    const float t = (1.0f - e) / (1.0f + e);
    return x < 0.0f ? -t : t;
}

#endif /* MCU_RECURRENT_H */
