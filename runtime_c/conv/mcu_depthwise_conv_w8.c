/* mcu_depthwise_conv_w8.c - DEPTHWISE_CONV_2D with float32 activations and int8 weights kept int8
 * (weight-only; see mcu_weight_only.h): per block of output pixels, per block of channels, the channels'
 * weights are dequantized into the scratch (once when one block holds every channel) and every pixel of
 * the block is computed as mcu_depthwise_conv_f32 computes it, into the staging area; then the block is
 * copied to the output. */
#include <stddef.h>

#include "mcu_weight_only.h"
#include "mcu_f32.h"

static inline void mcu_dw_w8_taps(int32_t origin, int32_t dil, int32_t size, int32_t taps, int32_t *lo,
                                  int32_t *hi)
{
    int32_t a = origin < 0 ? (-origin + dil - 1) / dil : 0;
    int32_t b = size - origin > 0 ? (size - origin + dil - 1) / dil : 0;
    if (b > taps) b = taps;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

void mcu_depthwise_conv_w8(const mcu_conv_w8_params_t *p, const float *input, float *output, float *scratch)
{
    const int32_t ic = p->in_c, oc = p->out_c, dm = p->depth_multiplier, kw = p->k_w, in_w = p->in_w;
    const int32_t taps = p->k_h * kw, pixels = p->out_h * p->out_w, total = p->batches * pixels;
    const int32_t bp = p->block_pixels, blocks = (total + bp - 1) / bp;
    const int32_t cblocks = (oc + p->block - 1) / p->block;
    const size_t image = (size_t)p->in_h * (size_t)in_w * (size_t)ic;
    const float lo = p->act_min, hi = p->act_max;
    float *tile = scratch, *stage = scratch + (size_t)taps * (size_t)p->block;
    for (int32_t bi = 0; bi < blocks; bi++) {
        const int32_t blk = p->reverse ? blocks - 1 - bi : bi;
        const int32_t q0 = blk * bp, nq = total - q0 < bp ? total - q0 : bp;
        for (int32_t cb = 0; cb < cblocks; cb++) {
            const int32_t c0 = cb * p->block;
            const int32_t nb = oc - c0 < p->block ? oc - c0 : p->block;
            if (cblocks > 1 || bi == 0) {
                for (int32_t t = 0; t < taps; t++) {
                    const int8_t *wq = p->filter + (size_t)t * (size_t)oc + (size_t)c0;
                    for (int32_t c = 0; c < nb; c++) {
                        const int32_t z = p->zero_point ? p->zero_point[c0 + c] : 0;
                        tile[t * nb + c] = p->scale[c0 + c] * (float)((int32_t)wq[c] - z);
                    }
                }
            }
            /* channels four at a time (depth multiplier 1 only); the rest one by one */
            const int32_t wide = dm == 1 ? nb - nb % 4 : 0;
            for (int32_t q = q0; q < q0 + nq; q++) {
                const int32_t b = q / pixels, r = q - b * pixels, oy = r / p->out_w, ox = r - oy * p->out_w;
                const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
                int32_t fy0, fy1, fx0, fx1;
                mcu_dw_w8_taps(y0, p->dil_h, p->in_h, p->k_h, &fy0, &fy1);
                mcu_dw_w8_taps(x0, p->dil_w, in_w, kw, &fx0, &fx1);
                const float *in_b = input + (size_t)b * image;
                float *st = stage + (size_t)(q - q0) * (size_t)oc + (size_t)c0;
                for (int32_t c = 0; c < wide; c += 4) {
                    float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;
                    for (int32_t fy = fy0; fy < fy1; fy++) {
                        const int32_t iy = y0 + fy * p->dil_h;
                        for (int32_t fx = fx0; fx < fx1; fx++) {
                            const int32_t ix = x0 + fx * p->dil_w;
                            const float *xp = in_b + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)ic + c0 + c;
                            const float *wp = tile + (size_t)(fy * kw + fx) * (size_t)nb + c;
                            a0 += xp[0] * wp[0];
                            a1 += xp[1] * wp[1];
                            a2 += xp[2] * wp[2];
                            a3 += xp[3] * wp[3];
                        }
                    }
                    const float acc[4] = {a0, a1, a2, a3};
                    for (int32_t k = 0; k < 4; k++) {
                        const float bias = p->bias ? p->bias[c0 + c + k] : 0.f;
                        st[c + k] = mcu_clamp_f32(acc[k] + bias, lo, hi);
                    }
                }
                for (int32_t c = wide; c < nb; c++) {
                    const int32_t i = (c0 + c) / dm;
                    float acc = 0.f;
                    for (int32_t fy = fy0; fy < fy1; fy++) {
                        const int32_t iy = y0 + fy * p->dil_h;
                        for (int32_t fx = fx0; fx < fx1; fx++) {
                            const int32_t ix = x0 + fx * p->dil_w;
                            acc += in_b[((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)ic + (size_t)i]
                                   * tile[(size_t)(fy * kw + fx) * (size_t)nb + (size_t)c];
                        }
                    }
                    const float bias = p->bias ? p->bias[c0 + c] : 0.f;
                    st[c] = mcu_clamp_f32(acc + bias, lo, hi);
                }
            }
        }
        float *out = output + (size_t)q0 * (size_t)oc;
        for (int32_t i = 0; i < nq * oc; i++) out[i] = stage[i];
    }
}
