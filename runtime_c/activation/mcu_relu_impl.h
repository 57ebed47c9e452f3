/* mcu_relu_impl.h - the bodies of RELU with requantization and of the plain clamp
 * (RELU6, and RELU between equal quantizations) for one element type (see
 * mcu_activation.h). Included by mcu_relu_s8.c and mcu_relu_s16.c after they define:
 *   MCU_RELU_T        the element type (int8_t, int16_t)
 *   MCU_RELU_FN       the RELU function's name
 *   MCU_RELU_CLAMP_FN the clamp function's name
 * The clamp ranges come from the parameters. */
#include "mcu_activation.h"
#include "mcu_fixedpoint.h"

void MCU_RELU_FN(const mcu_relu_params_t *p, const MCU_RELU_T *input, MCU_RELU_T *output)
{
    int32_t i;
    for (i = 0; i < p->size; i++) {
        int32_t q = p->output_offset
                  + mcu_requantize((int32_t)input[i] - p->input_offset, p->multiplier, p->shift);
        q = MCU_CLAMP(q, p->act_min, p->act_max);
        output[i] = (MCU_RELU_T)q;
    }
}

void MCU_RELU_CLAMP_FN(const mcu_relu_clamp_params_t *p, const MCU_RELU_T *input, MCU_RELU_T *output)
{
    const MCU_RELU_T lo = (MCU_RELU_T)p->lo, hi = (MCU_RELU_T)p->hi;
    int32_t i;
    for (i = 0; i < p->size; i++) {
        const MCU_RELU_T v = input[i];
        output[i] = v > hi ? hi : (v < lo ? lo : v);
    }
}
