/*
 * mcu_weight_only.h - float32 layers whose weights stay int8 in flash (scheme 'w8', weight-only
 * quantization: the model's DEQUANTIZE of a constant weight is never executed, the kernel reads the int8
 * weights and their float scales itself; mcugen/passes/fold_dequantize_weights.py).
 *
 * Real weight = scale[c] * (q - zero_point[c]) per output channel c (a per-tensor scale is repeated;
 * zero_point NULL: all 0).
 *
 * CONV_2D and DEPTHWISE_CONV_2D dequantize a tile of weights into the float scratch (each value one
 * float product scale * (q - zp), rounded once: exactly the float constant the converter's DEQUANTIZE
 * makes) and then run the float kernels' arithmetic on it (mcu_f32.h: TFLM's order, the float kernels'
 * bits). The output pixels go in blocks of `block_pixels` (first block first, or last first when
 * `reverse`): per block, per tile (one group of 8 output channels for conv: [k_h][k_w][in_c][8] floats;
 * `block` channels of the depthwise filter: [k_h][k_w][block] floats, dequantized once when one tile holds
 * them all) every pixel of the block is computed into the staging area of the scratch
 * (block_pixels * out_c floats), then the block is copied to the output. An output pixel is thus written
 * only after its own window and those of the block's other pixels were read: the integer and float
 * kernels' overlap contract holds (mcu_conv.h).
 *
 * FULLY_CONNECTED uses each weight once per batch row: without the DSP extension it dequantizes each
 * weight where it reads it (the same float) and sums in the float kernel's order (its bits); with it, it
 * sums the row in fixed point (below) and multiplies each unit's sum by its scale once: a reordered sum,
 * closer to the exact value than the float order, so the last bits differ from LiteRT's.
 */
#ifndef MCU_WEIGHT_ONLY_H
#define MCU_WEIGHT_ONLY_H

#include <stdint.h>

#include "mcu_matmul.h"

/* FULLY_CONNECTED: scale [units]; zero_point [units] or NULL; bias [units] or NULL.
 * fixed == 0 (boards without the DSP extension): weights [ceil(units / 8)][depth][8] int8 (8 units side
 *   by side, the last group padded with zeros), per unit sum x * (scale * (float)(q - zp)) in order, then
 *   + bias and the clamp. No scratch.
 * fixed == 1 (boards with the DSP extension): each batch row is turned into 27-bit fixed point with one
 *   power-of-two exponent (v = trunc(x * 2^s), |v| < 2^27, an error of at most max|x| * 2^-26 per value),
 *   split into v = 16384 hi + lo (|hi| <= 2^13, 0 <= lo < 2^14) and summed exactly in integers with SMLAD
 *   (two int16 products per instruction): sum v q = 16384 sum hi q + sum lo q, minus zp * sum v, then
 *   float: * 2^-s * scale + bias. A row with a non-finite value or max|x| < 2^-90 takes the float sums.
 *   words (weights NULL): [ceil(units / 2)][ceil(depth / 4)][2] int32, each 4 int8 of one unit's row (unit 2p
 *   then 2p+1; rows padded with zeros to whole words, an odd last unit paired with a zero row);
 *   scratch: 16 * ceil(depth / 4) bytes (the row's hi and lo as int16 pairs). */
typedef struct {
    int32_t batches, depth, units, fixed;
    float act_min, act_max;
    const int8_t *weights;     /* fixed == 0 */
    const int32_t *words;      /* fixed == 1 */
    const float *scale;
    const int32_t *zero_point;
    const float *bias;
} mcu_fc_w8_params_t;

void mcu_fully_connected_w8(const mcu_fc_w8_params_t *p, const float *input, float *output, uint32_t *scratch);

/* CONV_2D: filter [ceil(out_c / 8)][k_h][k_w][in_c][8] int8, scale and zero_point padded to whole groups
 * of 8 (scale 0 in the padding); scratch: k_h * k_w * in_c * 8 + block_pixels * out_c floats.
 * DEPTHWISE_CONV_2D: filter in the model's order [1][k_h][k_w][out_c] int8, scale and zero_point
 * [out_c]; scratch: k_h * k_w * block + block_pixels * out_c floats. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, depth_multiplier, reverse;
    int32_t block, block_pixels;
    float act_min, act_max;
    const int8_t *filter;
    const float *scale;
    const int32_t *zero_point;
    const float *bias;         /* [out_c] or NULL */
} mcu_conv_w8_params_t;

void mcu_conv_w8(const mcu_conv_w8_params_t *p, const float *input, float *output, float *scratch);
void mcu_depthwise_conv_w8(const mcu_conv_w8_params_t *p, const float *input, float *output, float *scratch);

/* BATCH_MATMUL with a constant int8 rhs: `mm` as for mcu_batch_matmul_f32 (its offsets, multiplier, shift
 * and clamp unused), rhs the model's int8 values; scale and zero_point one per tensor (per_channel 0) or one
 * per output column n (per_channel 1). Each rhs value is dequantized where it is read, scale * (q - zp) in
 * float (the converter's DEQUANTIZE value), and summed in mcu_batch_matmul_f32's order: its bits. */
typedef struct {
    mcu_batch_matmul_params_t mm;
    int32_t per_channel;
    const float *scale;
    const int32_t *zero_point;
} mcu_batch_matmul_w8_params_t;

void mcu_batch_matmul_w8(const mcu_batch_matmul_w8_params_t *p, const float *lhs, const int8_t *rhs, float *output);

#endif /* MCU_WEIGHT_ONLY_H */
