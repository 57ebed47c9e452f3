/* mcu_batch_matmul_f32.c - BATCH_MATMUL, float32 (TFLM's reference float BatchMatMul; see mcu_matmul.h). */
#include <stdint.h>

#include "mcu_matmul.h"

void mcu_batch_matmul_f32(const mcu_batch_matmul_params_t *p, const float *lhs, const float *rhs, float *output)
{
    const int32_t k = p->k, ka = p->lhs_k_stride, kc = p->rhs_k_stride;
    for (int32_t b0 = 0; b0 < p->batch[0]; b0++) {
        for (int32_t b1 = 0; b1 < p->batch[1]; b1++) {
            for (int32_t b2 = 0; b2 < p->batch[2]; b2++) {
                const float *l = lhs + (int64_t)b0 * p->lhs_batch_stride[0] + (int64_t)b1 * p->lhs_batch_stride[1] +
                                 (int64_t)b2 * p->lhs_batch_stride[2];
                const float *r = rhs + (int64_t)b0 * p->rhs_batch_stride[0] + (int64_t)b1 * p->rhs_batch_stride[1] +
                                 (int64_t)b2 * p->rhs_batch_stride[2];
                for (int32_t i = 0; i < p->m; i++) {
                    const float *a = l + (int64_t)i * p->lhs_m_stride;
                    for (int32_t j = 0; j < p->n; j++) {
                        const float *c = r + (int64_t)j * p->rhs_n_stride;
                        int32_t ia = 0, ic = 0;  /* element offsets: no pointer is formed past the operands */
                        float acc = 0.0f;
                        for (int32_t q = 0; q < k; q++, ia += ka, ic += kc) {
                            acc += a[ia] * c[ic];
                        }
                        *output++ = acc;
                    }
                }
            }
        }
    }
}
