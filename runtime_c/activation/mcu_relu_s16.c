/* mcu_relu_s16.c - RELU with requantization, and the plain clamp used for RELU6
 * and for RELU between equal quantizations, int16 (body: mcu_relu_impl.h). */
#include <stdint.h>

#define MCU_RELU_T int16_t
#define MCU_RELU_FN mcu_relu_s16
#define MCU_RELU_CLAMP_FN mcu_relu_clamp_s16
#include "mcu_relu_impl.h"
