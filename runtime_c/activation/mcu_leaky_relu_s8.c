/* mcu_leaky_relu_s8.c - LEAKY_RELU, int8 (body: mcu_leaky_relu_impl.h). */
#include <stdint.h>

#define MCU_LEAKY_RELU_T int8_t
#define MCU_LEAKY_RELU_MIN INT8_MIN
#define MCU_LEAKY_RELU_MAX INT8_MAX
#define MCU_LEAKY_RELU_FN mcu_leaky_relu_s8
#include "mcu_leaky_relu_impl.h"
