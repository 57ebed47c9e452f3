/*
 * mcu_kernels.h - every kernel family of the mcugen runtime (the generated
 * model includes this one header). Each family header documents its kernels.
 */
#ifndef MCU_KERNELS_H
#define MCU_KERNELS_H

#include "mcu_conv.h"
#include "mcu_fully_connected.h"
#include "mcu_pooling.h"

#endif /* MCU_KERNELS_H */
