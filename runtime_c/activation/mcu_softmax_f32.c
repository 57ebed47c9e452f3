/* mcu_softmax_f32.c - SOFTMAX, float32 (TFLM's reference float Softmax; see mcu_activation.h). */
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "mcu_activation.h"

void mcu_softmax_f32(const mcu_softmax_f32_params_t *p, const float *input, float *output)
{
    const int32_t depth = p->depth;
    const float beta = p->beta;
    for (int32_t r = 0; r < p->rows; r++) {
        const float *x = input + (size_t)r * (size_t)depth;
        float *y = output + (size_t)r * (size_t)depth;
        float max = -FLT_MAX;
        for (int32_t c = 0; c < depth; c++) max = (max < x[c]) ? x[c] : max;
        float sum = 0.f;
        for (int32_t c = 0; c < depth; c++) {
            const float e = expf((x[c] - max) * beta);
            y[c] = e;
            sum += e;
        }
        for (int32_t c = 0; c < depth; c++) y[c] = y[c] / sum;
    }
}
