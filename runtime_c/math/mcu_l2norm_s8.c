/* mcu_l2norm_s8.c - L2_NORMALIZATION over the last axis, int8 and float32 (see mcu_math.h). */
#include <math.h>
#include "mcu_math.h"
#include "mcu_fixedpoint.h"

void mcu_l2norm_s8(const mcu_l2norm_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t depth = p->depth;
    for (int32_t o = 0; o < p->outer; o++) {
        const int8_t *in = input + o * depth;
        int8_t *out = output + o * depth;
        uint32_t acc = 0; /* at most 255^2 per element: wraps only past 2^16 elements, like TFLM's int32 */
        for (int32_t c = 0; c < depth; c++) {
            const int32_t v = in[c] + p->input_offset;
            acc += (uint32_t)(v * v);
        }
        int32_t mult, shift;
        mcu_inv_sqrt_multiplier((int32_t)acc, &mult, &shift);
        for (int32_t c = 0; c < depth; c++) {
            const int32_t v = mcu_requantize(in[c] + p->input_offset, mult, shift + 7); /* output scale 1/128 */
            out[c] = (int8_t)MCU_CLAMP(v, INT8_MIN, INT8_MAX);
        }
    }
}

/* float32: TFLM's reference L2Normalization with epsilon 1e-6: x / max(sqrt(sum of squares), 1e-6). */
void mcu_l2norm_f32(const mcu_l2norm_params_t *p, const float *input, float *output)
{
    const int32_t depth = p->depth;
    for (int32_t o = 0; o < p->outer; o++) {
        const float *in = input + o * depth;
        float *out = output + o * depth;
        float sq = 0.0f;
        for (int32_t c = 0; c < depth; c++) {
            const float v = in[c];
            const float v2 = v * v;
            sq = sq + v2;
        }
        float norm = sqrtf(sq);
        norm = norm < 1e-6f ? 1e-6f : norm;
        for (int32_t c = 0; c < depth; c++) {
            out[c] = in[c] / norm;
        }
    }
}
