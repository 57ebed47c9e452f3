/* mcu_batch_matmul.c - BATCH_MATMUL, int8 and 16x8 (see mcu_matmul.h). Plain C. */
#include "mcu_matmul.h"
#include "mcu_conv.h"

void mcu_batch_matmul_s8(const mcu_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs, int8_t *output)
{
    for (int32_t b0 = 0; b0 < p->batch[0]; b0++) {
        for (int32_t b1 = 0; b1 < p->batch[1]; b1++) {
            for (int32_t b2 = 0; b2 < p->batch[2]; b2++) {
                const int8_t *l = lhs + (int64_t)b0 * p->lhs_batch_stride[0] + (int64_t)b1 * p->lhs_batch_stride[1] +
                                  (int64_t)b2 * p->lhs_batch_stride[2];
                const int8_t *r = rhs + (int64_t)b0 * p->rhs_batch_stride[0] + (int64_t)b1 * p->rhs_batch_stride[1] +
                                  (int64_t)b2 * p->rhs_batch_stride[2];
                for (int32_t i = 0; i < p->m; i++) {
                    for (int32_t j = 0; j < p->n; j++) {
                        const int8_t *a = l + (int64_t)i * p->lhs_m_stride;
                        const int8_t *c = r + (int64_t)j * p->rhs_n_stride;
                        uint32_t acc = 0;
                        for (int32_t q = 0; q < p->k; q++) {
                            const int32_t x = (int32_t)a[(int64_t)q * p->lhs_k_stride] + p->lhs_offset;
                            const int32_t y = (int32_t)c[(int64_t)q * p->rhs_k_stride] + p->rhs_offset;
                            acc += (uint32_t)(x * y);
                        }
                        const int32_t v = mcu_requantize((int32_t)acc, p->multiplier, p->shift) + p->output_offset;
                        *output++ = (int8_t)MCU_CLAMP(v, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

void mcu_batch_matmul_s16(const mcu_batch_matmul_params_t *p, const int16_t *lhs, const int16_t *rhs,
                          int16_t *output)
{
    for (int32_t b0 = 0; b0 < p->batch[0]; b0++) {
        for (int32_t b1 = 0; b1 < p->batch[1]; b1++) {
            for (int32_t b2 = 0; b2 < p->batch[2]; b2++) {
                const int16_t *l = lhs + (int64_t)b0 * p->lhs_batch_stride[0] +
                                   (int64_t)b1 * p->lhs_batch_stride[1] + (int64_t)b2 * p->lhs_batch_stride[2];
                const int16_t *r = rhs + (int64_t)b0 * p->rhs_batch_stride[0] +
                                   (int64_t)b1 * p->rhs_batch_stride[1] + (int64_t)b2 * p->rhs_batch_stride[2];
                for (int32_t i = 0; i < p->m; i++) {
                    for (int32_t j = 0; j < p->n; j++) {
                        const int16_t *a = l + (int64_t)i * p->lhs_m_stride;
                        const int16_t *c = r + (int64_t)j * p->rhs_n_stride;
                        int64_t acc = 0;
                        for (int32_t q = 0; q < p->k; q++) {
                            /* |x * y| <= 2^30: each product fits int32, the sum is int64 */
                            acc += (int32_t)a[(int64_t)q * p->lhs_k_stride] * (int32_t)c[(int64_t)q * p->rhs_k_stride];
                        }
                        *output++ = mcu_output_s16(acc, 1, p->multiplier, p->shift, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
