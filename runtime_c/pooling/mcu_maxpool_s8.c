/* mcu_maxpool_s8.c - MAX_POOL_2D, int8 (see mcu_pooling.h; the body: mcu_pool_impl.h). */
#include <stdint.h>

#define MCU_POOL_T int8_t
#define MCU_POOL_LOWEST INT8_MIN
#define MCU_MAXPOOL_FN mcu_maxpool_s8
#include "mcu_pool_impl.h"
