/* mcu_avgpool_s16.c - AVERAGE_POOL_2D, int16 (see mcu_pooling.h; the body: mcu_pool_impl.h). */
#include <stdint.h>

#define MCU_POOL_T int16_t
#define MCU_POOL_LOWEST INT16_MIN
#define MCU_AVGPOOL_FN mcu_avgpool_s16
#include "mcu_pool_impl.h"
