/* mcu_flip_sign_8.c - uint8 <-> int8 by flipping each byte's top bit (see mcu_convert.h). */
#include "mcu_convert.h"

void mcu_flip_sign_8(const mcu_flip_sign_params_t *p, const uint8_t *input, uint8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; i++) {
        output[i] = (uint8_t)(input[i] ^ 0x80u);
    }
}
