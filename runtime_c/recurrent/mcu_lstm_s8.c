/*
 * mcu_lstm_s8.c - UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations, int16 cell (see mcu_recurrent.h).
 *
 * One unit at a time: its four gate pre-activations (input and recurrent
 * fully-connected rows, each requantized to Q3.12 and saturated to int16, then
 * added with saturation), the gate nonlinearities, the cell update and the new
 * hidden value. Only the old hidden row is read by the gates, so new hidden
 * values go to the output row and are copied to the hidden state afterwards.
 */
#include "mcu_fixedpoint.h"
#include "mcu_recurrent.h"

#define LSTM_GATE_I 0
#define LSTM_GATE_F 1
#define LSTM_GATE_C 2
#define LSTM_GATE_O 3

static int32_t sat16(int32_t v)
{
    return MCU_CLAMP(v, INT16_MIN, INT16_MAX);
}

static int32_t dot_s8(const int8_t *a, const int8_t *b, int32_t n, int32_t init)
{
    uint32_t acc = (uint32_t)init;
    for (int32_t i = 0; i < n; i++) {
        acc += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    }
    return (int32_t)acc;
}

/* TFLM's int16 logistic of a Q3.12 value, to Q0.15 (input scaled by 3, table of sigmoid(i / 24)). */
static int32_t lstm_sigmoid(const uint16_t *table, int32_t x)
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
static int32_t lstm_tanh(const uint16_t *table, int32_t x, int32_t mult, int32_t shift)
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

/* One batch row for one time step. */
static void lstm_row(const mcu_lstm_params_t *p, const int8_t *x, int8_t *h, int16_t *c, int8_t *out)
{
    const int32_t n = p->units, in = p->input_size;
    for (int32_t u = 0; u < n; u++) {
        int32_t g[MCU_LSTM_GATES];
        for (int k = 0; k < MCU_LSTM_GATES; k++) {
            int32_t a = dot_s8(p->input_weights[k] + (size_t)u * (size_t)in, x, in, p->input_bias[k][u]);
            int32_t b = dot_s8(p->recurrent_weights[k] + (size_t)u * (size_t)n, h, n, p->recurrent_bias[k][u]);
            a = sat16(mcu_requantize(a, p->input_mult[k], p->input_shift[k]));
            b = sat16(mcu_requantize(b, p->recurrent_mult[k], p->recurrent_shift[k]));
            int32_t pre = sat16(a + b);
            if (k == LSTM_GATE_C && p->cell_gate_tanh) {
                g[k] = lstm_tanh(p->sigmoid_table, pre, 3, 0);
            } else {
                g[k] = lstm_sigmoid(p->sigmoid_table, pre);
            }
        }
        int32_t kept = sat16(mcu_requantize(g[LSTM_GATE_F] * (int32_t)c[u], p->forget_mult, p->forget_shift));
        int32_t added = sat16(mcu_requantize(g[LSTM_GATE_I] * g[LSTM_GATE_C], p->update_mult, p->update_shift));
        int32_t cell = sat16(kept + added);
        if (p->cell_clip > 0) {
            cell = MCU_CLAMP(cell, -p->cell_clip, p->cell_clip);
        }
        c[u] = (int16_t)cell;
        int32_t t = lstm_tanh(p->sigmoid_table, cell, p->cell_tanh_mult, p->cell_tanh_shift);
        int32_t hv = p->hidden_zero_point + mcu_requantize(t * g[LSTM_GATE_O], p->hidden_mult, p->hidden_shift);
        out[u] = (int8_t)MCU_CLAMP(hv, INT8_MIN, INT8_MAX);
    }
    for (int32_t u = 0; u < n; u++) {
        h[u] = out[u];
    }
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
            lstm_row(p, input + row * in, h, c, output + row * n);
        }
    }
}
