/*
 * mcu_pooling.h - AVERAGE_POOL_2D and MAX_POOL_2D, int8 and int16, NHWC.
 *
 * Input and output share scale and zero point (TFLM requires it), so no
 * requantization: the average is the rounded (half away from zero) mean of the
 * window clipped to the input, the max is the max of that window; then both are
 * clamped to the fused activation range.
 */
#ifndef MCU_POOLING_H
#define MCU_POOLING_H

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t act_min, act_max;
} mcu_pool_params_t;

void mcu_avgpool_s8(const mcu_pool_params_t *p, const int8_t *input, int8_t *output);
void mcu_maxpool_s8(const mcu_pool_params_t *p, const int8_t *input, int8_t *output);
void mcu_avgpool_s16(const mcu_pool_params_t *p, const int16_t *input, int16_t *output);
void mcu_maxpool_s16(const mcu_pool_params_t *p, const int16_t *input, int16_t *output);

/* AVERAGE_POOL_2D and MAX_POOL_2D, float32: TFLM's reference float pooling (see mcu_f32.h). Per output, over
 * the window clipped to the image in raster order: average = (float sum from 0) / (float count); max =
 * std::max from -FLT_MAX (a NaN input is skipped); then the clamp. Pixels in raster order, each pixel's
 * channels written while only its own window is read (the integer kernels' overlap contract). */
typedef struct {
    int32_t batches, in_h, in_w, channels, out_h, out_w, k_h, k_w, stride_h, stride_w, pad_top, pad_left;
    float act_min, act_max;
} mcu_pool_f32_params_t;

void mcu_avgpool_f32(const mcu_pool_f32_params_t *p, const float *input, float *output);
void mcu_maxpool_f32(const mcu_pool_f32_params_t *p, const float *input, float *output);

#endif /* MCU_POOLING_H */
