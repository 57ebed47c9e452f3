/* mcu_add_s16.c - ADD and SUB, int16, with broadcasting (body: mcu_add_impl.h).
 *
 * TFLM runs its general-scale recipe for every int16 ADD/SUB (left shift 15,
 * whatever pot_scale_int16 says): |q - zp| <= 65535, so (q - zp) * 2^15 fits in
 * an int32 and the int8 body serves unchanged. */
#include <stdint.h>

#define MCU_ADD_T int16_t
#define MCU_ADD_FN mcu_add_s16
#define MCU_SUB_FN mcu_sub_s16
#include "mcu_add_impl.h"
