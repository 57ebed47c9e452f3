/* mcu_logistic_f32.c - LOGISTIC and TANH, float32 (TFLM's reference float Logistic and Tanh; see
 * mcu_activation.h). The C library's expf and tanhf: glibc's on the host (TFLM's own), newlib's on Arm. */
#include <math.h>

#include "mcu_activation.h"

void mcu_logistic_f32(const mcu_act_f32_params_t *p, const float *input, float *output)
{
    const float cutoff_upper = 16.619047164916992188f;  /* beyond it 1 / (1 + e^-x) rounds to 1 */
    const float cutoff_lower = -9.0f;                   /* below it e^x is used directly */
    for (int32_t i = 0; i < p->size; i++) {
        const float v = input[i];
        float r;
        if (v > cutoff_upper) {
            r = 1.0f;
        } else if (v < cutoff_lower) {
            r = expf(v);
        } else {
            r = 1.0f / (1.0f + expf(-v));
        }
        output[i] = r;
    }
}

void mcu_tanh_f32(const mcu_act_f32_params_t *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = tanhf(input[i]);
    }
}
