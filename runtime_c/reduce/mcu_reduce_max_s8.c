/* mcu_reduce_max_s8.c - REDUCE_MAX and REDUCE_MIN, int8 (see mcu_reduce.h). */
#include "mcu_reduce.h"

static inline int8_t mcu_pick_s8(int8_t cur, int8_t in, int32_t is_min)
{
    if (is_min) {
        return in < cur ? in : cur;
    }
    return in > cur ? in : cur;
}

void mcu_reduce_max_s8(const mcu_reduce_max_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t block = p->k1 * p->k2;
    const int32_t is_min = p->is_min;
    for (int32_t o = 0; o < p->k0; o++) {
        for (int32_t j = 0; j < block; j++) {
            output[j] = (int8_t)p->init;
        }
        for (int32_t a = 0; a < p->r0; a++) {
            for (int32_t k = 0; k < p->k1; k++) {
                int8_t *acc = output + k * p->k2;
                for (int32_t b = 0; b < p->r1; b++) {
                    for (int32_t c = 0; c < p->k2; c++) {
                        int8_t cur = acc[c];
                        for (int32_t r = 0; r < p->r2; r++) {
                            cur = mcu_pick_s8(cur, input[r], is_min);
                        }
                        acc[c] = cur;
                        input += p->r2;
                    }
                }
            }
        }
        output += block;
    }
}
