/* mcu_prelu_impl.h - the body of PRELU for one input type (see mcu_activation.h),
 * TFLM's BroadcastPrelu4DSlow recipe on the broadcast loop of mcu_elementwise.h.
 * Included by mcu_prelu_s8.c and mcu_prelu_s16.c after they define:
 *   MCU_PRELU_T            the input and output element type (int8_t, int16_t)
 *   MCU_PRELU_MIN, _MAX    its range (the result is clamped to it)
 *   MCU_PRELU_FN           the function's name
 * alpha is int8 for both. (x - zi) * (alpha - za) fits in an int32:
 * |x - zi| <= 65535 and |alpha - za| <= 255. */
#include "mcu_activation.h"
#include "mcu_elementwise.h"
#include "mcu_fixedpoint.h"

/* One output value from x - zi and alpha - za. The output offset is added through
 * uint32_t: it wraps like TFLM's int32 add would if the requantized value saturated. */
static inline MCU_PRELU_T mcu_prelu_output(int32_t x, int32_t a, int32_t pm, int32_t ps, int32_t nm, int32_t ns,
                                           int32_t zo)
{
    const int32_t scaled = x >= 0 ? mcu_requantize(x, pm, ps) : mcu_requantize(x * a, nm, ns);
    const int32_t out = (int32_t)((uint32_t)scaled + (uint32_t)zo);
    return (MCU_PRELU_T)MCU_CLAMP(out, MCU_PRELU_MIN, MCU_PRELU_MAX);
}

void MCU_PRELU_FN(const mcu_prelu_params_t *p, const MCU_PRELU_T *input, const int8_t *alpha, MCU_PRELU_T *output)
{
    /* Parameters in locals: stores through the output pointer may alias *p, which would force reloads. */
    const int32_t zi = p->input_offset, za = p->alpha_offset, zo = p->output_offset;
    const int32_t pm = p->positive_multiplier, ps = p->positive_shift;
    const int32_t nm = p->negative_multiplier, ns = p->negative_shift;
    const int32_t size = p->size;
    const mcu_broadcast_t *bc = &p->bcast;
#define MCU_PRELU_A(x) ((x) + zi)
#define MCU_PRELU_B(a) ((a) + za)
#define MCU_PRELU_OUT(x, a) mcu_prelu_output((x), (a), pm, ps, nm, ns, zo)
    if (bc->rank == 0) {  /* in place safe: element i is read before it is written */
        MCU_FLAT_LOOP(size, input, alpha, output, MCU_PRELU_A, MCU_PRELU_B, MCU_PRELU_OUT);
        return;
    }
    MCU_BROADCAST_LOOP(MCU_PRELU_T, int8_t, bc, size, input, alpha, output, MCU_PRELU_A, MCU_PRELU_B, MCU_PRELU_OUT);
#undef MCU_PRELU_A
#undef MCU_PRELU_B
#undef MCU_PRELU_OUT
}
