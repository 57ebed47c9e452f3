/*
 * mcu_reduce.h - reductions over constant axes: MEAN and SUM (int8, int16),
 * REDUCE_MAX and REDUCE_MIN (int8).
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
 * 31 + shift)), add the output zero point and clamp to the output type.
 * SUM is the same computation with multiplier = in_scale / out_scale (no
 * 1 / count folded in): it runs the MEAN kernels. int16 sums in int32 too.
 *
 * REDUCE_MAX / REDUCE_MIN compare the stored values (TFLM demands equal input
 * and output quantization); the output rows accumulate in place, so they need
 * no scratch. The output must not overlap the input.
 *
 * float32 (all four): the values are combined one at a time in input order,
 * which is the order of TFLM's reference loops, so the float sums round as
 * TFLM's do; MEAN divides the sum by (float)count; MAX / MIN start from
 * -FLT_MAX / FLT_MAX (numeric_limits<float>::lowest() / max()).
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

/* MEAN (and SUM), int16 -> int16. scratch: k1 * k2 int32 values. */
void mcu_mean_s16(const mcu_mean_params_t *p, const int16_t *input, int16_t *output, int32_t *scratch);

typedef struct {
    int32_t k0, r0, k1, r1, k2, r2; /* folded extents, see above */
    int32_t is_min;                 /* 0: REDUCE_MAX, 1: REDUCE_MIN */
    int32_t init;                   /* the type's minimum (MAX) or maximum (MIN) */
} mcu_reduce_max_params_t;

/* REDUCE_MAX / REDUCE_MIN, int8 -> int8. No scratch. */
void mcu_reduce_max_s8(const mcu_reduce_max_params_t *p, const int8_t *input, int8_t *output);

enum { MCU_REDUCE_SUM = 0, MCU_REDUCE_MEAN = 1, MCU_REDUCE_MAX = 2, MCU_REDUCE_MIN = 3 };

typedef struct {
    int32_t k0, r0, k1, r1, k2, r2; /* folded extents, see above */
    int32_t op;                     /* MCU_REDUCE_* */
    int32_t count;                  /* reduced elements per output (MEAN) */
} mcu_reduce_f32_params_t;

/* SUM / MEAN / REDUCE_MAX / REDUCE_MIN, float32. No scratch; the output must not overlap the input. */
void mcu_reduce_f32(const mcu_reduce_f32_params_t *p, const float *input, float *output);

#endif /* MCU_REDUCE_H */
