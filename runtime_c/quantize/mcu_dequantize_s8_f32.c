/* mcu_dequantize_s8_f32.c - DEQUANTIZE int8, uint8 and int16 -> float32 (see mcu_quantize.h). */
#include "mcu_quantize.h"

void mcu_dequantize_s8_f32(const mcu_affine_params_t *p, const int8_t *input, float *output)
{
    const float scale = p->scale;
    const int32_t zp = p->zero_point;
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = scale * (float)((int32_t)input[i] - zp);
    }
}

void mcu_dequantize_u8_f32(const mcu_affine_params_t *p, const uint8_t *input, float *output)
{
    const float scale = p->scale;
    const int32_t zp = p->zero_point;
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = scale * (float)((int32_t)input[i] - zp);
    }
}

void mcu_dequantize_s16_f32(const mcu_affine_params_t *p, const int16_t *input, float *output)
{
    const float scale = p->scale;
    const int32_t zp = p->zero_point;
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = scale * (float)((int32_t)input[i] - zp);
    }
}
