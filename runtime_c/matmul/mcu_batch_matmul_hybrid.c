/*
 * mcu_batch_matmul_hybrid.c - BATCH_MATMUL with a float32 LHS and a constant int8 RHS (see
 * mcu_recurrent_hybrid.h), LiteRT's hybrid BatchMatMul: each LHS row quantized (per row: symmetric, or
 * asymmetric with asymmetric_quantize_inputs), int8 x int8 sums in int32, the zero point's share taken off
 * in float as LiteRT does, then scaled by row scale x RHS scale.
 */
#include "mcu_hybrid.h"
#include "mcu_recurrent_hybrid.h"

static void bmm_hy_matrix(const mcu_batch_matmul_hybrid_params_t *p, const float *lhs, const int8_t *rhs,
                          const int32_t *col_sums, float *out, uint8_t *scratch)
{
    const int32_t m = p->m, n = p->n, k = p->k;
    int8_t *q = (int8_t *)scratch;
    float *row = (float *)(void *)(scratch + MCU_LSTM_HYBRID_ALIGN4(k));
    for (int32_t i = 0; i < m; i++) {
        const float *x = lhs + (size_t)i * (size_t)p->lhs_m_stride;
        if (p->lhs_k_stride != 1) { /* adj_x: gather the row (LiteRT transposes the LHS first) */
            for (int32_t c = 0; c < k; c++) {
                row[c] = x[(size_t)c * (size_t)p->lhs_k_stride];
            }
            x = row;
        }
        int32_t zp = 0;
        mcu_rhy_pad(q, k);
        const float sf = p->asymmetric ? mcu_hybrid_quantize_asym(x, k, q, &zp) : mcu_hybrid_quantize_sym(x, k, q);
        const float scale = sf * p->rhs_scale;
        float *y = out + (size_t)i * (size_t)n;
        const int32_t stride = MCU_RHY_STRIDE(k);
        for (int32_t j = 0; j < n; j += 2) {
            const int32_t two = j + 1 < n;
            const int8_t *w = rhs + (size_t)j * (size_t)stride;
            int32_t d[2];
            mcu_rhy_dot2(w, two ? w + stride : w, q, stride, d);
            for (int32_t t = 0; t <= two; t++) {
                int32_t total = d[t];
                if (zp != 0) { /* LiteRT: total -= row_sum * (float)offset, in float, truncated */
                    total = (int32_t)((float)total - (float)col_sums[j + t] * (float)zp);
                }
                y[j + t] = 0.0f + scale * (float)total;
            }
        }
    }
}

void mcu_batch_matmul_hybrid(const mcu_batch_matmul_hybrid_params_t *p, const float *lhs, float *output,
                             void *scratch)
{
    const size_t out_step = (size_t)p->m * (size_t)p->n;
    size_t o = 0;
    for (int32_t b0 = 0; b0 < p->batch[0]; b0++) {
        for (int32_t b1 = 0; b1 < p->batch[1]; b1++) {
            for (int32_t b2 = 0; b2 < p->batch[2]; b2++) {
                const size_t la = (size_t)b0 * (size_t)p->lhs_batch_stride[0] +
                                  (size_t)b1 * (size_t)p->lhs_batch_stride[1] +
                                  (size_t)b2 * (size_t)p->lhs_batch_stride[2];
                const size_t ra = (size_t)b0 * (size_t)p->rhs_batch_stride[0] +
                                  (size_t)b1 * (size_t)p->rhs_batch_stride[1] +
                                  (size_t)b2 * (size_t)p->rhs_batch_stride[2];
                const size_t mat = ra / ((size_t)p->k * (size_t)p->n); /* the RHS matrix's index */
                const size_t rb = mat * (size_t)p->n;
                bmm_hy_matrix(p, lhs + la, p->rhs + rb * (size_t)MCU_RHY_STRIDE(p->k),
                              p->col_sums != NULL ? p->col_sums + rb : NULL,
                              output + o * out_step, (uint8_t *)scratch);
                o++;
            }
        }
    }
}
