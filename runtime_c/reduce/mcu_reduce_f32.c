/* mcu_reduce_f32.c - SUM, MEAN, REDUCE_MAX and REDUCE_MIN, float32 (see mcu_reduce.h). */
#include <float.h>
#include "mcu_reduce.h"

void mcu_reduce_f32(const mcu_reduce_f32_params_t *p, const float *input, float *output)
{
    const int32_t block = p->k1 * p->k2;
    const int32_t op = p->op;
    const float init = op == MCU_REDUCE_MAX ? -FLT_MAX : (op == MCU_REDUCE_MIN ? FLT_MAX : 0.0f);
    for (int32_t o = 0; o < p->k0; o++) {
        for (int32_t j = 0; j < block; j++) {
            output[j] = init;
        }
        for (int32_t a = 0; a < p->r0; a++) {
            for (int32_t k = 0; k < p->k1; k++) {
                float *acc = output + k * p->k2;
                for (int32_t b = 0; b < p->r1; b++) {
                    for (int32_t c = 0; c < p->k2; c++) {
                        /* one value at a time, in input order: TFLM's float additions, in its order */
                        float cur = acc[c];
                        for (int32_t r = 0; r < p->r2; r++) {
                            const float v = input[r];
                            if (op == MCU_REDUCE_MAX) {
                                cur = v > cur ? v : cur;
                            } else if (op == MCU_REDUCE_MIN) {
                                cur = v < cur ? v : cur;
                            } else {
                                cur = cur + v;
                            }
                        }
                        acc[c] = cur;
                        input += p->r2;
                    }
                }
            }
        }
        if (op == MCU_REDUCE_MEAN) {
            for (int32_t j = 0; j < block; j++) {
                output[j] = output[j] / (float)p->count;
            }
        }
        output += block;
    }
}
