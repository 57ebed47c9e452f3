/* mcu_conv_w8.c - CONV_2D with float32 activations and int8 weights kept int8 (weight-only; see
 * mcu_weight_only.h): per block of output pixels, per group of 8 output channels, the group's weights are
 * dequantized into the scratch and every pixel of the block is computed as mcu_conv_f32 computes it, into
 * the staging area; then the block is copied to the output. */
#include <stddef.h>

#include "mcu_weight_only.h"
#include "mcu_f32.h"

static inline void mcu_conv_w8_taps(int32_t origin, int32_t dil, int32_t size, int32_t taps, int32_t *lo,
                                    int32_t *hi)
{
    int32_t a = origin < 0 ? (-origin + dil - 1) / dil : 0;
    int32_t b = size - origin > 0 ? (size - origin + dil - 1) / dil : 0;
    if (b > taps) b = taps;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

/* the group's weights as floats: tile[r][k] = scale[k] * (q[r][k] - zp[k]) */
static void mcu_conv_w8_tile(const mcu_conv_w8_params_t *p, int32_t g, int32_t rows, float *tile)
{
    const int32_t o = g * MCU_F32_GROUP;
    const int8_t *wq = p->filter + (size_t)g * (size_t)rows * MCU_F32_GROUP;
    const float *s = p->scale + o;
    if (p->zero_point) {
        const int32_t *z = p->zero_point + o;
        for (int32_t r = 0; r < rows; r++)
            for (int32_t k = 0; k < MCU_F32_GROUP; k++)
                tile[r * MCU_F32_GROUP + k] = s[k] * (float)((int32_t)wq[r * MCU_F32_GROUP + k] - z[k]);
    } else {
        const float s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3], s4 = s[4], s5 = s[5], s6 = s[6], s7 = s[7];
        for (int32_t r = 0; r < rows; r++, wq += MCU_F32_GROUP, tile += MCU_F32_GROUP) {
            tile[0] = s0 * (float)wq[0];
            tile[1] = s1 * (float)wq[1];
            tile[2] = s2 * (float)wq[2];
            tile[3] = s3 * (float)wq[3];
            tile[4] = s4 * (float)wq[4];
            tile[5] = s5 * (float)wq[5];
            tile[6] = s6 * (float)wq[6];
            tile[7] = s7 * (float)wq[7];
        }
    }
}

void mcu_conv_w8(const mcu_conv_w8_params_t *p, const float *input, float *output, float *scratch)
{
    const int32_t ic = p->in_c, oc = p->out_c, kw = p->k_w;
    const int32_t pixels = p->out_h * p->out_w, total = p->batches * pixels;
    const int32_t groups = (oc + MCU_F32_GROUP - 1) / MCU_F32_GROUP;
    const int32_t rows = p->k_h * kw * ic, bp = p->block_pixels;
    const int32_t blocks = (total + bp - 1) / bp;
    const size_t image = (size_t)p->in_h * (size_t)p->in_w * (size_t)ic;
    const float lo = p->act_min, hi = p->act_max;
    float *tile = scratch, *stage = scratch + (size_t)rows * MCU_F32_GROUP;
    for (int32_t bi = 0; bi < blocks; bi++) {
        const int32_t blk = p->reverse ? blocks - 1 - bi : bi;
        const int32_t q0 = blk * bp, nq = total - q0 < bp ? total - q0 : bp;
        for (int32_t g = 0; g < groups; g++) {
            if (groups > 1 || bi == 0) mcu_conv_w8_tile(p, g, rows, tile);
            const int32_t o = g * MCU_F32_GROUP;
            const int32_t n = oc - o < MCU_F32_GROUP ? oc - o : MCU_F32_GROUP;
            for (int32_t q = q0; q < q0 + nq; q++) {
                const int32_t b = q / pixels, r = q - b * pixels, oy = r / p->out_w, ox = r - oy * p->out_w;
                const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
                int32_t fy0, fy1, fx0, fx1;
                mcu_conv_w8_taps(y0, p->dil_h, p->in_h, p->k_h, &fy0, &fy1);
                mcu_conv_w8_taps(x0, p->dil_w, p->in_w, kw, &fx0, &fx1);
                const float *in_b = input + (size_t)b * image;
                float acc[MCU_F32_GROUP] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
                for (int32_t fy = fy0; fy < fy1 && fx0 < fx1; fy++) {
                    const int32_t iy = y0 + fy * p->dil_h;
                    if (p->dil_w == 1) {
                        const float *xp = in_b + ((size_t)iy * (size_t)p->in_w + (size_t)(x0 + fx0)) * (size_t)ic;
                        const float *wp = tile + (size_t)(fy * kw + fx0) * (size_t)ic * MCU_F32_GROUP;
                        mcu_f32_dot8(xp, wp, (fx1 - fx0) * ic, acc);
                        continue;
                    }
                    for (int32_t fx = fx0; fx < fx1; fx++) {
                        const int32_t ix = x0 + fx * p->dil_w;
                        const float *xp = in_b + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)ic;
                        const float *wp = tile + (size_t)(fy * kw + fx) * (size_t)ic * MCU_F32_GROUP;
                        mcu_f32_dot8(xp, wp, ic, acc);
                    }
                }
                float *st = stage + (size_t)(q - q0) * (size_t)oc + (size_t)o;
                for (int32_t k = 0; k < n; k++) {
                    const float bias = p->bias ? p->bias[o + k] : 0.f;
                    st[k] = mcu_clamp_f32(acc[k] + bias, lo, hi);
                }
            }
        }
        float *out = output + (size_t)q0 * (size_t)oc;
        for (int32_t i = 0; i < nq * oc; i++) out[i] = stage[i];
    }
}
