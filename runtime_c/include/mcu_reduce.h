/*
 * mcu_reduce.h - reductions over constant axes (MEAN), int8.
 *
 * The generator folds the input shape and the reduced axes into six extents
 * k0, r0, k1, r1, k2, r2 (row-major, k* kept, r* reduced, 1 where absent): the
 * input is [k0][r0][k1][r1][k2][r2] and the output [k0][k1][k2], whatever the
 * rank and keep_dims. Kept and reduced dimensions alternate, so any input of
 * rank <= 5 fits. The input is read once, in order; sums go to an int32 scratch
 * of k1 * k2 elements.
 *
 * MEAN follows TFLM's QuantizedMeanOrSum: sum the int8 values in int32, add
 * -input_zero_point * count, then one MultiplyByQuantizedMultiplier whose
 * multiplier folds in_scale / out_scale and 1 / count (computed at build time:
 * M' = (M << s) / count, shift' = shift - s, s = min(floor(log2 count), 32,
 * 31 + shift)), add the output zero point and clamp to int8.
 */
#ifndef MCU_REDUCE_H
#define MCU_REDUCE_H

#include <stdint.h>

typedef struct {
    int32_t k0, r0, k1, r1, k2, r2; /* folded extents, see above */
    int32_t sum_offset;    /* -input zero point * count, modulo 2^32 */
    int32_t multiplier;    /* Q31, in_scale / out_scale / count */
    int32_t shift;
    int32_t output_offset; /* output zero point */
} mcu_mean_params_t;

/* MEAN, int8 -> int8. scratch: k1 * k2 int32 values. */
void mcu_mean_s8(const mcu_mean_params_t *p, const int8_t *input, int8_t *output, int32_t *scratch);

#endif /* MCU_REDUCE_H */
