/* mcu_cast.c - CAST between int8, int16, int32, float32 and bool (see mcu_shape.h). */
#include "mcu_shape.h"

/* float -> integer of [lo, hi] as TFLM's CAST computes it: truncation toward zero, saturating at the
 * type's limits, NaN -> 0 (checked against the pip interpreter). */
static int32_t mcu_cast_f32_int(float f, int32_t lo, int32_t hi)
{
    if (f != f) {
        return 0;
    }
    if (f <= (float)lo) {
        return lo;
    }
    if (f >= (float)hi) { /* (float)INT32_MAX is 2^31: every float below it truncates into range */
        return hi;
    }
    return (int32_t)f;
}

void mcu_cast_b(const mcu_cast_params_t *p, const void *input, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    for (int32_t i = 0; i < p->size; i++) {
        int32_t iv = 0;
        float fv = 0.0f;
        int is_float = 0;
        switch (p->in_type) {
        case MCU_CAST_INT8: iv = ((const int8_t *)input)[i]; break;
        case MCU_CAST_INT16: { int16_t v; memcpy(&v, in + 2 * (size_t)i, 2); iv = v; } break;
        case MCU_CAST_INT32: memcpy(&iv, in + 4 * (size_t)i, 4); break;
        case MCU_CAST_FLOAT32: memcpy(&fv, in + 4 * (size_t)i, 4); is_float = 1; break;
        default: iv = in[i] != 0; break; /* bool */
        }
        switch (p->out_type) {
        case MCU_CAST_FLOAT32: {
            const float r = is_float ? fv : (float)iv;
            memcpy(out + 4 * (size_t)i, &r, 4);
        } break;
        case MCU_CAST_BOOL:
            out[i] = (uint8_t)(is_float ? fv != 0.0f : iv != 0);
            break;
        default: {
            /* integer -> integer wraps modulo 2^bits; float -> integer saturates */
            const int32_t lo = p->out_type == MCU_CAST_INT8 ? -128 : p->out_type == MCU_CAST_INT16 ? -32768 : INT32_MIN;
            const int32_t hi = p->out_type == MCU_CAST_INT8 ? 127 : p->out_type == MCU_CAST_INT16 ? 32767 : INT32_MAX;
            const uint32_t u = (uint32_t)(is_float ? mcu_cast_f32_int(fv, lo, hi) : iv);
            if (p->out_type == MCU_CAST_INT8) {
                out[i] = (uint8_t)u;
            } else if (p->out_type == MCU_CAST_INT16) {
                const uint16_t h = (uint16_t)u;
                memcpy(out + 2 * (size_t)i, &h, 2);
            } else {
                memcpy(out + 4 * (size_t)i, &u, 4);
            }
        } break;
        }
    }
}
