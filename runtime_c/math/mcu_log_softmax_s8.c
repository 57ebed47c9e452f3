/* mcu_log_softmax_s8.c - LOG_SOFTMAX over the last axis, int8 (see mcu_math.h). */
#include "mcu_math.h"
#include "mcu_fixedpoint.h"
#include "mcu_activation.h"

/* gemmlowp SaturatingRoundingMultiplyByPOTParam: x * 2^e, saturating for e > 0, rounding for e < 0. */
static inline int32_t mcu_fp_mul_pot(int32_t x, int32_t e)
{
    if (e == 0) {
        return x;
    }
    return e > 0 ? mcu_fp_sat_shl(x, e) : mcu_rdbpot(x, -e);
}

static inline int32_t mcu_fp_sat_add64(int64_t v)
{
    return (int32_t)(v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v));
}

/* TFLite log_x_for_x_greater_than_or_equal_to_1<5>(x in Q12.19): log(x) in Q5.26. */
static int32_t mcu_fp_log_q12_to_q5(int32_t z_a)
{
    const int32_t in_bits = 12, accum_bits = 6;
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t shifted_quarter = mcu_rdbpot(536870912, accum_bits);

    const int32_t a_hp1 = mcu_clz32((uint32_t)z_a);
    const int32_t r_a_tmp = mcu_fp_mul_pot(z_a, a_hp1 - 1);
    const int32_t r_a = mcu_fp_mul_pot(mcu_sat_rdhm(r_a_tmp, sqrt_half), 1);
    const int32_t a_adj = mcu_fp_sat_add64((int64_t)mcu_fp_mul_pot(in_bits - a_hp1, 31 - accum_bits) + shifted_quarter);

    const int32_t z_b = mcu_sat_rdhm(z_a, sqrt_half);
    const int32_t b_hr = mcu_clz32((uint32_t)z_b) - 1;
    const int32_t r_b = mcu_fp_mul_pot(z_a, b_hr);
    const int32_t b_adj = mcu_fp_sat_add64((int64_t)mcu_fp_mul_pot(in_bits - b_hr, 31 - accum_bits) - shifted_quarter);

    const int32_t r = r_a < r_b ? r_a : r_b;
    const int32_t z_pow_2_adj = a_adj > b_adj ? a_adj : b_adj;

    const int32_t p = mcu_fp_rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = mcu_fp_sub(r, sqrt_sqrt_half);
    q = mcu_fp_add(q, q);
    const int32_t common_sq = mcu_sat_rdhm(q, q);
    const int32_t num = mcu_fp_add(mcu_sat_rdhm(q, r), mcu_sat_rdhm(mcu_sat_rdhm(q, common_sq), alpha_n));
    const int32_t denom_minus_one = mcu_fp_add(
        mcu_sat_rdhm(p, mcu_fp_add(mcu_fp_add(alpha_i, q), mcu_sat_rdhm(alpha_d, common_sq))),
        mcu_sat_rdhm(alpha_f, q));
    const int32_t recip_denom = mcu_fp_one_over_one_plus_x(denom_minus_one);
    const int32_t num_scaled = mcu_rdbpot(num, accum_bits);
    const int32_t sum = mcu_fp_add(mcu_sat_rdhm(z_pow_2_adj, log_2), mcu_sat_rdhm(num_scaled, recip_denom));
    return mcu_fp_sat_shl(sum, 1); /* Q6 -> Q5 */
}

void mcu_log_softmax_s8(const mcu_log_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t depth = p->depth;
    for (int32_t o = 0; o < p->outer; o++) {
        const int8_t *in = input + o * depth;
        int8_t *out = output + o * depth;
        int32_t max_in_row = INT8_MIN;
        for (int32_t c = 0; c < depth; c++) {
            max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
        }
        int32_t sum_q12 = 0;
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = in[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t diff_q5 = mcu_requantize(diff, p->input_multiplier, p->input_left_shift);
                sum_q12 = mcu_fp_add(sum_q12, mcu_rdbpot(mcu_fp_exp_on_negative_values(diff_q5, 5), 12));
            }
        }
        const int32_t log_sum_q5 = mcu_fp_log_q12_to_q5(sum_q12);
        const int32_t shifted = mcu_fp_add(log_sum_q5, INT32_MIN);
        const int32_t reverse = mcu_requantize(shifted, p->reverse_scaling_divisor, p->reverse_scaling_shift);
        const int32_t adjusted_diff_min = MCU_MAX(p->diff_min - 1, reverse);
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = in[c] - max_in_row;
            if (diff > adjusted_diff_min) {
                const int32_t diff_q5 = mcu_requantize(diff, p->input_multiplier, p->input_left_shift);
                int32_t v = mcu_rdbpot(mcu_fp_sub(diff_q5, log_sum_q5), 31 - 5 - 4) + INT8_MAX;
                out[c] = (int8_t)MCU_CLAMP(v, INT8_MIN, INT8_MAX);
            } else {
                out[c] = INT8_MIN;
            }
        }
    }
}
