/* mcu_hard_swish_f32.c - HARD_SWISH, float32 (TFLM's reference float HardSwish; see mcu_activation.h):
 * x * min(6, max(0, x + 3)) / 6, multiplied then divided (not multiplied by 1/6), as TFLM does. */
#include "mcu_activation.h"

void mcu_hard_swish_f32(const mcu_act_f32_params_t *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float v = input[i];
        float r = v + 3.0f;
        r = (0.0f < r) ? r : 0.0f;   /* std::max(0, r) */
        r = (r < 6.0f) ? r : 6.0f;   /* std::min(6, r) */
        output[i] = v * r / 6.0f;
    }
}
