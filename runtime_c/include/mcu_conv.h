/*
 * mcu_conv.h - convolution kernels (NHWC activations, int8).
 *
 * CONV_2D filters are OHWI, DEPTHWISE_CONV_2D filters are 1HWO with
 * O = input channels * depth_multiplier. Weights are symmetric (zero point 0),
 * per output channel or per tensor (then every channel repeats the same
 * multiplier). Parameters live in a const struct the generator writes to flash.
 *
 * Order contract (the arena planner relies on it to overlap output and input,
 * see mcugen/planner/overlap.py): output pixels are produced one at a time in
 * raster order over (batch, y, x), ascending, or descending when `reverse` is
 * set; every byte of pixel p is written only after reading what pixel p needs,
 * and once pixel p is written no input needed only by earlier pixels in that
 * order is read again.
 */
#ifndef MCU_CONV_H
#define MCU_CONV_H

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier;  /* depthwise only */
    int32_t reverse;           /* 1: produce output pixels last to first */
    int32_t input_offset;      /* -input zero point */
    int32_t output_offset;     /* output zero point */
    int32_t act_min, act_max;
    const int8_t *filter;
    const int32_t *bias;       /* may be NULL */
    const int32_t *multiplier; /* per output channel */
    const int32_t *shift;      /* per output channel */
} mcu_conv_params_t;

/* CONV_2D, int8 activations and weights, int32 bias. No scratch. */
void mcu_conv_s8(const mcu_conv_params_t *p, const int8_t *input, int8_t *output);

/* DEPTHWISE_CONV_2D, int8 activations and weights, int32 bias. No scratch. */
void mcu_depthwise_conv_s8(const mcu_conv_params_t *p, const int8_t *input, int8_t *output);

#endif /* MCU_CONV_H */
