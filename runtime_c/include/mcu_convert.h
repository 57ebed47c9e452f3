/*
 * mcu_convert.h - type conversions that are pure bit manipulation.
 *
 * mcu_flip_sign_8: uint8 <-> int8 with the same scale and zero points 128 apart
 * (q_int8 = q_uint8 - 128 is the byte with its top bit flipped). Used at the
 * inputs and outputs of legacy uint8 models, whose layers run the int8 kernels.
 * The output may be the input (in place).
 */
#ifndef MCU_CONVERT_H
#define MCU_CONVERT_H

#include <stdint.h>

typedef struct {
    int32_t size;   /* bytes */
} mcu_flip_sign_params_t;

void mcu_flip_sign_8(const mcu_flip_sign_params_t *p, const uint8_t *input, uint8_t *output);

#endif /* MCU_CONVERT_H */
