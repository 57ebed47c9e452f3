/* mcu_unary_f32.c - ABS, SQRT, RSQRT and LOG, float32 (see mcu_math.h). */
#include <math.h>
#include "mcu_math.h"

void mcu_unary_f32(const mcu_unary_f32_params_t *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float x = input[i];
        if (p->op == MCU_UNARY_ABS) {
            output[i] = fabsf(x);
        } else if (p->op == MCU_UNARY_SQRT) {
            output[i] = sqrtf(x);
        } else if (p->op == MCU_UNARY_LOG) {
            output[i] = logf(x);
        } else {
            output[i] = 1.0f / sqrtf(x);
        }
    }
}
