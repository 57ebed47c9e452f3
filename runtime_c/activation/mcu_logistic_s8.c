/* mcu_logistic_s8.c - LOGISTIC, int8 (see mcu_activation.h).
 *
 * x - zp is rescaled to Q4.27, logistic is evaluated in fixed point (Q0) and
 * rounded to the output scale 1/256 with zero point -128. Inputs at or beyond
 * the radius (where Q4.27 would overflow) saturate to -128 / 127.
 */
#include "mcu_activation.h"
#include "mcu_fixedpoint.h"

void mcu_logistic_s8(const mcu_sigmoid_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t radius = p->input_range_radius;
    int32_t i;
    for (i = 0; i < p->size; i++) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        int32_t q;
        if (x <= -radius) {
            q = -128;
        } else if (x >= radius) {
            q = 127;
        } else {
            const int32_t x_q4 = mcu_requantize(x, p->input_multiplier, p->input_left_shift);
            q = mcu_rdbpot(mcu_fp_logistic_q4(x_q4), 23) - 128;
            q = MCU_CLAMP(q, -128, 127);
        }
        output[i] = (int8_t)q;
    }
}
