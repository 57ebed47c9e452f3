/*
 * mcu_quantize.h - QUANTIZE and DEQUANTIZE: float32 <-> quantized integers, and
 * requantization from one integer quantization to another.
 *
 * Every kernel works on a flat array of `size` elements (shape does not matter).
 *
 *   QUANTIZE float32 -> int8 / int16:  q = clamp(round(x / scale) + zero_point)
 *       x / scale is one IEEE single-precision division (not a multiplication by
 *       the reciprocal) and round() goes half away from zero, as TFLM's
 *       AffineQuantize does. No libm. Quotients beyond the int8 range saturate;
 *       NaN gives the zero point (what TFLM computes on Cortex-M; TFLM's
 *       float-to-int conversion of NaN or of a quotient beyond int32 is
 *       undefined behaviour in C++, so a desktop build of TFLM may differ there).
 *       Do not build with -ffast-math: the division and the rounding must stay
 *       IEEE-exact.
 *   DEQUANTIZE int8 / uint8 / int16 -> float32:  x = scale * (float)(q - zero_point)
 *       one single-precision multiplication; the product of a float (24-bit
 *       mantissa) and an integer below 2^17 is exact in double, so rounding it
 *       once to float equals TFLM's double product cast to float.
 *   QUANTIZE int -> int (requantize):
 *       q_out = clamp(MultiplyByQuantizedMultiplier(q_in - zp_in, M, shift) + zp_out)
 *       with (M, shift) from in_scale / out_scale in double (TFLM Requantize).
 *       Equal scales give M = 2^30, shift = 1, an exact identity: then the kernels
 *       only move the zero point.
 */
#ifndef MCU_QUANTIZE_H
#define MCU_QUANTIZE_H

#include <stdint.h>

/* Affine float <-> integer conversion: real = scale * (q - zero_point). */
typedef struct {
    int32_t size;       /* elements */
    float scale;        /* QUANTIZE: the output's scale; DEQUANTIZE: the input's */
    int32_t zero_point; /* the quantized tensor's zero point */
} mcu_affine_params_t;

/* Integer -> integer requantization. */
typedef struct {
    int32_t size;          /* elements */
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    int32_t multiplier;    /* Q31, from input scale / output scale */
    int32_t shift;         /* power of two applied with the multiplier */
} mcu_requantize_params_t;

/* QUANTIZE float32 -> int8 / int16. */
void mcu_quantize_f32_s8(const mcu_affine_params_t *p, const float *input, int8_t *output);
void mcu_quantize_f32_s16(const mcu_affine_params_t *p, const float *input, int16_t *output);

/* DEQUANTIZE int8 / uint8 / int16 -> float32. */
void mcu_dequantize_s8_f32(const mcu_affine_params_t *p, const int8_t *input, float *output);
void mcu_dequantize_u8_f32(const mcu_affine_params_t *p, const uint8_t *input, float *output);
void mcu_dequantize_s16_f32(const mcu_affine_params_t *p, const int16_t *input, float *output);

/* QUANTIZE int8 -> int8 (new scale and/or zero point). */
void mcu_requantize_s8(const mcu_requantize_params_t *p, const int8_t *input, int8_t *output);

/* QUANTIZE int8 -> int16. */
void mcu_requantize_s8_s16(const mcu_requantize_params_t *p, const int8_t *input, int16_t *output);

/* QUANTIZE int16 -> int8. */
void mcu_requantize_s16_s8(const mcu_requantize_params_t *p, const int16_t *input, int8_t *output);

/* QUANTIZE int16 -> int16. */
void mcu_requantize_s16_s16(const mcu_requantize_params_t *p, const int16_t *input, int16_t *output);

/* QUANTIZE int16 -> int32 (no clamp; the zero point is added modulo 2^32). */
void mcu_requantize_s16_s32(const mcu_requantize_params_t *p, const int16_t *input, int32_t *output);

/* QUANTIZE int8 <-> uint8, int8 -> int32, int32 -> int8 / int16 (TFLM's other Requantize pairs;
 * an int32 input's zero point is subtracted modulo 2^32). */
void mcu_requantize_s8_u8(const mcu_requantize_params_t *p, const int8_t *input, uint8_t *output);
void mcu_requantize_u8_s8(const mcu_requantize_params_t *p, const uint8_t *input, int8_t *output);
void mcu_requantize_s8_s32(const mcu_requantize_params_t *p, const int8_t *input, int32_t *output);
void mcu_requantize_s32_s8(const mcu_requantize_params_t *p, const int32_t *input, int8_t *output);
void mcu_requantize_s32_s16(const mcu_requantize_params_t *p, const int32_t *input, int16_t *output);

#endif /* MCU_QUANTIZE_H */
