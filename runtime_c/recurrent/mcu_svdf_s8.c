/*
 * mcu_svdf_s8.c - SVDF, int8 input and output, int16 or int8 state (see mcu_recurrent.h).
 *
 * Sums are taken in uint32_t so that they wrap exactly like TFLM's int32 sums
 * (without signed overflow); the wrapped value is what gets requantized.
 */
#include "mcu_fixedpoint.h"
#include "mcu_recurrent.h"

/* The feature projection of one batch row into the newest state column: clamped to the state type, then
 * the state zero point added - after the clamp, so the caller's narrowing cast wraps, as the pip TFLM does
 * (newer TFLM sources add it before the clamp; see mcugen/ops/svdf.py). */
static int32_t svdf_feature(const mcu_svdf_params_t *p, const int8_t *x, int32_t f, int32_t lo, int32_t hi)
{
    const int8_t *w = p->weights_feature + (size_t)f * (size_t)p->input_size;
    uint32_t acc = (uint32_t)p->feature_bias[f];
    for (int32_t i = 0; i < p->input_size; i++) {
        acc += (uint32_t)((int32_t)w[i] * (int32_t)x[i]);
    }
    int32_t v = mcu_requantize((int32_t)acc, p->mult1, p->shift1);
    return MCU_CLAMP(v, lo, hi) + p->state_zero_point;
}

static int8_t svdf_output(const mcu_svdf_params_t *p, uint32_t acc)
{
    int32_t v = p->output_zero_point + mcu_requantize((int32_t)acc, p->mult2, p->shift2);
    return (int8_t)MCU_CLAMP(v, INT8_MIN, INT8_MAX);
}

void mcu_svdf_s8_s16(const mcu_svdf_params_t *p, const int8_t *input, int16_t *state, int8_t *output)
{
    const int32_t m = p->memory;
    const size_t total = (size_t)p->batches * (size_t)p->filters * (size_t)m;
    for (size_t k = 1; k < total; k++) {
        state[k - 1] = state[k];
    }
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = input + (size_t)b * (size_t)p->input_size;
        int16_t *s = state + (size_t)b * (size_t)p->filters * (size_t)m;
        for (int32_t f = 0; f < p->filters; f++) {
            s[(size_t)f * (size_t)m + (size_t)(m - 1)] = (int16_t)(uint16_t)((uint32_t)svdf_feature(p, x, f, INT16_MIN, INT16_MAX) & 0xFFFFu);
        }
        for (int32_t u = 0; u < p->units; u++) {
            uint32_t acc = (uint32_t)p->unit_bias[u];
            for (int32_t r = 0; r < p->rank; r++) {
                const size_t row = (size_t)(u * p->rank + r) * (size_t)m;
                const int16_t *wt = p->weights_time16 + row;
                const int16_t *sr = s + row;
                for (int32_t j = 0; j < m; j++) {
                    acc += (uint32_t)((int32_t)wt[j] * (int32_t)sr[j]);
                }
            }
            output[(size_t)b * (size_t)p->units + (size_t)u] = svdf_output(p, acc);
        }
    }
}

void mcu_svdf_s8_s8(const mcu_svdf_params_t *p, const int8_t *input, int8_t *state, int8_t *output)
{
    const int32_t m = p->memory;
    const size_t total = (size_t)p->batches * (size_t)p->filters * (size_t)m;
    for (size_t k = 1; k < total; k++) {
        state[k - 1] = state[k];
    }
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = input + (size_t)b * (size_t)p->input_size;
        int8_t *s = state + (size_t)b * (size_t)p->filters * (size_t)m;
        for (int32_t f = 0; f < p->filters; f++) {
            s[(size_t)f * (size_t)m + (size_t)(m - 1)] = (int8_t)(uint8_t)((uint32_t)svdf_feature(p, x, f, INT8_MIN, INT8_MAX) & 0xFFu);
        }
        for (int32_t u = 0; u < p->units; u++) {
            uint32_t acc = (uint32_t)p->unit_bias[u];
            for (int32_t r = 0; r < p->rank; r++) {
                const size_t row = (size_t)(u * p->rank + r) * (size_t)m;
                const int8_t *wt = p->weights_time8 + row;
                const int8_t *sr = s + row;
                for (int32_t j = 0; j < m; j++) {
                    acc += (uint32_t)((int32_t)wt[j] * (int32_t)sr[j]);
                }
            }
            output[(size_t)b * (size_t)p->units + (size_t)u] = svdf_output(p, acc);
        }
    }
}
