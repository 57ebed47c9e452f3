/* mcu_batch_matmul.c - BATCH_MATMUL, int8 and 16x8 (see mcu_matmul.h). Plain C, and a DSP path when the
 * generator gives a scratch (see mcu_matmul.h). */
#include <string.h>

#include "mcu_matmul.h"
#include "mcu_conv.h"

#if defined(__ARM_FEATURE_DSP)

/* int8: s + sum (a[q] + a_off) * g[q], q < k, modulo 2^32, where `g` is the other operand gathered with
 * its offset applied, each group of 4 values stored as (v0, v2, v1, v3) (the order SXTB16 splits a),
 * the k % 4 tail in natural order after it. (a + a_off) and (v + offset) lie in [-255, 255]: SADD16
 * wraps no lane, and SMLAD's sum modulo 2^32 is the plain loop's uint32 sum. */
static int32_t mcu_bmm_dot_s8(const int8_t *a, int32_t a_off, const int16_t *g, int32_t k)
{
    const int32_t off2 = (int32_t)((uint32_t)(uint16_t)a_off * 0x00010001u);
    int32_t s = 0;
    int32_t q = 0;
    for (; q + 4 <= k; q += 4) {
        uint32_t a4;
        int32_t g02, g13;
        memcpy(&a4, a + q, 4);
        memcpy(&g02, g + q, 4);
        memcpy(&g13, g + q + 2, 4);
        s = __smlad(__sadd16(__sxtb16(a4), off2), g02, s);
        s = __smlad(__sadd16(mcu_conv_fast_sxtb16_odd(a4), off2), g13, s);
    }
    uint32_t u = (uint32_t)s;
    for (; q < k; q++) {
        u += (uint32_t)(((int32_t)a[q] + a_off) * (int32_t)g[q]);
    }
    return (int32_t)u;
}

/* `v[q * stride] + offset`, q < k, into g in mcu_bmm_dot_s8's order. */
static void mcu_bmm_gather_s8(const int8_t *v, int32_t stride, int32_t offset, int32_t k, int16_t *g)
{
    int32_t q = 0;
    for (; q + 4 <= k; q += 4) {
        g[q] = (int16_t)(v[(int64_t)q * stride] + offset);
        g[q + 1] = (int16_t)(v[(int64_t)(q + 2) * stride] + offset);
        g[q + 2] = (int16_t)(v[(int64_t)(q + 1) * stride] + offset);
        g[q + 3] = (int16_t)(v[(int64_t)(q + 3) * stride] + offset);
    }
    for (; q < k; q++) {
        g[q] = (int16_t)(v[(int64_t)q * stride] + offset);
    }
}

/* int16: sum a[q] * b[q], q < k, both contiguous, through SMLALD (int64 accumulator: exact). */
static int64_t mcu_bmm_dot_s16(const int16_t *a, const int16_t *b, int32_t k)
{
    int64_t s = 0;
    int32_t q = 0;
    for (; q + 2 <= k; q += 2) {
        int32_t a2, b2;
        memcpy(&a2, a + q, 4);
        memcpy(&b2, b + q, 4);
        s = __smlald(a2, b2, s);
    }
    if (q < k) {
        s += (int32_t)a[q] * (int32_t)b[q];
    }
    return s;
}

#endif /* __ARM_FEATURE_DSP */

void mcu_batch_matmul_s8(const mcu_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs, int8_t *output,
                         int16_t *scratch)
{
#if defined(__ARM_FEATURE_DSP)
    if (scratch != NULL) {
        const int32_t by_column = p->rhs_k_stride != 1; /* rhs strided: gather its columns (lhs rows contiguous) */
        for (int32_t b0 = 0; b0 < p->batch[0]; b0++) {
            for (int32_t b1 = 0; b1 < p->batch[1]; b1++) {
                for (int32_t b2 = 0; b2 < p->batch[2]; b2++) {
                    const int8_t *l = lhs + (int64_t)b0 * p->lhs_batch_stride[0] +
                                      (int64_t)b1 * p->lhs_batch_stride[1] + (int64_t)b2 * p->lhs_batch_stride[2];
                    const int8_t *r = rhs + (int64_t)b0 * p->rhs_batch_stride[0] +
                                      (int64_t)b1 * p->rhs_batch_stride[1] + (int64_t)b2 * p->rhs_batch_stride[2];
                    const int32_t outer = by_column ? p->n : p->m, inner = by_column ? p->m : p->n;
                    for (int32_t o = 0; o < outer; o++) {
                        if (by_column) {
                            mcu_bmm_gather_s8(r + (int64_t)o * p->rhs_n_stride, p->rhs_k_stride, p->rhs_offset, p->k,
                                              scratch);
                        } else {
                            mcu_bmm_gather_s8(l + (int64_t)o * p->lhs_m_stride, p->lhs_k_stride, p->lhs_offset, p->k,
                                              scratch);
                        }
                        for (int32_t e = 0; e < inner; e++) {
                            const int32_t i = by_column ? e : o, j = by_column ? o : e;
                            const int32_t acc = by_column
                                ? mcu_bmm_dot_s8(l + (int64_t)i * p->lhs_m_stride, p->lhs_offset, scratch, p->k)
                                : mcu_bmm_dot_s8(r + (int64_t)j * p->rhs_n_stride, p->rhs_offset, scratch, p->k);
                            const int32_t v = mcu_requantize(acc, p->multiplier, p->shift) + p->output_offset;
                            output[(int64_t)i * p->n + j] = (int8_t)MCU_CLAMP(v, p->act_min, p->act_max);
                        }
                    }
                    output += (int64_t)p->m * p->n;
                }
            }
        }
        return;
    }
#else
    (void)scratch;
#endif
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
                          int16_t *output, int16_t *scratch)
{
#if defined(__ARM_FEATURE_DSP)
    if (scratch != NULL) {
        const int32_t by_column = p->rhs_k_stride != 1; /* rhs strided: gather its columns (lhs rows contiguous) */
        const int32_t gather_rows = !by_column && p->lhs_k_stride != 1;
        for (int32_t b0 = 0; b0 < p->batch[0]; b0++) {
            for (int32_t b1 = 0; b1 < p->batch[1]; b1++) {
                for (int32_t b2 = 0; b2 < p->batch[2]; b2++) {
                    const int16_t *l = lhs + (int64_t)b0 * p->lhs_batch_stride[0] +
                                       (int64_t)b1 * p->lhs_batch_stride[1] + (int64_t)b2 * p->lhs_batch_stride[2];
                    const int16_t *r = rhs + (int64_t)b0 * p->rhs_batch_stride[0] +
                                       (int64_t)b1 * p->rhs_batch_stride[1] + (int64_t)b2 * p->rhs_batch_stride[2];
                    const int32_t outer = by_column ? p->n : p->m, inner = by_column ? p->m : p->n;
                    for (int32_t o = 0; o < outer; o++) {
                        const int16_t *g;
                        if (by_column || gather_rows) {
                            const int16_t *v = by_column ? r + (int64_t)o * p->rhs_n_stride : l + (int64_t)o * p->lhs_m_stride;
                            const int32_t stride = by_column ? p->rhs_k_stride : p->lhs_k_stride;
                            for (int32_t q = 0; q < p->k; q++) {
                                scratch[q] = v[(int64_t)q * stride];
                            }
                            g = scratch;
                        } else {
                            g = l + (int64_t)o * p->lhs_m_stride;
                        }
                        for (int32_t e = 0; e < inner; e++) {
                            const int32_t i = by_column ? e : o, j = by_column ? o : e;
                            const int64_t acc = by_column ? mcu_bmm_dot_s16(l + (int64_t)i * p->lhs_m_stride, g, p->k)
                                                          : mcu_bmm_dot_s16(g, r + (int64_t)j * p->rhs_n_stride, p->k);
                            output[(int64_t)i * p->n + j] =
                                mcu_output_s16(acc, 1, p->multiplier, p->shift, p->act_min, p->act_max);
                        }
                    }
                    output += (int64_t)p->m * p->n;
                }
            }
        }
        return;
    }
#else
    (void)scratch;
#endif
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
