/* mcu_fully_connected_f32.c - FULLY_CONNECTED, float32 (TFLM's reference float FullyConnected; see
 * mcu_fully_connected.h for the grouped weight layout). */
#include <stddef.h>

#include "mcu_fully_connected.h"
#include "mcu_f32.h"

void mcu_fully_connected_f32(const mcu_fc_f32_params_t *p, const float *input, float *output)
{
    const int32_t depth = p->depth, units = p->units;
    const int32_t groups = (units + MCU_F32_GROUP - 1) / MCU_F32_GROUP;
    const float lo = p->act_min, hi = p->act_max;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)depth;
        float *out = output + (size_t)b * (size_t)units;
        const float *wp = p->weights;
        for (int32_t g = 0; g < groups; g++, wp += (size_t)depth * MCU_F32_GROUP) {
            float acc[MCU_F32_GROUP] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
            mcu_f32_dot8(x, wp, depth, acc);
            const int32_t u = g * MCU_F32_GROUP;
            const int32_t n = units - u < MCU_F32_GROUP ? units - u : MCU_F32_GROUP;
            if (n == MCU_F32_GROUP) {
                mcu_f32_finish8(acc, p->bias ? p->bias + u : NULL, lo, hi, out + u);
                continue;
            }
            for (int32_t k = 0; k < n; k++) {
                const float bias = p->bias ? p->bias[u + k] : 0.f;
                out[u + k] = mcu_clamp_f32(acc[k] + bias, lo, hi);
            }
        }
    }
}
