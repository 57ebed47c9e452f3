/* mcu_leaky_relu_impl.h - the body of LEAKY_RELU for one element type (see
 * mcu_activation.h). Included by mcu_leaky_relu_s8.c and mcu_leaky_relu_s16.c
 * after they define:
 *   MCU_LEAKY_RELU_T             the element type (int8_t, int16_t)
 *   MCU_LEAKY_RELU_MIN, _MAX     its range (the result is clamped to it)
 *   MCU_LEAKY_RELU_FN            the function's name
 *
 * x - zi >= 0 is requantized with in_scale / out_scale, below with
 * |alpha| * in_scale / out_scale and then negated if alpha < 0 (TFLM keeps the
 * multiplier non-negative this way, which rounds halves differently from a
 * negative multiplier).
 */
#include "mcu_activation.h"
#include "mcu_fixedpoint.h"

void MCU_LEAKY_RELU_FN(const mcu_leaky_relu_params_t *p, const MCU_LEAKY_RELU_T *input, MCU_LEAKY_RELU_T *output)
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
        output[i] = (MCU_LEAKY_RELU_T)MCU_CLAMP(q, MCU_LEAKY_RELU_MIN, MCU_LEAKY_RELU_MAX);
    }
}
