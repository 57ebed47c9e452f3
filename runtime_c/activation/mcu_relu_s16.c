/* mcu_relu_s16.c - RELU (int16) with requantization, and the plain clamp used for RELU6
 * and for RELU between equal quantizations (see mcu_activation.h). */
#include "mcu_activation.h"
#include "mcu_fixedpoint.h"

void mcu_relu_s16(const mcu_relu_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; i++) {
        int32_t q = p->output_offset
                  + mcu_requantize((int32_t)input[i] - p->input_offset, p->multiplier, p->shift);
        q = MCU_CLAMP(q, p->act_min, p->act_max);
        output[i] = (int16_t)q;
    }
}

void mcu_relu_clamp_s16(const mcu_relu_clamp_params_t *p, const int16_t *input, int16_t *output)
{
    const int16_t lo = (int16_t)p->lo, hi = (int16_t)p->hi;
    int32_t i;
    for (i = 0; i < p->size; i++) {
        const int16_t v = input[i];
        output[i] = v > hi ? hi : (v < lo ? lo : v);
    }
}
