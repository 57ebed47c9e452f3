/*
 * mcu_lstm_hybrid.c - hybrid UNIDIRECTIONAL_SEQUENCE_LSTM (see mcu_recurrent_hybrid.h), LiteRT's
 * LstmStepHybrid one batch row at a time (every step of it is per row: the quantization, the gate
 * products, the cell update), in LiteRT's float order.
 */
#include <math.h>

#include "mcu_hybrid.h"
#include "mcu_recurrent.h"
#include "mcu_recurrent_hybrid.h"

/* row quantization: returns the scale (0: an all-zero row, whose products are all 0) */
static float lstm_hy_quantize(const float *x, int32_t n, int32_t asym, int8_t *q, int32_t *zp)
{
    mcu_rhy_pad(q, n);
    if (asym) {
        return mcu_hybrid_quantize_asym(x, n, q, zp);
    }
    *zp = 0;
    return mcu_hybrid_quantize_sym(x, n, q);
}

/* LiteRT: 1 / (1 + std::exp(-v)), with the C library's expf and tanhf as LiteRT (a faster exp within 2 ulp moved
 * some outputs by 5e-4 of the range: an ulp in the state can move its quantized value by one) */
static float lstm_hy_sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

static float lstm_hy_act(int32_t act, float v)
{
    switch (act) {
    case MCU_HYACT_RELU:
        return v < 0.0f ? 0.0f : v;
    case MCU_HYACT_RELU6:
        return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    case MCU_HYACT_RELU_N1_TO_1:
        return v < -1.0f ? -1.0f : (v > 1.0f ? 1.0f : v);
    default:
        return tanhf(v);
    }
}

static float lstm_hy_clip(float v, float clip)
{
    if (v > clip) {
        return clip;
    }
    return v < -clip ? -clip : v;
}

/* LiteRT's MeanStddevNormalization of one row, then * coef + bias */
static void lstm_hy_layer_norm(float *g, int32_t n, const float *coef, const float *bias)
{
    float sum = 0.0f;
    for (int32_t u = 0; u < n; u++) {
        sum += g[u];
    }
    const float mean = sum / (float)n;
    float sq = 0.0f;
    for (int32_t u = 0; u < n; u++) {
        const float d = g[u] - mean;
        sq += d * d;
    }
    const float variance = sq / (float)n;
    const float inv = 1.0f / sqrtf(variance + 1e-8f);
    for (int32_t u = 0; u < n; u++) {
        g[u] = (g[u] - mean) * inv;
    }
    for (int32_t u = 0; u < n; u++) {
        g[u] = coef[u] * g[u];
    }
    for (int32_t u = 0; u < n; u++) {
        g[u] += bias[u];
    }
}

typedef struct {
    const int8_t *qx, *qh;
    float sx, sh;
    int32_t zx, zh;
} lstm_hy_row_t;

/* one gate k of one row (peephole index pk: 0 input, 1 forget, 2 output; -1: none) */
static void lstm_hy_gate(const mcu_lstm_hybrid_params_t *p, int32_t k, int32_t pk, const lstm_hy_row_t *r,
                         const float *cell, int32_t sigmoid, float *g)
{
    const int32_t n = p->units;
    const int32_t ln = p->layer_norm[k] != NULL;
    for (int32_t u = 0; u < n; u++) {
        g[u] = ln ? 0.0f : p->bias[k][u];
    }
    if (r->sx != 0.0f) {
        mcu_rhy_matvec(p->input_weights[k], n, p->input_size, r->qx, r->sx * p->input_scale[k], r->zx,
                       p->input_row_sums[k], g);
    }
    if (r->sh != 0.0f) {
        mcu_rhy_matvec(p->recurrent_weights[k], n, p->output_size, r->qh, r->sh * p->recurrent_scale[k], r->zh,
                       p->recurrent_row_sums[k], g);
    }
    if (pk >= 0 && p->peephole[pk] != NULL) {
        const float *w = p->peephole[pk];
        for (int32_t u = 0; u < n; u++) {
            g[u] += w[u] * cell[u];
        }
    }
    if (ln) {
        lstm_hy_layer_norm(g, n, p->layer_norm[k], p->bias[k]);
    }
    if (sigmoid) {
        for (int32_t u = 0; u < n; u++) {
            g[u] = lstm_hy_sigmoid(g[u]);
        }
    } else {
        for (int32_t u = 0; u < n; u++) {
            g[u] = lstm_hy_act(p->activation, g[u]);
        }
    }
}

static void lstm_hy_row(const mcu_lstm_hybrid_params_t *p, const float *x, float *h, float *c, float *out,
                        uint8_t *scratch)
{
    const int32_t n = p->units, no = p->output_size;
    int8_t *qx = (int8_t *)scratch;
    int8_t *qh = qx + MCU_LSTM_HYBRID_ALIGN4(p->input_size);
    int8_t *qm = qh + MCU_LSTM_HYBRID_ALIGN4(no);
    float *gi = (float *)(void *)(qm + MCU_LSTM_HYBRID_ALIGN4(n));
    float *gf = gi + n, *gc = gf + n, *go = gc + n, *m = go + n;
    const int32_t cifg = p->input_weights[0] == NULL;
    lstm_hy_row_t r;
    r.qx = qx;
    r.qh = qh;
    r.sx = lstm_hy_quantize(x, p->input_size, p->asymmetric, qx, &r.zx);
    r.sh = lstm_hy_quantize(h, no, p->asymmetric, qh, &r.zh);
    if (!cifg) {
        lstm_hy_gate(p, 0, 0, &r, c, 1, gi);
    }
    lstm_hy_gate(p, 1, 1, &r, c, 1, gf);
    lstm_hy_gate(p, 2, -1, &r, c, 0, gc);
    for (int32_t u = 0; u < n; u++) {
        c[u] = gf[u] * c[u];
    }
    if (cifg) {
        for (int32_t u = 0; u < n; u++) {
            c[u] += gc[u] * (1.0f - gf[u]);
        }
    } else {
        for (int32_t u = 0; u < n; u++) {
            c[u] += gc[u] * gi[u];
        }
    }
    if (p->cell_clip > 0.0f) {
        for (int32_t u = 0; u < n; u++) {
            c[u] = lstm_hy_clip(c[u], p->cell_clip);
        }
    }
    lstm_hy_gate(p, 3, 2, &r, c, 1, go);
    for (int32_t u = 0; u < n; u++) {
        m[u] = go[u] * lstm_hy_act(p->activation, c[u]);
    }
    if (p->projection_weights == NULL) {
        for (int32_t u = 0; u < n; u++) {
            h[u] = m[u];
        }
    } else {
        for (int32_t o = 0; o < no; o++) {
            h[o] = p->projection_bias != NULL ? p->projection_bias[o] : 0.0f;
        }
        int32_t zm;
        const float sm = lstm_hy_quantize(m, n, p->asymmetric, qm, &zm);
        if (sm != 0.0f) {
            mcu_rhy_matvec(p->projection_weights, no, n, qm, sm * p->projection_scale, zm, p->projection_row_sums, h);
        }
        if (p->proj_clip > 0.0f) {
            for (int32_t o = 0; o < no; o++) {
                h[o] = lstm_hy_clip(h[o], p->proj_clip);
            }
        }
    }
    for (int32_t o = 0; o < no; o++) {
        out[o] = h[o];
    }
}

void mcu_lstm_hybrid(const mcu_lstm_hybrid_params_t *p, const float *input, float *output_state,
                     float *cell_state, float *output, void *scratch)
{
    const size_t in = (size_t)p->input_size, n = (size_t)p->units, no = (size_t)p->output_size;
    for (int32_t b = 0; b < p->batches; b++) {
        for (int32_t t = 0; t < p->time_steps; t++) {
            const size_t row = p->time_major ? (size_t)t * (size_t)p->batches + (size_t)b
                                             : (size_t)b * (size_t)p->time_steps + (size_t)t;
            lstm_hy_row(p, input + row * in, output_state + (size_t)b * no, cell_state + (size_t)b * n,
                        output + row * no, (uint8_t *)scratch);
        }
    }
}
