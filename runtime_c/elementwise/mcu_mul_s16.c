/* mcu_mul_s16.c - MUL, int16 (zero points 0), with broadcasting (body: mcu_mul_impl.h). */
#include <stdint.h>

#define MCU_MUL_T int16_t
#define MCU_MUL_FN mcu_mul_s16
#include "mcu_mul_impl.h"
