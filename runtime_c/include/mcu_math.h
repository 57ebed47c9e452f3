/*
 * mcu_math.h - element-wise math, comparison and selection operators:
 * MAXIMUM / MINIMUM, EQUAL ... GREATER_EQUAL, SELECT_V2, SQUARED_DIFFERENCE.
 *
 * Binary operators broadcast with an mcu_broadcast_t (mcu_elementwise.h): the
 * generator compresses the shapes at build time; rank 0 means no broadcasting
 * and one flat loop. In-place use: the output may occupy the bytes of an input
 * whose shape and element size are the output's (element i of both inputs is
 * read before output element i is written; the broadcast input must not
 * overlap the output).
 *
 * MAXIMUM / MINIMUM (TFLM maximum_minimum.cc) compare the stored values, whatever
 * the quantization: out = a > b ? a : b (a < b ? a : b), for int8, int16, int32,
 * int64 and float32.
 *
 * Comparisons write bool (one byte, 0 or 1). int8 inputs are rescaled first, as
 * TFLM's ComparisonsPrepare / *WithScaling do: v = mcu_rdbpot(mcu_sat_rdhm(
 * (q - zp) * 2^8, M), -shift) with (M, shift) from the input's scale (< 1);
 * int32, int64, float32 and bool (EQUAL / NOT_EQUAL only) compare raw values.
 *
 * SQUARED_DIFFERENCE (TFLM squared_difference.cc): int8 with left shift 7, int16
 * with left shift 0 (zero points 0); each input is rescaled like ADD's, the
 * difference squared in int32 and requantized by the output multiplier; int32
 * and float32 square the raw difference (int32 wraps modulo 2^32).
 *
 * SELECT_V2: out = cond ? x : y with three-way broadcasting; the element is
 * copied (1, 2 or 4 bytes), whatever its type.
 *
 * Unary int8 operators (ABS, RSQRT) are a 256-entry table built at build time
 * with TFLM's arithmetic (mcu_lut_s8). int16 ABS and RSQRT compute (TFLM
 * elementwise.cc): ABS |q| (rescaled by in/out when the scales differ); RSQRT
 * 1/sqrt(q) through GetInvSqrtQuantizedMultiplierExp (five Newton-Raphson steps
 * in Q3.28), then two MultiplyByQuantizedMultiplier steps with a 2^20 guard;
 * q == 0 gives the type's maximum. float32 ABS, SQRT and RSQRT use fabsf,
 * sqrtf and 1.0f / sqrtf.
 *
 * ARG_MAX / ARG_MIN (TFLM arg_min_max.cc: int8 and float32 inputs, int32 axis
 * and output): the input is [outer][axis][inner]; the index of the first
 * largest (smallest) value along the axis, by strict > (<) on stored values.
 */
#ifndef MCU_MATH_H
#define MCU_MATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "mcu_elementwise.h"

enum { MCU_CMP_EQ = 0, MCU_CMP_NE = 1, MCU_CMP_LT = 2, MCU_CMP_LE = 3, MCU_CMP_GT = 4, MCU_CMP_GE = 5 };

/* Raw binary operators (MAXIMUM / MINIMUM, raw comparisons, raw SQUARED_DIFFERENCE). */
typedef struct {
    int32_t size;            /* output element count */
    mcu_broadcast_t bcast;
    int32_t op;              /* MAXIMUM 0 / MINIMUM 1, or an MCU_CMP_* */
} mcu_math_binary_params_t;

void mcu_max_min_s8(const mcu_math_binary_params_t *p, const int8_t *a, const int8_t *b, int8_t *out);
void mcu_max_min_s16(const mcu_math_binary_params_t *p, const int16_t *a, const int16_t *b, int16_t *out);
void mcu_max_min_s32(const mcu_math_binary_params_t *p, const int32_t *a, const int32_t *b, int32_t *out);
void mcu_max_min_s64(const mcu_math_binary_params_t *p, const int64_t *a, const int64_t *b, int64_t *out);
void mcu_max_min_f32(const mcu_math_binary_params_t *p, const float *a, const float *b, float *out);

void mcu_compare_s32(const mcu_math_binary_params_t *p, const int32_t *a, const int32_t *b, uint8_t *out);
void mcu_compare_s64(const mcu_math_binary_params_t *p, const int64_t *a, const int64_t *b, uint8_t *out);
void mcu_compare_f32(const mcu_math_binary_params_t *p, const float *a, const float *b, uint8_t *out);
void mcu_compare_b8(const mcu_math_binary_params_t *p, const uint8_t *a, const uint8_t *b, uint8_t *out);

/* int8 comparisons with rescaled inputs. */
typedef struct {
    int32_t size;
    mcu_broadcast_t bcast;
    int32_t op;                                /* MCU_CMP_* */
    int32_t input1_offset, input2_offset;      /* -zero points */
    int32_t left_shift;                        /* 8 */
    int32_t input1_multiplier, input1_shift;   /* shifts <= 0 */
    int32_t input2_multiplier, input2_shift;
} mcu_compare_params_t;

void mcu_compare_s8(const mcu_compare_params_t *p, const int8_t *a, const int8_t *b, uint8_t *out);

/* SQUARED_DIFFERENCE, int8 and int16. */
typedef struct {
    int32_t size;
    mcu_broadcast_t bcast;
    int32_t input1_offset, input2_offset, output_offset;
    int32_t left_shift;                        /* 7 (int8) or 0 (int16) */
    int32_t input1_multiplier, input1_shift;   /* shifts <= 0 */
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;   /* shift may be positive */
    int32_t act_min, act_max;                  /* the output type's range */
} mcu_squared_difference_params_t;

void mcu_squared_difference_s8(const mcu_squared_difference_params_t *p, const int8_t *a, const int8_t *b, int8_t *out);
void mcu_squared_difference_s16(const mcu_squared_difference_params_t *p, const int16_t *a, const int16_t *b,
                                int16_t *out);
void mcu_squared_difference_s32(const mcu_math_binary_params_t *p, const int32_t *a, const int32_t *b, int32_t *out);
void mcu_squared_difference_f32(const mcu_math_binary_params_t *p, const float *a, const float *b, float *out);

/* SELECT_V2. */
typedef struct {
    int32_t size;                           /* output element count */
    int32_t elem_size;                      /* 1, 2 or 4 bytes */
    int32_t rank;                           /* compressed dimensions; 0: no broadcasting */
    int32_t shape[MCU_ELTWISE_MAX_DIMS];    /* output extents, outermost first */
    int32_t stride_c[MCU_ELTWISE_MAX_DIMS]; /* element strides, 0 = broadcast */
    int32_t stride_x[MCU_ELTWISE_MAX_DIMS];
    int32_t stride_y[MCU_ELTWISE_MAX_DIMS];
} mcu_select_params_t;

void mcu_select(const mcu_select_params_t *p, const uint8_t *cond, const void *x, const void *y, void *out);

/* Element access: plain indexing, or memcpy for int64 (the arena aligns tensors to 4 bytes only). */
#define MCU_MATH_LD(arr, i) ((arr)[i])
#define MCU_MATH_ST(arr, i, v) ((arr)[i] = (v))
static inline int64_t mcu_math_ld64(const int64_t *arr, int32_t i)
{
    int64_t v;
    memcpy(&v, (const unsigned char *)arr + (size_t)i * sizeof v, sizeof v);
    return v;
}
static inline void mcu_math_st64(int64_t *arr, int32_t i, int64_t v)
{
    memcpy((unsigned char *)arr + (size_t)i * sizeof v, &v, sizeof v);
}
#define MCU_MATH_LD64(arr, i) mcu_math_ld64((arr), (i))
#define MCU_MATH_ST64(arr, i, v) mcu_math_st64((arr), (i), (v))

/* Unary operators. */
typedef struct {
    int32_t size;                 /* element count */
} mcu_lut_params_t;

/* out[i] = table[in[i] + 128]; fully in place. */
void mcu_lut_s8(const mcu_lut_params_t *p, const int8_t *input, int8_t *output, const int8_t *table);

typedef struct {
    int32_t size;
    int32_t mode;                 /* ABS: 0 raw (unquantized), 1 same scales, 2 rescale; RSQRT: unused */
    int32_t input_offset;         /* -input zero point */
    int32_t output_offset;        /* output zero point */
    int32_t multiplier, shift;    /* ABS: in/out; RSQRT: 1 / (sqrt(in) * out) */
} mcu_unary_s16_params_t;

void mcu_abs_s16(const mcu_unary_s16_params_t *p, const int16_t *input, int16_t *output);
void mcu_rsqrt_s16(const mcu_unary_s16_params_t *p, const int16_t *input, int16_t *output);

/* TFLM GetInvSqrtQuantizedMultiplierExp with reverse shift -1: 1/sqrt(x) ~ *mult * 2^(*shift - 31). */
void mcu_inv_sqrt_multiplier(int32_t x, int32_t *mult, int32_t *shift);

enum { MCU_UNARY_ABS = 0, MCU_UNARY_SQRT = 1, MCU_UNARY_RSQRT = 2, MCU_UNARY_LOG = 3 };
typedef struct {
    int32_t size;
    int32_t op;                   /* MCU_UNARY_* */
} mcu_unary_f32_params_t;

void mcu_unary_f32(const mcu_unary_f32_params_t *p, const float *input, float *output);

typedef struct {
    int32_t outer, axis, inner;   /* the input as [outer][axis][inner] */
    int32_t is_min;               /* 0: ARG_MAX, 1: ARG_MIN */
} mcu_arg_max_params_t;

void mcu_arg_max_s8(const mcu_arg_max_params_t *p, const int8_t *input, int32_t *output);
void mcu_arg_max_f32(const mcu_arg_max_params_t *p, const float *input, int32_t *output);

typedef struct {
    int32_t outer, depth;            /* rows, row length (the last axis) */
    int32_t input_multiplier, input_left_shift;
    int32_t reverse_scaling_divisor, reverse_scaling_shift;  /* shift <= 0 */
    int32_t diff_min;
} mcu_log_softmax_params_t;

void mcu_log_softmax_s8(const mcu_log_softmax_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t outer, depth;
    int32_t input_offset;            /* -input zero point */
} mcu_l2norm_params_t;

void mcu_l2norm_s8(const mcu_l2norm_params_t *p, const int8_t *input, int8_t *output);
void mcu_l2norm_f32(const mcu_l2norm_params_t *p, const float *input, float *output);

/* The broadcast loop every binary kernel here shares: out[k] = F(a[.], b[.]) over the output in order,
 * with element loads LD(array, index) and stores ST(array, index, value). */
#define MCU_MATH_BINARY_LOOP_LS(p, a, b, out, F, LDA, ST)                                  \
    do {                                                                                   \
        const mcu_broadcast_t *bc_ = &(p)->bcast;                                          \
        if (bc_->rank == 0) {                                                              \
            for (int32_t i_ = 0; i_ < (p)->size; i_++) {                                   \
                ST(out, i_, F(LDA(a, i_), LDA(b, i_)));                                    \
            }                                                                              \
            break;                                                                         \
        }                                                                                  \
        const int32_t n_ = bc_->shape[bc_->rank - 1];                                      \
        const int32_t s1_ = bc_->stride1[bc_->rank - 1], s2_ = bc_->stride2[bc_->rank - 1]; \
        const int32_t runs_ = (p)->size / n_;                                              \
        int32_t idx_[MCU_ELTWISE_MAX_DIMS] = {0};                                          \
        int32_t o1_ = 0, o2_ = 0, k_ = 0;                                                  \
        for (int32_t r_ = 0; r_ < runs_; r_++) {                                           \
            for (int32_t i_ = 0; i_ < n_; i_++) {                                          \
                ST(out, k_ + i_, F(LDA(a, o1_ + i_ * s1_), LDA(b, o2_ + i_ * s2_)));       \
            }                                                                              \
            k_ += n_;                                                                      \
            mcu_broadcast_next(bc_, idx_, &o1_, &o2_);                                     \
        }                                                                                  \
    } while (0)

#define MCU_MATH_BINARY_LOOP(p, a, b, out, F) MCU_MATH_BINARY_LOOP_LS(p, a, b, out, F, MCU_MATH_LD, MCU_MATH_ST)

/* LOG_SOFTMAX, float32 (TFLM's reference float LogSoftmax): per row of `depth`, max (from -FLT_MAX), sum of
 * expf(x - max) in order, out = x - max - logf(sum); the `outer` and `depth` of mcu_log_softmax_params_t
 * (the other fields unused). expf and logf are the C library's. */
void mcu_log_softmax_f32(const mcu_log_softmax_params_t *p, const float *input, float *output);

#endif /* MCU_MATH_H */
