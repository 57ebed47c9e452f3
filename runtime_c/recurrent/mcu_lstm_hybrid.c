/*
 * mcu_lstm_hybrid.c - hybrid UNIDIRECTIONAL_SEQUENCE_LSTM (see mcu_recurrent_hybrid.h), LiteRT's
 * LstmStepHybrid one batch row at a time (every step of it is per row: the quantization, the gate
 * products, the cell update), in LiteRT's float order.
 */
#include <math.h>

#include "mcu_hybrid.h"
#include "mcu_recurrent.h"
#include "mcu_recurrent_hybrid.h"

/*
 * LiteRT's LSTM (measured, bit for bit over 224 random cases): the asymmetric row scale it multiplies by is the
 * float (rmax - rmin) / 255 that mcu_hybrid_quantize_asym returns, but its zero point is chosen in double, from
 * the double scale (rmax - rmin) / 255: qmin - rmin / scale or qmax - rmax / scale (the one with the smaller
 * error), rounded half away from zero. mcu_hybrid_quantize_asym chooses it in float; the two differ where the
 * float quotient rounds onto a half (e.g. rmin = -1, rmax = 1 - 2^-22: float -0.5 -> -1, double -0.49999 -> 0),
 * and the row is then quantized again with LiteRT's zero point.
 */
static void lstm_hy_zero_point_double(const float *x, int32_t n, float scale, int8_t *q, int32_t *zp)
{
    const double qmin = -128.0, qmax = 127.0;
    float mn = x[0], mx = x[0];
    for (int32_t i = 1; i < n; i++) {
        mn = x[i] < mn ? x[i] : mn;
        mx = x[i] > mx ? x[i] : mx;
    }
    const double rmin = mn < 0.0f ? (double)mn : 0.0, rmax = mx > 0.0f ? (double)mx : 0.0;
    const double s = (rmax - rmin) / (qmax - qmin);
    const double lo_q = rmin / s, hi_q = rmax / s;
    const double zp_min = qmin - lo_q, zp_max = qmax - hi_q;
    const double err_min = -qmin + (lo_q < 0.0 ? -lo_q : lo_q), err_max = qmax + (hi_q < 0.0 ? -hi_q : hi_q);
    const double z = err_min < err_max ? zp_min : zp_max;
    if (!(z > -1.0e6 && z < 1.0e6)) { /* a row with an infinity or a NaN: left to mcu_hybrid_quantize_asym */
        return;
    }
    int32_t nudged;
    if (z <= qmin) {
        nudged = -128;
    } else if (z >= qmax) {
        nudged = 127;
    } else { /* round half away from zero, without the double rounding of z + 0.5 */
        nudged = (int32_t)z;
        const double frac = z - (double)nudged;
        nudged += frac >= 0.5 ? 1 : (frac <= -0.5 ? -1 : 0);
    }
    if (nudged == *zp) {
        return;
    }
    const float inv = 1.0f / scale;
    for (int32_t i = 0; i < n; i++) {
        q[i] = (int8_t)(mcu_hybrid_round_clamp(x[i] * inv, -128 - nudged, 127 - nudged) + nudged);
    }
    *zp = nudged;
}

/* row quantization: returns the scale (0: an all-zero row, whose products are all 0) */
static float lstm_hy_quantize(const float *x, int32_t n, int32_t asym, int8_t *q, int32_t *zp)
{
    mcu_rhy_pad(q, n);
    if (asym) {
        const float scale = mcu_hybrid_quantize_asym(x, n, q, zp);
        if (scale != 0.0f) {
            lstm_hy_zero_point_double(x, n, scale, q, zp);
        }
        return scale;
    }
    *zp = 0;
    return mcu_hybrid_quantize_sym(x, n, q);
}

/*
 * LiteRT's float sigmoid and tanh. The LSTM applies them through tensor_utils ApplySigmoidToVector /
 * ApplyTanhToVector, which are Eigen's array logistic() and tanh() over a Map of the gate vector; measured bit for
 * bit against ai-edge-litert 2.3 on x86-64 (SSE, 4-float packets, no FMA):
 *  - tanh: Eigen's ptanh_float (the [9,8] rational), the same function for the packets and for the scalar head
 *    and tail: x clamped to +-7.90738964080810547 (the non-FMA clamp), x * (1 + x^2 P(x^2)) / Q(x^2), Horner in
 *    x^2, every product and sum rounded apart.
 *  - sigmoid: two functions. A full 4-float packet aligned to 16 bytes gets Eigen's packet logistic
 *    (exp(x) / (1 + exp(x)) with its own exp: x halved, Cephes range reduction, a degree-5 polynomial, 2^m from
 *    the exponent bits, squared); the elements before the first 16-byte boundary and after the last full packet
 *    get the scalar operator: e = expf(min(x, 16.6355324)), e / (1 + e), with the C library's expf (glibc's,
 *    replayed below). Which
 *    elements are which follows from where the gate sits in LiteRT's scratch buffer (see lstm_hy_vec_t).
 * The products and sums are separate statements: a fused multiply-add (contraction, e.g. vfma on an FPU build
 * in GNU C mode) would change the bits; the library compiles as ISO C99, where gcc does not contract.
 */
#define LSTM_HY_EXP_HI 16.6355324f

static float lstm_hy_madd(float a, float b, float c)
{
    const float t = a * b;
    return t + c;
}

static float lstm_hy_tanh(float a)
{
    static const float al[4] = {1.394553628e-8f, 2.102733560e-5f, 3.520756727e-3f, 1.340216100e-1f};
    static const float be[5] = {8.015776984e-7f, 3.326951409e-4f, 2.597254514e-2f, 4.673548340e-1f, 1.0f};
    const float clamp = 7.90738964080810547f;
    if (a != a) {
        return a;
    }
    float x = a < clamp ? a : clamp;
    x = x > -clamp ? x : -clamp;
    const float x2 = x * x;
    const float x3 = x2 * x;
    float num = al[0];
    for (int i = 1; i < 4; i++) {
        num = lstm_hy_madd(num, x2, al[i]);
    }
    float den = be[0];
    for (int i = 1; i < 5; i++) {
        den = lstm_hy_madd(den, x2, be[i]);
    }
    num = lstm_hy_madd(x3, num, x);
    return num / den;
}

/* Eigen's packet logistic, one lane */
static float lstm_hy_sigmoid_packet(float x0)
{
    if (x0 != x0) {
        return x0;
    }
    if (x0 < -104.0f) {
        return 0.0f;
    }
    float x = x0 < LSTM_HY_EXP_HI ? x0 : LSTM_HY_EXP_HI;
    x = x * 0.5f; /* [-52, 8.32] */
    const float v = lstm_hy_madd(x, 1.44269504088896341f, 0.5f);
    float m = (float)(int32_t)v; /* floor, |v| < 76 */
    if (m > v) {
        m -= 1.0f;
    }
    float r = lstm_hy_madd(m, -0.693359375f, x);
    r = lstm_hy_madd(m, 2.12194440e-4f, r);
    const float r2 = r * r;
    const float p_even = lstm_hy_madd(r2, 4.1898667812347412109375e-2f, 0.49999141693115234375f);
    const float p_odd = lstm_hy_madd(r2, 8.33471305668354034423828125e-3f, 0.16666877269744873046875f);
    const float p_low = r + 1.0f;
    float p = lstm_hy_madd(r, p_odd, p_even);
    p = lstm_hy_madd(r2, p, p_low);
    union {
        uint32_t u;
        float f;
    } two_m;
    two_m.u = (uint32_t)((int32_t)m + 127) << 23; /* m in [-75, 12]: a normal power of 2 */
    float e = p * two_m.f;
    e = e * e;
    return e / (1.0f + e);
}

/*
 * expf as glibc's (the ARM optimized-routines algorithm that LiteRT's std::exp reaches on x86-64 Linux):
 * k = round(x * 32 / ln 2), 2^(k/32) from a table of 2^(i/32) (correctly rounded doubles, less i << 47), a cubic
 * in r = x * 32 / ln 2 - k, all in double, rounded once to float. Written out so that a target whose C library
 * computes expf otherwise (newlib's fdlibm expf on Cortex-M with a single-precision FPU) gives the same bits;
 * the double arithmetic is IEEE (soft-float there), so it is exact to replay. Only the scalar sigmoid uses it.
 */
static const uint64_t lstm_hy_exp2_tab[32] = {
    UINT64_C(0x3ff0000000000000), UINT64_C(0x3fefd9b0d3158574), UINT64_C(0x3fefb5586cf9890f), UINT64_C(0x3fef9301d0125b51),
    UINT64_C(0x3fef72b83c7d517b), UINT64_C(0x3fef54873168b9aa), UINT64_C(0x3fef387a6e756238), UINT64_C(0x3fef1e9df51fdee1),
    UINT64_C(0x3fef06fe0a31b715), UINT64_C(0x3feef1a7373aa9cb), UINT64_C(0x3feedea64c123422), UINT64_C(0x3feece086061892d),
    UINT64_C(0x3feebfdad5362a27), UINT64_C(0x3feeb42b569d4f82), UINT64_C(0x3feeab07dd485429), UINT64_C(0x3feea47eb03a5585),
    UINT64_C(0x3feea09e667f3bcd), UINT64_C(0x3fee9f75e8ec5f74), UINT64_C(0x3feea11473eb0187), UINT64_C(0x3feea589994cce13),
    UINT64_C(0x3feeace5422aa0db), UINT64_C(0x3feeb737b0cdc5e5), UINT64_C(0x3feec49182a3f090), UINT64_C(0x3feed503b23e255d),
    UINT64_C(0x3feee89f995ad3ad), UINT64_C(0x3feeff76f2fb5e47), UINT64_C(0x3fef199bdd85529c), UINT64_C(0x3fef3720dcef9069),
    UINT64_C(0x3fef5818dcfba487), UINT64_C(0x3fef7c97337b9b5f), UINT64_C(0x3fefa4afa2a490da), UINT64_C(0x3fefd0765b6e4540),
};

static float lstm_hy_expf(float x)
{
    union {
        float f;
        uint32_t u;
    } in;
    union {
        double d;
        uint64_t u;
    } k, s;
    in.f = x;
    const uint32_t abstop = (in.u >> 20) & 0x7ffu;
    if (abstop >= 0x42bu) { /* |x| >= 88, or not a number */
        if (in.u == 0xff800000u) {
            return 0.0f;
        }
        if (abstop >= 0x7f8u) {
            return x + x;
        }
        if (x > 0x1.62e42ep6f) {
            return INFINITY;
        }
        if (x < -0x1.9fe368p6f) {
            return 0.0f;
        }
    }
    const double z = (0x1.71547652b82fep+0 * 32.0) * (double)x;
    k.d = z + 0x1.8p+52; /* round to an integer: k in the low bits */
    const double kd = k.d - 0x1.8p+52;
    const double r = z - kd;
    s.u = lstm_hy_exp2_tab[k.u % 32u] + (k.u << 47);
    const double c0 = 0x1.c6af84b912394p-5 / 32.0 / 32.0 / 32.0;
    const double c1 = 0x1.ebfce50fac4f3p-3 / 32.0 / 32.0;
    const double c2 = 0x1.62e42ff0c52d6p-1 / 32.0;
    const double t0 = c0 * r;
    const double p01 = t0 + c1;
    const double r2 = r * r;
    const double t2 = c2 * r;
    double y = t2 + 1.0;
    const double t3 = p01 * r2;
    y = t3 + y;
    y = y * s.d;
    return (float)y;
}

/* Eigen's scalar logistic */
static float lstm_hy_sigmoid_scalar(float x)
{
    const float e = lstm_hy_expf(LSTM_HY_EXP_HI < x ? LSTM_HY_EXP_HI : x);
    return e / (1.0f + e);
}

/*
 * Where one batch row of a sigmoid gate sits in the vector LiteRT hands to Eigen: LiteRT's scratch buffer holds
 * the gates [input, cell, forget, output] (CIFG: [cell, forget, output]), each units x batches floats, from a
 * 64-byte aligned start. Batch-major input: LiteRT steps one batch row at a time, the vector is the row;
 * time-major: one step for all rows, the vector is the whole gate. Elements [start, lo) and [hi, end) of the
 * vector take the scalar sigmoid, [lo, hi) the packets (indices in floats from the buffer's start).
 */
typedef struct {
    int32_t row; /* the row's first element */
    int32_t lo, hi;
} lstm_hy_vec_t;

static lstm_hy_vec_t lstm_hy_vec(const mcu_lstm_hybrid_params_t *p, int32_t slot, int32_t b)
{
    const int32_t n = p->units, nb = p->units * p->batches;
    lstm_hy_vec_t v;
    v.row = slot * nb + b * n;
    const int32_t start = p->time_major ? slot * nb : v.row;
    const int32_t len = p->time_major ? nb : n;
    int32_t head = (4 - start % 4) % 4;
    head = head < len ? head : len;
    v.lo = start + head;
    v.hi = v.lo + (len - head) / 4 * 4;
    return v;
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
        return lstm_hy_tanh(v);
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
                         const float *cell, const lstm_hy_vec_t *sigmoid, float *g)
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
    if (sigmoid != NULL) {
        for (int32_t u = 0; u < n; u++) {
            const int32_t at = sigmoid->row + u;
            g[u] = at >= sigmoid->lo && at < sigmoid->hi ? lstm_hy_sigmoid_packet(g[u]) : lstm_hy_sigmoid_scalar(g[u]);
        }
    } else {
        for (int32_t u = 0; u < n; u++) {
            g[u] = lstm_hy_act(p->activation, g[u]);
        }
    }
}

static void lstm_hy_row(const mcu_lstm_hybrid_params_t *p, int32_t b, const float *x, float *h, float *c,
                        float *out, uint8_t *scratch)
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
    /* LiteRT's scratch slots of the input, forget and output gates */
    const lstm_hy_vec_t vi = lstm_hy_vec(p, 0, b), vf = lstm_hy_vec(p, cifg ? 1 : 2, b);
    const lstm_hy_vec_t vo = lstm_hy_vec(p, cifg ? 2 : 3, b);
    if (!cifg) {
        lstm_hy_gate(p, 0, 0, &r, c, &vi, gi);
    }
    lstm_hy_gate(p, 1, 1, &r, c, &vf, gf);
    lstm_hy_gate(p, 2, -1, &r, c, NULL, gc);
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
    lstm_hy_gate(p, 3, 2, &r, c, &vo, go);
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
            lstm_hy_row(p, b, input + row * in, output_state + (size_t)b * no, cell_state + (size_t)b * n,
                        output + row * no, (uint8_t *)scratch);
        }
    }
}
