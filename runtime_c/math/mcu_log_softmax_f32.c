/* mcu_log_softmax_f32.c - LOG_SOFTMAX, float32 (TFLM's reference float LogSoftmax; see mcu_math.h). */
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "mcu_math.h"

void mcu_log_softmax_f32(const mcu_log_softmax_params_t *p, const float *input, float *output)
{
    const int32_t depth = p->depth;
    for (int32_t r = 0; r < p->outer; r++) {
        const float *x = input + (size_t)r * (size_t)depth;
        float *y = output + (size_t)r * (size_t)depth;
        float max = -FLT_MAX;
        for (int32_t c = 0; c < depth; c++) {
            max = (max < x[c]) ? x[c] : max;  /* std::max(max, x) */
        }
        float sum = 0.0f;
        for (int32_t c = 0; c < depth; c++) {
            sum += expf(x[c] - max);
        }
        const float log_sum = logf(sum);
        for (int32_t c = 0; c < depth; c++) {
            y[c] = x[c] - max - log_sum;
        }
    }
}
