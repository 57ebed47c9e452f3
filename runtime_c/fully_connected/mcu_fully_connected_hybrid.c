/* mcu_fully_connected_hybrid.c - FULLY_CONNECTED, hybrid: float32 activations, int8 weights quantized per
 * tensor or per unit, the input row quantized at run time (see mcu_fully_connected.h and mcu_hybrid.h). */
#include <stddef.h>
#include <string.h>

#include "mcu_fully_connected.h"
#include "mcu_hybrid.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

#define MCU_FCH_BLOCK 3 /* row pairs per block of the packed weights */

/* The products of one block's np row pairs with the quantized row q: dots[2k] (unit A), dots[2k+1] (B). */
static void mcu_fch_block_c(const uint32_t *w, const int8_t *q, int32_t depth, int32_t np, int32_t *dots)
{
    const int32_t groups = (depth + 3) >> 2;
    for (int32_t k = 0; k < np; k++) {
        int32_t a = 0, b = 0;
        for (int32_t g = 0; g < groups; g++) {
            const uint32_t *wg = w + (g * np + k) * 2;
            const int32_t n = depth - 4 * g < 4 ? depth - 4 * g : 4;
            for (int32_t j = 0; j < n; j++) {
                const uint32_t half = wg[j & 1] >> (16 * (j >> 1));
                const int32_t qv = q[4 * g + j];
                a += qv * ((int32_t)(half & 0xFFu) - 128);
                b += qv * ((int32_t)((half >> 8) & 0x7Fu) - (int32_t)((half >> 8) & 0x80u));
            }
        }
        dots[2 * k] = a;
        dots[2 * k + 1] = b;
    }
}

#if defined(__ARM_FEATURE_DSP)

static inline int32_t mcu_fch_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

#define MCU_FCH_LDRD(a, b, p) \
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(a), "=r"(b), "+r"(p) : "m"(*(const int32_t(*)[2])(p)))

/* s += q * half (= 256 w_B + w_A + 128), t += q * (w_A + 128), over one group of one row pair */
#define MCU_FCH_PAIR(w, q0, q1, s, t)               \
    do {                                            \
        int32_t wa, wb;                             \
        MCU_FCH_LDRD(wa, wb, w);                    \
        s = __smlad(wa, (q0), s);                   \
        wa = (int32_t)__uxtb16(wa);                 \
        t = __smlad(wa, (q0), t);                   \
        s = __smlad(wb, (q1), s);                   \
        wb = (int32_t)__uxtb16(wb);                 \
        t = __smlad(wb, (q1), t);                   \
    } while (0)

#define MCU_FCH_GROUP(raw, w, np)                                                    \
    do {                                                                             \
        const int32_t q0 = __sxtb16((int32_t)(raw)), q1 = mcu_fch_sxtb16_ror8(raw);  \
        MCU_FCH_PAIR(w, q0, q1, s0, t0);                                             \
        if ((np) >= 2) {                                                             \
            MCU_FCH_PAIR(w, q0, q1, s1, t1);                                         \
        }                                                                            \
        if ((np) >= 3) {                                                             \
            MCU_FCH_PAIR(w, q0, q1, s2, t2);                                         \
        }                                                                            \
    } while (0)

/* One pass over the (zero-padded, 4-byte aligned) row for np row pairs: t = sum q (w_A + 128),
 * sum q w_B = (S - T) / 256 exactly (the generator's bound), sum q w_A = T - 128 sum q. */
static inline __attribute__((always_inline)) void mcu_fch_block(const int32_t *w, const int8_t *q, int32_t groups,
                                                                int32_t qsum, int32_t np, int32_t *dots)
{
    int32_t s0 = 0, t0 = 0, s1 = 0, t1 = 0, s2 = 0, t2 = 0;
    const uint32_t *qw = (const uint32_t *)(const void *)q;
    for (int32_t g = 0; g < groups; g++) {
        const uint32_t raw = qw[g];
        MCU_FCH_GROUP(raw, w, np);
    }
    const uint32_t bias_a = (uint32_t)qsum * 128u;
    dots[0] = (int32_t)((uint32_t)t0 - bias_a);
    dots[1] = (int32_t)((uint32_t)s0 - (uint32_t)t0) >> 8;
    if (np >= 2) {
        dots[2] = (int32_t)((uint32_t)t1 - bias_a);
        dots[3] = (int32_t)((uint32_t)s1 - (uint32_t)t1) >> 8;
    }
    if (np >= 3) {
        dots[4] = (int32_t)((uint32_t)t2 - bias_a);
        dots[5] = (int32_t)((uint32_t)s2 - (uint32_t)t2) >> 8;
    }
}

#endif /* __ARM_FEATURE_DSP */

void mcu_fully_connected_hybrid(const mcu_fc_hybrid_params_t *p, const float *input, float *output,
                                int8_t *scratch)
{
    const int32_t depth = p->depth, units = p->units;
    const int32_t groups = (depth + 3) >> 2;
    const int32_t pairs = (units + 1) >> 1;
    const float w_scale0 = p->scale[0];
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)depth;
        float *out = output + (size_t)b * (size_t)units;
        int32_t zp = 0;
        const float row_scale = p->asymmetric ? mcu_hybrid_quantize_asym(x, depth, scratch, &zp)
                                              : mcu_hybrid_quantize_sym(x, depth, scratch);
        if (row_scale == 0.f) { /* an all-zero row: the bias alone */
            for (int32_t u = 0; u < units; u++) {
                out[u] = mcu_hybrid_activate(p->bias ? p->bias[u] : 0.f, p->clamp, p->act_min, p->act_max);
            }
            continue;
        }
        for (int32_t d = depth; d < 4 * groups; d++) {
            scratch[d] = 0;
        }
        /* per tensor: TFLite folds the weight scale into the row's scale once */
        const float tensor_scale = row_scale * w_scale0;
#if defined(__ARM_FEATURE_DSP)
        int32_t qsum = 0;
        for (int32_t d = 0; d < depth; d++) {
            qsum += scratch[d];
        }
#endif
        const int32_t *w = p->weights;
        for (int32_t pair = 0; pair < pairs; pair += MCU_FCH_BLOCK) {
            const int32_t np = pairs - pair < MCU_FCH_BLOCK ? pairs - pair : MCU_FCH_BLOCK;
            int32_t dots[2 * MCU_FCH_BLOCK];
#if defined(__ARM_FEATURE_DSP)
            if (p->single_pass) {
                if (np == 3) {
                    mcu_fch_block(w, scratch, groups, qsum, 3, dots);
                } else if (np == 2) {
                    mcu_fch_block(w, scratch, groups, qsum, 2, dots);
                } else {
                    mcu_fch_block(w, scratch, groups, qsum, 1, dots);
                }
            } else
#endif
            {
                mcu_fch_block_c((const uint32_t *)w, scratch, depth, np, dots);
            }
            w += 2 * np * groups;
            const int32_t u0 = 2 * pair;
            const int32_t n = units - u0 < 2 * np ? units - u0 : 2 * np;
            for (int32_t k = 0; k < n; k++) {
                const int32_t u = u0 + k;
                int32_t dot = dots[k];
                if (p->asymmetric) {
                    dot = (int32_t)((uint32_t)dot - (uint32_t)p->row_sums[u] * (uint32_t)zp);
                }
                const float scale = p->per_channel ? row_scale * p->scale[u] : tensor_scale;
                float acc = p->bias ? p->bias[u] : 0.f;
                acc += (float)dot * scale;
                out[u] = mcu_hybrid_activate(acc, p->clamp, p->act_min, p->act_max);
            }
        }
    }
}
