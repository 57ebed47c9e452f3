/*
 * mcu_svdf_f32.c - SVDF in float32 (see mcu_recurrent.h), TFLM's reference float SVDF step by step:
 * the state moves one element to the left, each filter's newest column gets its feature dot product, each
 * output is the bias plus the rank filters' time dot products (added in order), then the activation clamp.
 */
#include "mcu_f32.h"
#include "mcu_recurrent.h"

void mcu_svdf_f32(const mcu_svdf_f32_params_t *p, const float *input, float *state, float *output)
{
    const int32_t m = p->memory, in = p->input_size, filters = p->filters, rank = p->rank;
    const size_t total = (size_t)p->batches * (size_t)filters * (size_t)m;
    for (size_t k = 1; k < total; k++) {
        state[k - 1] = state[k];
    }
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)in;
        float *s = state + (size_t)b * (size_t)filters * (size_t)m;
        for (int32_t f = 0; f < filters; f++) {
            const float *w = p->weights_feature + (size_t)f * (size_t)in;
            float acc = 0.0f;
            for (int32_t i = 0; i < in; i++) {
                acc += x[i] * w[i];
            }
            s[(size_t)f * (size_t)m + (size_t)(m - 1)] = acc;
        }
        for (int32_t u = 0; u < p->units; u++) {
            float out = p->bias != NULL ? p->bias[u] : 0.0f;
            for (int32_t r = 0; r < rank; r++) {
                const size_t row = (size_t)(u * rank + r) * (size_t)m;
                float acc = 0.0f;
                for (int32_t j = 0; j < m; j++) {
                    acc += s[row + (size_t)j] * p->weights_time[row + (size_t)j];
                }
                out += acc;
            }
            output[(size_t)b * (size_t)p->units + (size_t)u] = mcu_clamp_f32(out, p->act_min, p->act_max);
        }
    }
}
