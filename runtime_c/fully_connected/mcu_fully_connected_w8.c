/* mcu_fully_connected_w8.c - FULLY_CONNECTED with float32 activations and int8 weights kept int8
 * (weight-only; see mcu_weight_only.h). */
#include <stddef.h>

#include "mcu_weight_only.h"
#include "mcu_f32.h"

/* acc[k] += x[i] * (float)w[8 i + k] for i = 0 .. n-1 in order (weights without zero point) */
static void mcu_fc_w8_dot8(const float *x, const int8_t *w, int32_t n, float *acc)
{
    float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f, a4 = 0.f, a5 = 0.f, a6 = 0.f, a7 = 0.f;
    for (int32_t i = 0; i < n; i++, w += 8) {
        const float v = x[i];
        a0 += v * (float)w[0];
        a1 += v * (float)w[1];
        a2 += v * (float)w[2];
        a3 += v * (float)w[3];
        a4 += v * (float)w[4];
        a5 += v * (float)w[5];
        a6 += v * (float)w[6];
        a7 += v * (float)w[7];
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
}

/* the same with zero points: x[i] * (float)(w - zp[k]) */
static void mcu_fc_w8_dot8_zp(const float *x, const int8_t *w, int32_t n, const int32_t *zp, int32_t m,
                              float *acc)
{
    int32_t z[MCU_F32_GROUP] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int32_t k = 0; k < m; k++) z[k] = zp[k];
    for (int32_t k = 0; k < MCU_F32_GROUP; k++) acc[k] = 0.f;
    for (int32_t i = 0; i < n; i++, w += 8) {
        const float v = x[i];
        for (int32_t k = 0; k < MCU_F32_GROUP; k++) acc[k] += v * (float)((int32_t)w[k] - z[k]);
    }
}

void mcu_fully_connected_w8(const mcu_fc_w8_params_t *p, const float *input, float *output)
{
    const int32_t depth = p->depth, units = p->units;
    const int32_t groups = (units + MCU_F32_GROUP - 1) / MCU_F32_GROUP;
    const float lo = p->act_min, hi = p->act_max;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)depth;
        float *out = output + (size_t)b * (size_t)units;
        const int8_t *wp = p->weights;
        for (int32_t g = 0; g < groups; g++, wp += (size_t)depth * MCU_F32_GROUP) {
            float acc[MCU_F32_GROUP];
            const int32_t u = g * MCU_F32_GROUP;
            const int32_t n = units - u < MCU_F32_GROUP ? units - u : MCU_F32_GROUP;
            if (p->zero_point)
                mcu_fc_w8_dot8_zp(x, wp, depth, p->zero_point + u, n, acc);
            else
                mcu_fc_w8_dot8(x, wp, depth, acc);
            for (int32_t k = 0; k < n; k++) {
                const float bias = p->bias ? p->bias[u + k] : 0.f;
                out[u + k] = mcu_clamp_f32(acc[k] * p->scale[u + k] + bias, lo, hi);
            }
        }
    }
}
