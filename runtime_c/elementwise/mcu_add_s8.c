/* mcu_add_s8.c - ADD and SUB, int8, with broadcasting (body: mcu_add_impl.h). */
#include <stdint.h>

#define MCU_ADD_T int8_t
#define MCU_ADD_FN mcu_add_s8
#define MCU_SUB_FN mcu_sub_s8
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define MCU_ADD_MVE_S8 1 /* the Helium flat loop (mcu_add_impl.h) */
#else
#define MCU_ADD_FAST_S8 1 /* the one-multiply flat loop (mcu_add_impl.h) */
#endif
#include "mcu_add_impl.h"
