/*
 * mcu_lstm_f32.c - UNIDIRECTIONAL_SEQUENCE_LSTM in float32 (see mcu_recurrent.h), as TFLM's float LSTM:
 * per gate (W x + b) + R h, then the logistic (TFLM's reference Logistic: 1 above 16.619..., exp(x) below
 * -9, else 1 / (1 + exp(-x))) or tanh for the cell gate; cell = f c + i g, clipped to +-cell_clip when
 * cell_clip > 0; hidden = o tanh(cell). One unit at a time (its gates read only the old hidden row); the
 * new row goes to the output and is copied to the hidden state at the end of the row.
 */
#include <math.h>

#include "mcu_recurrent.h"

static float lstm_logistic_f32(float x)
{
    if (x > 16.619047164916992188f) {
        return 1.0f;
    }
    if (x < -9.0f) {
        return expf(x);
    }
    return 1.0f / (1.0f + expf(-x));
}

static float lstm_dot_f32(const float *w, const float *x, int32_t n)
{
    float acc = 0.0f;
    for (int32_t i = 0; i < n; i++) {
        acc += x[i] * w[i];
    }
    return acc;
}

static void lstm_row_f32(const mcu_lstm_f32_params_t *p, const float *x, float *h, float *c, float *out)
{
    const int32_t n = p->units, in = p->input_size;
    for (int32_t u = 0; u < n; u++) {
        float g[MCU_LSTM_GATES];
        for (int k = 0; k < MCU_LSTM_GATES; k++) {
            float a = lstm_dot_f32(p->input_weights[k] + (size_t)u * (size_t)in, x, in) + p->bias[k][u];
            float pre = a + lstm_dot_f32(p->recurrent_weights[k] + (size_t)u * (size_t)n, h, n);
            g[k] = (k == 2 && p->cell_gate_tanh) ? tanhf(pre) : lstm_logistic_f32(pre);
        }
        float cell = g[1] * c[u];
        cell = cell + g[0] * g[2];
        if (p->cell_clip > 0.0f) {
            cell = cell > p->cell_clip ? p->cell_clip : (cell < -p->cell_clip ? -p->cell_clip : cell);
        }
        c[u] = cell;
        out[u] = g[3] * tanhf(cell);
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
