/* mcu_unary_s8.c - int8 unary operators through a 256-entry table (see mcu_math.h). */
#include "mcu_math.h"

void mcu_lut_s8(const mcu_lut_params_t *p, const int8_t *input, int8_t *output, const int8_t *table)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = table[(int32_t)input[i] + 128];
    }
}
