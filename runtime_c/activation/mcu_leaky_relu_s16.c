/* mcu_leaky_relu_s16.c - LEAKY_RELU, int16 (see mcu_activation.h).
 *
 * x - zi >= 0 is requantized with in_scale / out_scale, below with
 * |alpha| * in_scale / out_scale and then negated if alpha < 0 (TFLM keeps the
 * multiplier non-negative this way, which rounds halves differently from a
 * negative multiplier).
 */
#include "mcu_activation.h"
#include "mcu_fixedpoint.h"

void mcu_leaky_relu_s16(const mcu_leaky_relu_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; i++) {
        const int32_t x = (int32_t)input[i] - p->input_offset;
        int32_t q;
        if (x >= 0) {
            q = mcu_requantize(x, p->identity_multiplier, p->identity_shift);
        } else {
            q = mcu_requantize(x, p->alpha_multiplier, p->alpha_shift);
            if (p->alpha_negative) {
                q = -q;
            }
        }
        q += p->output_offset;
        output[i] = (int16_t)MCU_CLAMP(q, INT16_MIN, INT16_MAX);
    }
}
