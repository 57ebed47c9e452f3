/*
 * mcu_matmul.h - BATCH_MATMUL, int8 and 16x8 (int16 x int16), TFLM's reference kernel.
 *
 * out[b][m][n] = clamp(requantize(sum_k (lhs[b][m][k] + lhs_offset) * (rhs[b][k][n] + rhs_offset))
 *                      + output_offset, act_min, act_max)
 * over up to three batch dimensions, each broadcast (stride 0) where one side has extent 1. The
 * operands are read through strides, so adj_x (lhs stored [K, M]) and adj_y (rhs stored [N, K]) need
 * no transposed copy. int8: int32 accumulator (wrapping, as TFLM's) and the 32-bit mcu_requantize;
 * int16: zero points 0, int64 accumulator and mcu_requantize_s64 (multiplier reduced to 16 bits).
 * The plain path writes the output in order (see the DSP path's order at the functions).
 */
#ifndef MCU_MATMUL_H
#define MCU_MATMUL_H

#include <stdint.h>

typedef struct {
    int32_t batch[3];          /* output batch extents, outermost first (1 when absent) */
    int32_t lhs_batch_stride[3], rhs_batch_stride[3];  /* elements; 0 where broadcast */
    int32_t m, n, k;
    int32_t lhs_m_stride, lhs_k_stride;
    int32_t rhs_k_stride, rhs_n_stride;
    int32_t lhs_offset, rhs_offset;  /* -zero points (int8) */
    int32_t output_offset;
    int32_t multiplier, shift;  /* Q31 (int8) or reduced to 16 bits (int16) */
    int32_t act_min, act_max;
} mcu_batch_matmul_params_t;

/* scratch: NULL (plain C, the order above), or, on a board with the DSP extension, k int16 values
 * (mcugen/ops/batch_matmul.py BatchMatMul.scratch_bytes) for the DSP path: when rhs is read with a
 * k stride other than 1 (no adj_y; then lhs rows must be contiguous, no adj_x) it computes the output
 * column by column, each rhs column gathered once into the scratch; else row by row, each lhs row
 * gathered once (int8: always, with its offset; int16: when strided, adj_x). Products as the plain
 * path: int8 by SMLAD (sums modulo 2^32 like the plain int32 sum), int16 by SMLALD (int64, exact). */
void mcu_batch_matmul_s8(const mcu_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs, int8_t *output,
                         int16_t *scratch);
void mcu_batch_matmul_s16(const mcu_batch_matmul_params_t *p, const int16_t *lhs, const int16_t *rhs,
                          int16_t *output, int16_t *scratch);

/* float32 (TFLM's reference float BatchMatMul): out[b][m][n] = float total = 0 plus lhs * rhs over
 * k = 0 .. K-1 in order, no activation; the same parameters (offsets, multiplier, shift and clamp unused)
 * and the plain path's order (output in order, row by row). */
void mcu_batch_matmul_f32(const mcu_batch_matmul_params_t *p, const float *lhs, const float *rhs, float *output);

#endif /* MCU_MATMUL_H */
