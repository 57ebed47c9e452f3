/*
 * mcu_activation.h - activation kernels: SOFTMAX, LOGISTIC, TANH, RELU, RELU6,
 * LEAKY_RELU, PRELU (int8 and int16), HARD_SWISH (int8).
 *
 * Every kernel follows TFLM's int8 reference recipe bit for bit; the generator
 * computes the multipliers, shifts and radii exactly as TFLM's Prepare does and
 * writes them to a const struct in flash. All kernels are element-wise or
 * row-wise and read each input element before writing the same output element,
 * so they may run in place (output == input), except mcu_softmax_s8_s16 whose
 * output elements are wider than its input's.
 *
 * The static inline helpers below are the gemmlowp fixed-point functions the
 * SOFTMAX, LOGISTIC and TANH recipes are built from. A value "Qi" has i integer
 * bits and 31 - i fractional bits in an int32 (Q0 = [-1, 1)). Sums wrap like
 * TFLM's int32 arithmetic does on every target (done through uint32_t, so the
 * C code has no signed overflow).
 */
#ifndef MCU_ACTIVATION_H
#define MCU_ACTIVATION_H

#include <stdint.h>

#include "mcu_elementwise.h"
#include "mcu_fixedpoint.h"

/* ---- parameters --------------------------------------------------------------- */

/* SOFTMAX over the last axis: `rows` rows of `depth` elements. */
typedef struct {
    int32_t rows, depth;
    int32_t input_multiplier;  /* beta * input_scale * 2^26 = multiplier * 2^(shift - 31) */
    int32_t input_left_shift;  /* >= 0 */
    int32_t diff_min;          /* differences to the row max below this give exp 0 */
} mcu_softmax_params_t;

/* SOFTMAX, int16 in and out: `rows` rows of `depth` elements; the two tables
 * (513 entries each) are built at build time as TFLM's Prepare builds them. */
typedef struct {
    int32_t rows, depth;
    int32_t input_multiplier, input_left_shift;  /* input_scale * beta / (10 / 65535) */
    const int16_t *exp_lut;                  /* exp(x) on [-10, 0] */
    const int16_t *one_over_one_plus_x_lut;  /* 1 / (1 + x) on [0, 1] */
} mcu_softmax_s16_params_t;

/* LOGISTIC and TANH: input rescaled to Q4.27, saturating outside the radius. */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t input_range_radius;  /* |x - zp| >= radius gives the saturated output */
    int32_t input_multiplier;    /* input_scale * 2^27 = multiplier * 2^(shift - 31) */
    int32_t input_left_shift;
} mcu_sigmoid_params_t;

/* LOGISTIC and TANH, int16: input brought to the table scale 1/(3 * 4096) by
 * (x * input_multiplier + 2^(shift-1)) >> shift, then the sigmoid table (256
 * entries, 0.16 format) interpolated; output scale 1/32768, zero point 0. */
typedef struct {
    int32_t size;
    int32_t input_multiplier;   /* <= 32767 */
    int32_t input_right_shift;  /* 0..31 */
    const uint16_t *table;      /* sigmoid(i / 24) * 65536, 256 entries */
} mcu_sigmoid_s16_params_t;

/* RELU with requantization: out = clamp(zo + (x - zi) * M * 2^shift, act_min, act_max). */
typedef struct {
    int32_t size;
    int32_t input_offset;   /* input zero point (subtracted) */
    int32_t output_offset;  /* output zero point (added) */
    int32_t multiplier, shift;
    int32_t act_min, act_max;
} mcu_relu_params_t;

/* A plain clamp of the quantized values (RELU6, and RELU when input and output
 * quantization are equal). */
typedef struct {
    int32_t size;
    int32_t lo, hi;
} mcu_relu_clamp_params_t;

/* LEAKY_RELU: identity multiplier for x >= zi, |alpha| multiplier (then the
 * sign of alpha) below. */
typedef struct {
    int32_t size;
    int32_t input_offset;   /* input zero point (subtracted) */
    int32_t output_offset;  /* output zero point (added) */
    int32_t identity_multiplier, identity_shift;
    int32_t alpha_multiplier, alpha_shift;  /* of |alpha| * in_scale / out_scale */
    int32_t alpha_negative;                 /* 1 when alpha < 0 */
} mcu_leaky_relu_params_t;

/* PRELU: out = clamp(zo + (x - zi) * M1 * 2^s1) for x >= zi, else
 * clamp(zo + (x - zi) * (alpha - za) * M2 * 2^s2), clamped to the output type;
 * alpha (int8 for both int8 and int16 inputs) broadcasts against the input as
 * input2 of an ADD would (bcast: input1 = the input, input2 = alpha). */
typedef struct {
    int32_t size;               /* output element count */
    mcu_broadcast_t bcast;
    int32_t input_offset;       /* -input zero point */
    int32_t alpha_offset;       /* -alpha zero point */
    int32_t output_offset;      /* output zero point */
    int32_t positive_multiplier, positive_shift;  /* in_scale / out_scale */
    int32_t negative_multiplier, negative_shift;  /* in_scale * alpha_scale / out_scale */
} mcu_prelu_params_t;

/* HARD_SWISH: TFLM's int16 fixed-point recipe (HardSwishParams). */
typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t output_multiplier;     /* int16 fixed-point multiplier (Q15) */
    int32_t output_exponent;       /* <= 0 */
    int32_t reluish_multiplier;    /* int16 fixed-point multiplier (Q15) */
    int32_t reluish_exponent;
} mcu_hard_swish_params_t;

/* ---- kernels ------------------------------------------------------------------ */

/* SOFTMAX, int8 in, int8 out (scale 1/256, zero point -128). */
void mcu_softmax_s8(const mcu_softmax_params_t *p, const int8_t *input, int8_t *output);

/* SOFTMAX, int8 in, int16 out (scale 1/65536, zero point -32768). */
void mcu_softmax_s8_s16(const mcu_softmax_params_t *p, const int8_t *input, int16_t *output);

/* SOFTMAX, int16 in, int16 out (scale 1/32768, zero point 0). */
void mcu_softmax_s16(const mcu_softmax_s16_params_t *p, const int16_t *input, int16_t *output);

/* LOGISTIC, int8; the output is on scale 1/256, zero point -128. */
void mcu_logistic_s8(const mcu_sigmoid_params_t *p, const int8_t *input, int8_t *output);

/* TANH, int8; the output is on scale 1/128, zero point 0. */
void mcu_tanh_s8(const mcu_sigmoid_params_t *p, const int8_t *input, int8_t *output);

/* LOGISTIC and TANH, int16 (TFLM's table recipe). */
void mcu_logistic_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output);
void mcu_tanh_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output);

/* RELU, int8, with requantization from the input to the output quantization. */
void mcu_relu_s8(const mcu_relu_params_t *p, const int8_t *input, int8_t *output);

/* Clamp every element to [lo, hi] (RELU6; RELU with equal quantization). */
void mcu_relu_clamp_s8(const mcu_relu_clamp_params_t *p, const int8_t *input, int8_t *output);

/* LEAKY_RELU, int8. */
void mcu_leaky_relu_s8(const mcu_leaky_relu_params_t *p, const int8_t *input, int8_t *output);

/* int16 versions of RELU, the clamp and LEAKY_RELU: the same parameters and recipes. */
void mcu_relu_s16(const mcu_relu_params_t *p, const int16_t *input, int16_t *output);
void mcu_relu_clamp_s16(const mcu_relu_clamp_params_t *p, const int16_t *input, int16_t *output);
void mcu_leaky_relu_s16(const mcu_leaky_relu_params_t *p, const int16_t *input, int16_t *output);

/* PRELU, int8 input and alpha; int16 input with int8 alpha. The output may
 * overlay an input of its own shape and type (mcu_elementwise.h's in-place rules). */
void mcu_prelu_s8(const mcu_prelu_params_t *p, const int8_t *input, const int8_t *alpha, int8_t *output);
void mcu_prelu_s16(const mcu_prelu_params_t *p, const int16_t *input, const int8_t *alpha, int16_t *output);

/* HARD_SWISH, int8. */
void mcu_hard_swish_s8(const mcu_hard_swish_params_t *p, const int8_t *input, int8_t *output);

/* ---- int16 LOGISTIC / TANH table helpers ------------------------------------- */

/* The sigmoid table at |x'| >> frac_bits, interpolated towards the next entry by the
 * low frac_bits bits (a value with frac_bits more fraction bits than the table);
 * `saturated` past the table's end. All unsigned, as in TFLM. */
static inline uint32_t mcu_sigmoid_s16_lookup(const uint16_t *table, uint32_t ax, uint32_t frac_bits, uint32_t saturated)
{
    const uint32_t uh = ax >> frac_bits;
    if (uh >= 255u) {
        return saturated;
    }
    const uint32_t ua = table[uh], ub = table[uh + 1u];
    return (ua << frac_bits) + (ax & ((1u << frac_bits) - 1u)) * (ub - ua);
}

/* ---- gemmlowp fixed-point helpers ------------------------------------------- */

static inline int32_t mcu_fp_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t mcu_fp_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* x * 2^e (e in 1..30), saturating to the int32 range (gemmlowp's
 * SaturatingRoundingMultiplyByPOT with a positive exponent, i.e. Rescale to
 * fewer integer bits). */
static inline int32_t mcu_fp_sat_shl(int32_t x, int32_t e)
{
    const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - e)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << e);
}

/* (a + b) / 2 rounded half away from zero, in 64 bits. */
static inline int32_t mcu_fp_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* Number of leading zero bits of x (32 for 0). */
static inline int32_t mcu_clz32(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return x == 0u ? 32 : (int32_t)__builtin_clz(x);
#else
    int32_t n = 0;
    if (x == 0u) {
        return 32;
    }
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

/* exp(a) for a in [-1/4, 0), a and result in Q0: Taylor series around -1/8. */
static inline int32_t mcu_fp_exp_on_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = a + ((int32_t)1 << 28);
    const int32_t x2 = mcu_sat_rdhm(x, x);
    const int32_t x3 = mcu_sat_rdhm(x2, x);
    const int32_t x4 = mcu_sat_rdhm(x2, x2);
    const int32_t x4_over_4 = mcu_rdbpot(x4, 2);
    const int32_t poly = mcu_rdbpot(
        mcu_fp_add(mcu_sat_rdhm(mcu_fp_add(x4_over_4, x3), one_third), x2), 1);
    return mcu_fp_add(exp_minus_one_eighth,
                      mcu_sat_rdhm(exp_minus_one_eighth, mcu_fp_add(x, poly)));
}

/* exp(a) for a <= 0 given in Q(int_bits) (int_bits 1..5); result in Q0.
 * The quarter-interval remainder is evaluated by the series, then each set bit
 * of the rest multiplies by a constant exp(-2^k). */
static inline int32_t mcu_fp_exp_on_negative_values(int32_t a, int32_t int_bits)
{
    static const int32_t exp_of_minus_pot[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1) */
        290630308,  /* exp(-2) */
        39332535,   /* exp(-4) */
        720401,     /* exp(-8) */
        242,        /* exp(-16) */
    };
    const int32_t frac_bits = 31 - int_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
    const int32_t remainder = mcu_fp_sub(a_mod_quarter_minus_quarter, a);
    int32_t result = mcu_fp_exp_on_quarter(mcu_fp_sat_shl(a_mod_quarter_minus_quarter, int_bits));
    int32_t k;
    if (a == 0) {
        return INT32_MAX;
    }
    for (k = 0; k < 7; k++) {
        const int32_t exponent = k - 2; /* the bit for 2^exponent */
        if (int_bits > exponent && (remainder & ((int32_t)1 << (frac_bits + exponent))) != 0) {
            result = mcu_sat_rdhm(result, exp_of_minus_pot[k]);
        }
    }
    return result;
}

/* Newton-Raphson for 1 / half_denominator with half_denominator in [1/2, 1)
 * (Q0); result in Q2. */
static inline int32_t mcu_fp_newton_reciprocal(int32_t half_denominator)
{
    const int32_t c48_over_17 = 1515870810;      /* Q2 */
    const int32_t cneg32_over_17 = -1010580540;  /* Q2 */
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t x = mcu_fp_add(c48_over_17, mcu_sat_rdhm(half_denominator, cneg32_over_17));
    int32_t i;
    for (i = 0; i < 3; i++) {
        const int32_t half_denominator_times_x = mcu_sat_rdhm(half_denominator, x);
        const int32_t one_minus = mcu_fp_sub(one_q2, half_denominator_times_x);
        x = mcu_fp_add(x, mcu_fp_sat_shl(mcu_sat_rdhm(x, one_minus), 2));
    }
    return x;
}

/* 1 / (1 + a) for a in [0, 1), Q0 in and out. */
static inline int32_t mcu_fp_one_over_one_plus_x(int32_t a)
{
    const int32_t x = mcu_fp_newton_reciprocal(mcu_fp_rounding_half_sum(a, INT32_MAX));
    return mcu_fp_sat_shl(x, 1);
}

/* (1 - a) / (1 + a) for a in [0, 1), Q0 in and out. */
static inline int32_t mcu_fp_one_minus_x_over_one_plus_x(int32_t a)
{
    const int32_t x = mcu_fp_newton_reciprocal(mcu_fp_rounding_half_sum(a, INT32_MAX));
    return mcu_fp_sat_shl(mcu_fp_sub(x, (int32_t)1 << 29), 2);
}

/* logistic(a) for a in Q4, result in Q0. */
static inline int32_t mcu_fp_logistic_q4(int32_t a)
{
    int32_t r;
    if (a == 0) {
        return (int32_t)1 << 30;
    }
    r = mcu_fp_one_over_one_plus_x(mcu_fp_exp_on_negative_values(a > 0 ? -a : a, 4));
    return a > 0 ? r : mcu_fp_sub(INT32_MAX, r);
}

/* tanh(a) for a in Q4, result in Q0. exp(-2|a|) is read as Q5 from the same raw value. */
static inline int32_t mcu_fp_tanh_q4(int32_t a)
{
    int32_t t;
    if (a == 0) {
        return 0;
    }
    t = mcu_fp_one_minus_x_over_one_plus_x(mcu_fp_exp_on_negative_values(a < 0 ? a : -a, 5));
    return a < 0 ? mcu_fp_sub(0, t) : t;
}

/* SOFTMAX, float32: TFLM's reference float Softmax. Per row: max from -FLT_MAX with std::max; exp_c =
 * expf((x_c - max) * beta) stored in the output while sum += exp_c in order; then output_c = exp_c / sum. */
typedef struct {
    int32_t rows, depth;
    float beta;
} mcu_softmax_f32_params_t;

void mcu_softmax_f32(const mcu_softmax_f32_params_t *p, const float *input, float *output);

/* ---- float32 activations (TFLM's reference float kernels, element by element) ----------------------- */

/* RELU (x < 0 ? 0 : x), RELU6 (x > 6 ? 6 : x < 0 ? 0 : x), RELU_N1_TO_1 (the same with -1 and 1),
 * LEAKY_RELU (x > 0 ? x : x * alpha), LOGISTIC (1 / (1 + expf(-x)), with TFLM's cutoffs: 1 above
 * 16.619047, expf(x) below -9), TANH (tanhf), HARD_SWISH (x * min(6, max(0, x + 3)) / 6). NaN passes
 * through as in TFLM's comparisons. The output may be the input (element i is read before it is written). */
typedef struct {
    int32_t size;
    float alpha;  /* LEAKY_RELU only */
} mcu_act_f32_params_t;

void mcu_relu_f32(const mcu_act_f32_params_t *p, const float *input, float *output);
void mcu_relu6_f32(const mcu_act_f32_params_t *p, const float *input, float *output);
void mcu_relu_n1_to_1_f32(const mcu_act_f32_params_t *p, const float *input, float *output);
void mcu_leaky_relu_f32(const mcu_act_f32_params_t *p, const float *input, float *output);
void mcu_logistic_f32(const mcu_act_f32_params_t *p, const float *input, float *output);
void mcu_tanh_f32(const mcu_act_f32_params_t *p, const float *input, float *output);
void mcu_hard_swish_f32(const mcu_act_f32_params_t *p, const float *input, float *output);

/* PRELU, float32: x >= 0 ? x : x * alpha, alpha broadcast against the input (mcu_broadcast_t, input2). */
typedef struct {
    int32_t size;               /* output element count */
    mcu_broadcast_t bcast;
} mcu_prelu_f32_params_t;

void mcu_prelu_f32(const mcu_prelu_f32_params_t *p, const float *input, const float *alpha, float *output);

#endif /* MCU_ACTIVATION_H */
