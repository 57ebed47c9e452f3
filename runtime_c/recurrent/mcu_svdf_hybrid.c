/*
 * mcu_svdf_hybrid.c - hybrid SVDF (see mcu_recurrent_hybrid.h), LiteRT's EvalHybridSVDF: the float state
 * moves one element to the left, each batch row of the input is quantized and each filter's newest state
 * column gets its scaled int8 product, then the time weights, bias, rank sum and activation as in the
 * float SVDF (ApplyTimeWeightsBiasAndActivation), in LiteRT's float order.
 */
#include "mcu_hybrid.h"
#include "mcu_recurrent_hybrid.h"

void mcu_svdf_hybrid(const mcu_svdf_hybrid_params_t *p, const float *input, float *state, float *output,
                     void *scratch)
{
    const int32_t m = p->memory, in = p->input_size, filters = p->filters, rank = p->rank;
    const size_t total = (size_t)p->batches * (size_t)filters * (size_t)m;
    int8_t *q = (int8_t *)scratch;
    for (size_t k = 1; k < total; k++) {
        state[k - 1] = state[k];
    }
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)in;
        float *s = state + (size_t)b * (size_t)filters * (size_t)m;
        int32_t zp = 0;
        mcu_rhy_pad(q, in);
        const float row = p->asymmetric ? mcu_hybrid_quantize_asym(x, in, q, &zp) : mcu_hybrid_quantize_sym(x, in, q);
        const float scale = row * p->feature_scale;
        const int32_t stride = MCU_RHY_STRIDE(in);
        for (int32_t f = 0; f < filters; f += 2) {
            const int32_t two = f + 1 < filters;
            float v[2] = {0.0f, 0.0f};
            if (row != 0.0f) {
                const int8_t *w0 = p->weights_feature + (size_t)f * (size_t)stride;
                int32_t d[2];
                mcu_rhy_dot2(w0, two ? w0 + stride : w0, q, stride, d);
                for (int32_t k = 0; k <= two; k++) {
                    int32_t dot = d[k];
                    if (zp != 0) {
                        dot = (int32_t)((uint32_t)dot - (uint32_t)p->row_sums[f + k] * (uint32_t)zp);
                    }
                    v[k] += (float)dot * scale;
                }
            }
            for (int32_t k = 0; k <= two; k++) {
                s[(size_t)(f + k) * (size_t)m + (size_t)(m - 1)] = v[k];
            }
        }
        for (int32_t u = 0; u < p->units; u++) {
            float out = p->bias != NULL ? p->bias[u] : 0.0f;
            for (int32_t r = 0; r < rank; r++) {
                const size_t base = (size_t)(u * rank + r) * (size_t)m;
                float acc = 0.0f;
                for (int32_t j = 0; j < m; j++) {
                    acc += p->weights_time[base + (size_t)j] * s[base + (size_t)j];
                }
                out += acc;
            }
            output[(size_t)b * (size_t)p->units + (size_t)u] = mcu_hybrid_activate(out, p->clamp, p->act_min,
                                                                                     p->act_max);
        }
    }
}
