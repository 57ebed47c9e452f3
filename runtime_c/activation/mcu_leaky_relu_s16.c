/* mcu_leaky_relu_s16.c - LEAKY_RELU, int16 (body: mcu_leaky_relu_impl.h). */
#include <stdint.h>

#define MCU_LEAKY_RELU_T int16_t
#define MCU_LEAKY_RELU_MIN INT16_MIN
#define MCU_LEAKY_RELU_MAX INT16_MAX
#define MCU_LEAKY_RELU_FN mcu_leaky_relu_s16
#include "mcu_leaky_relu_impl.h"
