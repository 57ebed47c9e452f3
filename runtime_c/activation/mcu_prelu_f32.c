/* mcu_prelu_f32.c - PRELU, float32, alpha broadcast (TFLM's BroadcastPrelu4DSlowFloat; see
 * mcu_activation.h and the broadcast loop of mcu_elementwise.h). */
#include "mcu_activation.h"

#define MCU_PRELU_F32(x, a) (((x) >= 0.0f) ? (x) : (x) * (a))

void mcu_prelu_f32(const mcu_prelu_f32_params_t *p, const float *input, const float *alpha, float *output)
{
    const int32_t size = p->size;
    if (p->bcast.rank == 0) {
        for (int32_t i = 0; i < size; i++) {
            output[i] = MCU_PRELU_F32(input[i], alpha[i]);
        }
        return;
    }
    MCU_BROADCAST_LOOP_F32(&p->bcast, size, input, alpha, output, MCU_PRELU_F32);
}
