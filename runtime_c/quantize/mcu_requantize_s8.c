/* mcu_requantize_s8.c - QUANTIZE between integer types (see mcu_quantize.h). */
#include "mcu_quantize.h"
#include "mcu_fixedpoint.h"

/* Requantized value before the clamp; the zero point is added modulo 2^32 like TFLM's int32 sum. */
static inline int32_t mcu_requant_value(const mcu_requantize_params_t *p, int32_t x)
{
    /* x - zero point wraps modulo 2^32 (only an int32 input can reach that) */
    const int32_t centred = (int32_t)((uint32_t)x + (uint32_t)p->input_offset);
    const int32_t scaled = mcu_requantize(centred, p->multiplier, p->shift);
    return (int32_t)((uint32_t)scaled + (uint32_t)p->output_offset);
}

/* Equal scales: M * 2^shift is exactly 1 and only the zero point moves. */
static inline int mcu_requant_identity(const mcu_requantize_params_t *p)
{
    return p->multiplier == (int32_t)1 << 30 && p->shift == 1;
}

void mcu_requantize_s8(const mcu_requantize_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t n = p->size;
    if (mcu_requant_identity(p)) {
        const int32_t offset = p->input_offset + p->output_offset;
        for (int32_t i = 0; i < n; i++) {
            output[i] = (int8_t)MCU_CLAMP(input[i] + offset, -128, 127);
        }
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t v = mcu_requant_value(p, input[i]);
        output[i] = (int8_t)MCU_CLAMP(v, -128, 127);
    }
}

void mcu_requantize_s8_s16(const mcu_requantize_params_t *p, const int8_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t v = mcu_requant_value(p, input[i]);
        output[i] = (int16_t)MCU_CLAMP(v, -32768, 32767);
    }
}

void mcu_requantize_s16_s8(const mcu_requantize_params_t *p, const int16_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t v = mcu_requant_value(p, input[i]);
        output[i] = (int8_t)MCU_CLAMP(v, -128, 127);
    }
}

void mcu_requantize_s16_s16(const mcu_requantize_params_t *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t v = mcu_requant_value(p, input[i]);
        output[i] = (int16_t)MCU_CLAMP(v, -32768, 32767);
    }
}

void mcu_requantize_s16_s32(const mcu_requantize_params_t *p, const int16_t *input, int32_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = mcu_requant_value(p, input[i]);
    }
}

void mcu_requantize_s8_u8(const mcu_requantize_params_t *p, const int8_t *input, uint8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t v = mcu_requant_value(p, input[i]);
        output[i] = (uint8_t)MCU_CLAMP(v, 0, 255);
    }
}

void mcu_requantize_u8_s8(const mcu_requantize_params_t *p, const uint8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t v = mcu_requant_value(p, input[i]);
        output[i] = (int8_t)MCU_CLAMP(v, -128, 127);
    }
}

void mcu_requantize_s8_s32(const mcu_requantize_params_t *p, const int8_t *input, int32_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = mcu_requant_value(p, input[i]);
    }
}

void mcu_requantize_s32_s8(const mcu_requantize_params_t *p, const int32_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t v = mcu_requant_value(p, input[i]);
        output[i] = (int8_t)MCU_CLAMP(v, -128, 127);
    }
}

void mcu_requantize_s32_s16(const mcu_requantize_params_t *p, const int32_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t v = mcu_requant_value(p, input[i]);
        output[i] = (int16_t)MCU_CLAMP(v, -32768, 32767);
    }
}
