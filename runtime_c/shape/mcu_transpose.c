/* mcu_transpose.c - TRANSPOSE, any element size (see mcu_shape.h). */
#include "mcu_shape.h"

void mcu_transpose_b(const mcu_gather_params_t *p, const void *input, void *output)
{
    mcu_gather_b(p, input, output);
}
