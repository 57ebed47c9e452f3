/* mcu_prelu_s8.c - PRELU, int8 input and output, int8 alpha, with broadcasting (body: mcu_prelu_impl.h). */
#include <stdint.h>

#define MCU_PRELU_T int8_t
#define MCU_PRELU_MIN INT8_MIN
#define MCU_PRELU_MAX INT8_MAX
#define MCU_PRELU_FN mcu_prelu_s8
#include "mcu_prelu_impl.h"
