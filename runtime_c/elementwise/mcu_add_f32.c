/* mcu_add_f32.c - ADD and SUB, float32, with broadcasting (TFLM's reference float Add / Sub; see
 * mcu_elementwise.h). */
#include "mcu_elementwise.h"
#include "mcu_f32.h"

#define MCU_F32_ADD(a, b) mcu_clamp_f32((a) + (b), lo, hi)
#define MCU_F32_SUB(a, b) mcu_clamp_f32((a) - (b), lo, hi)

void mcu_add_f32(const mcu_binary_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    const float lo = p->act_min, hi = p->act_max;
    const int32_t size = p->size;
    if (p->bcast.rank == 0) {
        for (int32_t i = 0; i < size; i++) {
            output[i] = MCU_F32_ADD(input1[i], input2[i]);
        }
        return;
    }
    MCU_BROADCAST_LOOP_F32(&p->bcast, size, input1, input2, output, MCU_F32_ADD);
}

void mcu_sub_f32(const mcu_binary_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    const float lo = p->act_min, hi = p->act_max;
    const int32_t size = p->size;
    if (p->bcast.rank == 0) {
        for (int32_t i = 0; i < size; i++) {
            output[i] = MCU_F32_SUB(input1[i], input2[i]);
        }
        return;
    }
    MCU_BROADCAST_LOOP_F32(&p->bcast, size, input1, input2, output, MCU_F32_SUB);
}
