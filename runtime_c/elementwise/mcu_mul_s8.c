/* mcu_mul_s8.c - MUL, int8, with broadcasting (body: mcu_mul_impl.h). */
#include <stdint.h>

#define MCU_MUL_T int8_t
#define MCU_MUL_FN mcu_mul_s8
#include "mcu_mul_impl.h"
