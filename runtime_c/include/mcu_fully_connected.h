/*
 * mcu_fully_connected.h - FULLY_CONNECTED, int8.
 *
 * Input is read as [batches, depth] (row-major, whatever its declared rank),
 * filter is [units, depth], output [batches, units]. Quantization per tensor
 * or per output unit (multiplier/shift arrays of length `units`).
 */
#ifndef MCU_FULLY_CONNECTED_H
#define MCU_FULLY_CONNECTED_H

#include <stdint.h>

typedef struct {
    int32_t batches, depth, units;
    int32_t input_offset;   /* -input zero point */
    int32_t filter_offset;  /* -filter zero point (0 for symmetric weights) */
    int32_t output_offset;  /* output zero point */
    int32_t act_min, act_max;
    int32_t per_channel;    /* 1: multiplier/shift indexed by unit; 0: element 0 used */
    const int8_t *filter;
    const int32_t *bias;    /* may be NULL */
    const int32_t *multiplier;
    const int32_t *shift;
} mcu_fc_params_t;

void mcu_fully_connected_s8(const mcu_fc_params_t *p, const int8_t *input, int8_t *output);

#endif /* MCU_FULLY_CONNECTED_H */
