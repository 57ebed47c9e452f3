/* mcu_avgpool_s8.c - AVERAGE_POOL_2D, int8 (see mcu_pooling.h; the body: mcu_pool_impl.h).
 *
 * Helium (MVE): windows of at most 256 values sum 8 channels a vector in int16 lanes (VLDRB.S16 and VADD;
 * 256 values of [-128, 127] stay inside int16), the last vector of a pixel predicated (nothing read past its
 * channels); each channel's sum is then divided exactly as the plain C body does (round half away from zero
 * over the clipped count). Larger windows take the plain C body. */
#include <stdint.h>

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#include "mcu_pooling.h"
#include "mcu_fixedpoint.h"

void mcu_avgpool_s8_c(const mcu_pool_params_t *p, const int8_t *input, int8_t *output);
#define MCU_AVGPOOL_FN mcu_avgpool_s8_c
#else
#define MCU_AVGPOOL_FN mcu_avgpool_s8
#endif

#define MCU_POOL_T int8_t
#define MCU_POOL_LOWEST INT8_MIN
#include "mcu_pool_impl.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
void mcu_avgpool_s8(const mcu_pool_params_t *p, const int8_t *input, int8_t *output)
{
    if (p->k_h * p->k_w > 256) {
        mcu_avgpool_s8_c(p, input, output);
        return;
    }
    const int32_t ch = p->channels;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *in_b = input + b * p->in_h * p->in_w * ch;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ys = MCU_MAX(0, -y0), ye = MCU_MIN(p->k_h, p->in_h - y0);
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t xs = MCU_MAX(0, -x0), xe = MCU_MIN(p->k_w, p->in_w - x0);
                const int32_t count = ye > ys && xe > xs ? (ye - ys) * (xe - xs) : 0;
                for (int32_t c = 0; c < ch; c += 8) {
                    const int32_t n = ch - c < 8 ? ch - c : 8;
                    const mve_pred16_t pr = vctp16q((uint32_t)n);
                    int16x8_t s = vdupq_n_s16(0);
                    for (int32_t ky = ys; ky < ye; ky++) {
                        const int8_t *row = in_b + ((y0 + ky) * p->in_w + x0) * ch + c;
                        for (int32_t kx = xs; kx < xe; kx++) {
                            s = vaddq_s16(s, vldrbq_z_s16(row + kx * ch, pr));
                        }
                    }
                    int16_t sums[8];
                    vst1q_s16(sums, s);
                    for (int32_t j = 0; j < n; j++) {
                        const int32_t sum = sums[j];
                        int32_t v = 0;
                        if (count > 0) {
                            v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                        }
                        output[j] = (int8_t)MCU_CLAMP(v, p->act_min, p->act_max);
                    }
                    output += n;
                }
            }
        }
    }
}
#endif
