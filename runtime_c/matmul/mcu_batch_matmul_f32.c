/* mcu_batch_matmul_f32.c - BATCH_MATMUL, float32 (TFLM's reference float BatchMatMul; see mcu_matmul.h). */
#include <stdint.h>

#include "mcu_matmul.h"

void mcu_batch_matmul_f32(const mcu_batch_matmul_params_t *p, const float *lhs, const float *rhs, float *output)
{
    const int32_t k = p->k, n = p->n, ka = p->lhs_k_stride, kc = p->rhs_k_stride, ns = p->rhs_n_stride;
    for (int32_t b0 = 0; b0 < p->batch[0]; b0++) {
        for (int32_t b1 = 0; b1 < p->batch[1]; b1++) {
            for (int32_t b2 = 0; b2 < p->batch[2]; b2++) {
                const float *l = lhs + (int64_t)b0 * p->lhs_batch_stride[0] + (int64_t)b1 * p->lhs_batch_stride[1] +
                                 (int64_t)b2 * p->lhs_batch_stride[2];
                const float *r = rhs + (int64_t)b0 * p->rhs_batch_stride[0] + (int64_t)b1 * p->rhs_batch_stride[1] +
                                 (int64_t)b2 * p->rhs_batch_stride[2];
                for (int32_t i = 0; i < p->m; i++) {
                    const float *a = l + (int64_t)i * p->lhs_m_stride;
                    int32_t j = 0;
                    for (; j + 4 <= n; j += 4) {  /* four columns at once: each sum still in k order */
                        const float *c = r + (int64_t)j * ns;
                        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
                        int32_t ia = 0, ic = 0;  /* element offsets: no pointer is formed past the operands */
                        for (int32_t q = 0; q < k; q++, ia += ka, ic += kc) {
                            const float av = a[ia];
                            s0 += av * c[ic];
                            s1 += av * c[ic + ns];
                            s2 += av * c[ic + 2 * ns];
                            s3 += av * c[ic + 3 * ns];
                        }
                        output[0] = s0;
                        output[1] = s1;
                        output[2] = s2;
                        output[3] = s3;
                        output += 4;
                    }
                    for (; j < n; j++) {
                        const float *c = r + (int64_t)j * ns;
                        int32_t ia = 0, ic = 0;
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
