/*
 * mcu_recurrent_hybrid.h - hybrid (dynamic-range) recurrent and matmul layers: float32 activations and
 * state, int8 constant weights with one scale per tensor, float32 biases; the float operands quantized at
 * run time per row (symmetric, or asymmetric with asymmetric_quantize_inputs) by mcu_hybrid.h, as desktop
 * TFLite's (LiteRT's) reference kernels do. TFLM has no hybrid kernels.
 *
 * UNIDIRECTIONAL_SEQUENCE_LSTM (LiteRT's EvalHybrid / LstmStepHybrid), per time step and batch row:
 *   quantize x (input_size values) and h (output_size values): (qx, sx, zx), (qh, sh, zh)
 *   per gate k (input, forget, cell, output; no input gate with CIFG):
 *     g = bias_k (0 with layer norm)
 *     g += (float)(Wk . qx - zx * rowsum) * (sx * wscale_k)       (skipped for an all-zero x)
 *     g += (float)(Rk . qh - zh * rowsum) * (sh * rscale_k)       (skipped for an all-zero h)
 *     peephole (i, f: old cell; o: new cell): g += (w_ck * scale) * c
 *     layer norm: g = (g - mean) / sqrt(var + 1e-8) * coef_k + bias_k
 *     i, f, o: 1 / (1 + exp(-g)); cell gate: the layer's activation
 *   c = f * c; c += g_c * i (CIFG: g_c * (1 - f)); clipped to +-cell_clip when cell_clip > 0
 *   m = o * act(c); without projection h = m; with projection h = proj_bias (or 0) + the hybrid product
 *   of the quantized m with the projection weights, clipped to +-proj_clip when proj_clip > 0
 *   the output row is h.
 * LiteRT reads one weight scale (the legacy per-tensor scale) and so does this kernel: per-channel
 * weights are refused at compile time.
 */
#ifndef MCU_RECURRENT_HYBRID_H
#define MCU_RECURRENT_HYBRID_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/*
 * int8 weight rows are stored with a stride of cols rounded up to 4 (zero-filled), and the quantized row q
 * (4-byte aligned) is zero-filled to the same length, so both are read a word at a time.
 */
#define MCU_RHY_STRIDE(cols) ((((int32_t)(cols)) + 3) & ~3)

/* zero the bytes q[n .. stride(n)) */
static inline void mcu_rhy_pad(int8_t *q, int32_t n)
{
    for (int32_t j = n; j < MCU_RHY_STRIDE(n); j++) {
        q[j] = 0;
    }
}

static inline uint32_t mcu_rhy_word(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

#if defined(__ARM_FEATURE_DSP)
static inline int32_t mcu_rhy_sxtb16_ror8(uint32_t x) /* bytes 1 and 3 sign-extended to two halves */
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#endif

/* d[0] = w0 . q, d[1] = w1 . q over `stride` (a multiple of 4) values; w1 may equal w0 */
static inline void mcu_rhy_dot2(const int8_t *w0, const int8_t *w1, const int8_t *q, int32_t stride, int32_t *d)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t a = 0, b = 0;
    for (int32_t j = 0; j < stride; j += 4) {
        const uint32_t qw = mcu_rhy_word(q + j);
        const int32_t q02 = __sxtb16((int32_t)qw), q13 = mcu_rhy_sxtb16_ror8(qw);
        const uint32_t x = mcu_rhy_word(w0 + j), y = mcu_rhy_word(w1 + j);
        a = __smlad(__sxtb16((int32_t)x), q02, a);
        a = __smlad(mcu_rhy_sxtb16_ror8(x), q13, a);
        b = __smlad(__sxtb16((int32_t)y), q02, b);
        b = __smlad(mcu_rhy_sxtb16_ror8(y), q13, b);
    }
    d[0] = a;
    d[1] = b;
#else
    int32_t a = 0, b = 0;
    for (int32_t j = 0; j < stride; j++) {
        a += (int32_t)w0[j] * q[j];
        b += (int32_t)w1[j] * q[j];
    }
    d[0] = a;
    d[1] = b;
#endif
}

/* g[r] += (float)(W[r] . q - zp * row_sums[r]) * scale for the rows of W [rows][stride(cols)] */
static inline void mcu_rhy_matvec(const int8_t *w, int32_t rows, int32_t cols, const int8_t *q, float scale,
                                  int32_t zp, const int32_t *row_sums, float *g)
{
    const int32_t stride = MCU_RHY_STRIDE(cols);
    for (int32_t r = 0; r < rows; r += 2) {
        const int8_t *w0 = w + (size_t)r * (size_t)stride;
        const int32_t two = r + 1 < rows;
        int32_t d[2];
        mcu_rhy_dot2(w0, two ? w0 + stride : w0, q, stride, d);
        for (int32_t k = 0; k <= two; k++) {
            int32_t dot = d[k];
            if (row_sums != NULL && zp != 0) {
                dot = (int32_t)((uint32_t)dot - (uint32_t)row_sums[r + k] * (uint32_t)zp);
            }
            g[r + k] += (float)dot * scale;
        }
    }
}

#define MCU_LSTM_HYBRID_GATES 4 /* input, forget, cell, output (TFLite's tensor order) */

/* the cell gate's and the cell output's activation (the LSTM's fused activation) */
#define MCU_HYACT_TANH 0
#define MCU_HYACT_RELU 1
#define MCU_HYACT_RELU6 2
#define MCU_HYACT_RELU_N1_TO_1 3

typedef struct {
    int32_t time_steps, batches, input_size, units, output_size;
    int32_t time_major;                                      /* 1: input [T, B, I]; 0: [B, T, I] */
    int32_t asymmetric;                                      /* asymmetric_quantize_inputs */
    int32_t activation;                                      /* MCU_HYACT_* */
    float cell_clip, proj_clip;                              /* 0: no clipping */
    const int8_t *input_weights[MCU_LSTM_HYBRID_GATES];      /* [units][stride(input_size)]; [0] NULL: CIFG */
    const int8_t *recurrent_weights[MCU_LSTM_HYBRID_GATES];  /* [units][stride(output_size)] */
    float input_scale[MCU_LSTM_HYBRID_GATES], recurrent_scale[MCU_LSTM_HYBRID_GATES];
    const int32_t *input_row_sums[MCU_LSTM_HYBRID_GATES];    /* asymmetric only (else NULL) */
    const int32_t *recurrent_row_sums[MCU_LSTM_HYBRID_GATES];
    const float *bias[MCU_LSTM_HYBRID_GATES];                /* [units]; [0] NULL with CIFG */
    const float *peephole[3];                                /* input, forget, output: w * scale; NULL: none */
    const float *layer_norm[MCU_LSTM_HYBRID_GATES];          /* [units] coefficients; all NULL: none */
    const int8_t *projection_weights;                        /* [output_size][stride(units)]; NULL: none */
    float projection_scale;
    const int32_t *projection_row_sums;                      /* asymmetric only */
    const float *projection_bias;                            /* [output_size] or NULL */
} mcu_lstm_hybrid_params_t;

/* Scratch bytes the kernel needs (the generator computes the same number). */
#define MCU_LSTM_HYBRID_ALIGN4(n) ((((size_t)(n)) + 3u) & ~(size_t)3u)
#define MCU_LSTM_HYBRID_SCRATCH(input_size, units, output_size)                                   \
    (MCU_LSTM_HYBRID_ALIGN4(input_size) + MCU_LSTM_HYBRID_ALIGN4(output_size) +                 \
     MCU_LSTM_HYBRID_ALIGN4(units) + 5u * 4u * (size_t)(units))

void mcu_lstm_hybrid(const mcu_lstm_hybrid_params_t *p, const float *input, float *output_state,
                     float *cell_state, float *output, void *scratch);

/*
 * SVDF (LiteRT's EvalHybridSVDF): the float state [batch][filters][memory] moves one element to the left;
 * each batch row of the input is quantized (one scale, and a zero point when asymmetric); the newest
 * state column of filter f gets (float)(Wf . q - zp * rowsum_f) * (row_scale * feature_scale) (0 for an
 * all-zero input); then as the float SVDF: per filter sum_m state * time weight (float, dequantized
 * w * scale), per unit bias + the rank filters' sums in order, then the fused activation.
 */
typedef struct {
    int32_t batches, input_size, filters, units, rank, memory;
    int32_t asymmetric;
    int32_t clamp;                      /* 0: no activation */
    float act_min, act_max;
    float feature_scale;
    const int8_t *weights_feature;      /* [filters][stride(input_size)] */
    const int32_t *row_sums;            /* [filters], asymmetric only */
    const float *weights_time;          /* [filters][memory], dequantized */
    const float *bias;                  /* [units] or NULL */
} mcu_svdf_hybrid_params_t;

#define MCU_SVDF_HYBRID_SCRATCH(input_size) MCU_LSTM_HYBRID_ALIGN4(input_size) /* the quantized row */

void mcu_svdf_hybrid(const mcu_svdf_hybrid_params_t *p, const float *input, float *state, float *output,
                     void *scratch);

/*
 * BATCH_MATMUL with a float LHS and a constant int8 RHS (LiteRT's EvalHybrid): each LHS row (k values,
 * after adj_x) is quantized; out[b][i][j] = scale_i * (float)t, t = sum_k q[i][k] * rhs[k][j] converted
 * as LiteRT does: t = (int32_t)((float)t - (float)rowsum_j * (float)zp_i) when asymmetric; scale_i = row
 * scale * rhs scale.
 */
typedef struct {
    int32_t batch[3];                   /* output batch extents (padded to 3) */
    int32_t lhs_batch_stride[3], rhs_batch_stride[3];
    int32_t m, n, k;
    int32_t lhs_m_stride, lhs_k_stride;
    int32_t asymmetric;
    float rhs_scale;
    const int8_t *rhs;                  /* constant: stored [rhs batches][n][stride(k)] (transposed at build time) */
    const int32_t *col_sums;            /* [rhs batches][n], asymmetric only */
} mcu_batch_matmul_hybrid_params_t;

void mcu_batch_matmul_hybrid(const mcu_batch_matmul_hybrid_params_t *p, const float *lhs, float *output,
                             void *scratch);

#endif /* MCU_RECURRENT_HYBRID_H */
