/* mcu_relu_f32.c - RELU, RELU6, RELU_N1_TO_1 and LEAKY_RELU, float32 (TFLM's ReluFloat, Relu6Float and
 * reference LeakyRelu; RELU_N1_TO_1: LiteRT's Relu1, TFLM has none; see mcu_activation.h). */
#include "mcu_activation.h"

void mcu_relu_f32(const mcu_act_f32_params_t *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float v = input[i];
        output[i] = (v < 0.0f) ? 0.0f : v;
    }
}

void mcu_relu6_f32(const mcu_act_f32_params_t *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float v = input[i];
        output[i] = (v > 6.0f) ? 6.0f : (v < 0.0f) ? 0.0f : v;
    }
}

void mcu_relu_n1_to_1_f32(const mcu_act_f32_params_t *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float v = input[i];
        output[i] = (v > 1.0f) ? 1.0f : (v < -1.0f) ? -1.0f : v;
    }
}

void mcu_leaky_relu_f32(const mcu_act_f32_params_t *p, const float *input, float *output)
{
    const float alpha = p->alpha;
    for (int32_t i = 0; i < p->size; i++) {
        const float v = input[i];
        output[i] = (v > 0.0f) ? v : v * alpha;
    }
}
