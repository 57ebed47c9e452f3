/* mcu_strided_slice.c - STRIDED_SLICE, any element size (see mcu_shape.h). */
#include "mcu_shape.h"

void mcu_strided_slice_b(const mcu_gather_params_t *p, const void *input, void *output)
{
    mcu_gather_b(p, input, output);
}
