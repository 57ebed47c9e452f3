/* mcu_batch_matmul_w8.c - BATCH_MATMUL with float32 lhs and a constant int8 rhs kept int8 (weight-only; see
 * mcu_weight_only.h): mcu_batch_matmul_f32's loops, each rhs value dequantized where it is read. */
#include <stdint.h>

#include "mcu_weight_only.h"

void mcu_batch_matmul_w8(const mcu_batch_matmul_w8_params_t *w, const float *lhs, const int8_t *rhs, float *output)
{
    const mcu_batch_matmul_params_t *p = &w->mm;
    const int32_t k = p->k, n = p->n, ka = p->lhs_k_stride, kc = p->rhs_k_stride, ns = p->rhs_n_stride;
    const int32_t pc = w->per_channel;
    const float *scale = w->scale;
    const int32_t *zp = w->zero_point;
    for (int32_t b0 = 0; b0 < p->batch[0]; b0++) {
        for (int32_t b1 = 0; b1 < p->batch[1]; b1++) {
            for (int32_t b2 = 0; b2 < p->batch[2]; b2++) {
                const float *l = lhs + (int64_t)b0 * p->lhs_batch_stride[0] + (int64_t)b1 * p->lhs_batch_stride[1] +
                                 (int64_t)b2 * p->lhs_batch_stride[2];
                const int8_t *r = rhs + (int64_t)b0 * p->rhs_batch_stride[0] + (int64_t)b1 * p->rhs_batch_stride[1] +
                                  (int64_t)b2 * p->rhs_batch_stride[2];
                for (int32_t i = 0; i < p->m; i++) {
                    const float *a = l + (int64_t)i * p->lhs_m_stride;
                    int32_t j = 0;
                    for (; j + 4 <= n; j += 4) {  /* four columns at once: each sum still in k order */
                        const int8_t *c = r + (int64_t)j * ns;
                        const float c0 = scale[pc ? j : 0], c1 = scale[pc ? j + 1 : 0];
                        const float c2 = scale[pc ? j + 2 : 0], c3 = scale[pc ? j + 3 : 0];
                        const int32_t z0 = zp[pc ? j : 0], z1 = zp[pc ? j + 1 : 0];
                        const int32_t z2 = zp[pc ? j + 2 : 0], z3 = zp[pc ? j + 3 : 0];
                        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
                        int32_t ia = 0, ic = 0;
                        for (int32_t q = 0; q < k; q++, ia += ka, ic += kc) {
                            const float av = a[ia];
                            s0 += av * (c0 * (float)((int32_t)c[ic] - z0));
                            s1 += av * (c1 * (float)((int32_t)c[ic + ns] - z1));
                            s2 += av * (c2 * (float)((int32_t)c[ic + 2 * ns] - z2));
                            s3 += av * (c3 * (float)((int32_t)c[ic + 3 * ns] - z3));
                        }
                        output[0] = s0;
                        output[1] = s1;
                        output[2] = s2;
                        output[3] = s3;
                        output += 4;
                    }
                    for (; j < n; j++) {
                        const int8_t *c = r + (int64_t)j * ns;
                        const float cs = scale[pc ? j : 0];
                        const int32_t z = zp[pc ? j : 0];
                        int32_t ia = 0, ic = 0;
                        float acc = 0.0f;
                        for (int32_t q = 0; q < k; q++, ia += ka, ic += kc) {
                            acc += a[ia] * (cs * (float)((int32_t)c[ic] - z));
                        }
                        *output++ = acc;
                    }
                }
            }
        }
    }
}
