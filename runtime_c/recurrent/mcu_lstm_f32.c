/*
 * mcu_lstm_f32.c - UNIDIRECTIONAL_SEQUENCE_LSTM in float32 (see mcu_recurrent.h), as TFLM's float LSTM:
 * per gate (W x + b) + R h, then the logistic (TFLM's reference Logistic: 1 above 16.619..., exp(x) below
 * -9, else 1 / (1 + exp(-x))) or tanh for the cell gate; cell = f c + i g, clipped to +-cell_clip when
 * cell_clip > 0; hidden = o tanh(cell). One unit at a time (its gates read only the old hidden row); the
 * new row goes to the output and is copied to the hidden state at the end of the row.
 *
 * Speed: the four gates of a unit are summed in one pass over x and one over h (each gate's sum in TFLM's
 * order, so the sums are TFLM's bit for bit), and exp / tanh are mcu_rec_expf / mcu_rec_tanhf (within 2 ulp
 * of exp; a C library's expf costs a few hundred instructions on Cortex-M): outputs within a few 1e-7 of
 * TFLM's instead of equal.
 */
#include "mcu_recurrent.h"

static float lstm_logistic_f32(float x)
{
    if (x > 16.619047164916992188f) {
        return 1.0f;
    }
    if (x < -9.0f) {
        return mcu_rec_expf(x);
    }
    return 1.0f / (1.0f + mcu_rec_expf(-x));
}

#if defined(__ARM_FP) && (__ARM_FP & 4)
/* a += v * w by VMLA.F32: rounds the product, then the sum (not fused): the same value as v * w then + */
#define LSTM_MLA(a, v, w) __asm__("vmla.f32 %0, %1, %2" : "+t"(a) : "t"(v), "t"(w))
#else
#define LSTM_MLA(a, v, w) ((a) += (v) * (w))
#endif

/* acc[k] += sum_i x[i] * w[i][k] for the four gates (w: [n][4]), each in order i = 0, 1, ... */
static void lstm_dot4_f32(const float *w, const float *x, int32_t n, float *acc)
{
    float a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t i = 0;
#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__OPTIMIZE__)
    /* two inputs a turn: one VLDM brings the eight weights (the same VMLA order as below) */
    for (; i + 2 <= n; i += 2) {
        const float v = x[i], t = x[i + 1];
        __asm__("vldmia %[w]!, {s16-s23}\n\t"
                "vmla.f32 %[a0], %[v], s16\n\t"
                "vmla.f32 %[a1], %[v], s17\n\t"
                "vmla.f32 %[a2], %[v], s18\n\t"
                "vmla.f32 %[a3], %[v], s19\n\t"
                "vmla.f32 %[a0], %[t], s20\n\t"
                "vmla.f32 %[a1], %[t], s21\n\t"
                "vmla.f32 %[a2], %[t], s22\n\t"
                "vmla.f32 %[a3], %[t], s23\n\t"
                : [a0] "+t"(a0), [a1] "+t"(a1), [a2] "+t"(a2), [a3] "+t"(a3), [w] "+r"(w)
                : [v] "t"(v), [t] "t"(t)
                : "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "memory");
    }
#endif
    for (; i + 2 <= n; i += 2) {
        const float v = x[i], t = x[i + 1];
        LSTM_MLA(a0, v, w[0]);
        LSTM_MLA(a1, v, w[1]);
        LSTM_MLA(a2, v, w[2]);
        LSTM_MLA(a3, v, w[3]);
        LSTM_MLA(a0, t, w[4]);
        LSTM_MLA(a1, t, w[5]);
        LSTM_MLA(a2, t, w[6]);
        LSTM_MLA(a3, t, w[7]);
        w += 8;
    }
    for (; i < n; i++) {
        const float v = x[i];
        LSTM_MLA(a0, v, w[0]);
        LSTM_MLA(a1, v, w[1]);
        LSTM_MLA(a2, v, w[2]);
        LSTM_MLA(a3, v, w[3]);
        w += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

static void lstm_row_f32(const mcu_lstm_f32_params_t *p, const float *x, float *h, float *c, float *out)
{
    const int32_t n = p->units, in = p->input_size;
    for (int32_t u = 0; u < n; u++) {
        float a[MCU_LSTM_GATES] = {0.0f, 0.0f, 0.0f, 0.0f};
        float r[MCU_LSTM_GATES] = {0.0f, 0.0f, 0.0f, 0.0f};
        float g[MCU_LSTM_GATES];
        lstm_dot4_f32(p->input_weights + (size_t)u * (size_t)in * 4u, x, in, a);
        lstm_dot4_f32(p->recurrent_weights + (size_t)u * (size_t)n * 4u, h, n, r);
        for (int k = 0; k < MCU_LSTM_GATES; k++) {
            const float pre = (a[k] + p->bias[k][u]) + r[k];
            g[k] = (k == 2 && p->cell_gate_tanh) ? mcu_rec_tanhf(pre) : lstm_logistic_f32(pre);
        }
        float cell = g[1] * c[u];
        cell = cell + g[0] * g[2];
        if (p->cell_clip > 0.0f) {
            cell = cell > p->cell_clip ? p->cell_clip : (cell < -p->cell_clip ? -p->cell_clip : cell);
        }
        c[u] = cell;
        out[u] = g[3] * mcu_rec_tanhf(cell);
    }
    for (int32_t u = 0; u < n; u++) {
        h[u] = out[u];
    }
}

void mcu_lstm_f32(const mcu_lstm_f32_params_t *p, const float *input, float *hidden_state, float *cell_state,
                  float *output)
{
    const size_t in = (size_t)p->input_size, n = (size_t)p->units;
    for (int32_t b = 0; b < p->batches; b++) {
        for (int32_t t = 0; t < p->time_steps; t++) {
            size_t row = p->time_major ? (size_t)t * (size_t)p->batches + (size_t)b
                                       : (size_t)b * (size_t)p->time_steps + (size_t)t;
            lstm_row_f32(p, input + row * in, hidden_state + (size_t)b * n, cell_state + (size_t)b * n,
                         output + row * n);
        }
    }
}
