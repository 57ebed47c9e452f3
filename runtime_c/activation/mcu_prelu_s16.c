/* mcu_prelu_s16.c - PRELU, int16 input and output, int8 alpha, with broadcasting (body: mcu_prelu_impl.h). */
#include <stdint.h>

#define MCU_PRELU_T int16_t
#define MCU_PRELU_MIN INT16_MIN
#define MCU_PRELU_MAX INT16_MAX
#define MCU_PRELU_FN mcu_prelu_s16
#include "mcu_prelu_impl.h"
