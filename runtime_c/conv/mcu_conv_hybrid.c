/* mcu_conv_hybrid.c - CONV_2D, hybrid: float32 activations, int8 weights, the input image quantized at run
 * time (see mcu_conv.h and mcu_hybrid.h). */
#include <stddef.h>
#include <string.h>

#include "mcu_conv.h"
#include "mcu_hybrid.h"

void mcu_conv_hybrid(const mcu_conv_hybrid_params_t *p, const float *input, float *output, int8_t *scratch)
{
    const int32_t ih = p->in_h, iw = p->in_w, ic = p->in_c, oh = p->out_h, ow = p->out_w, oc = p->out_c;
    const int32_t kh = p->k_h, kw = p->k_w;
    const int32_t image = ih * iw * ic;
    const int32_t depth = kh * kw * ic;
    int8_t *q = scratch;
    int8_t *row = scratch + 4 * ((image + 3) / 4);
    const int32_t padded = 4 * ((depth + 3) / 4);
    int32_t *dots = (int32_t *)(void *)(row + padded); /* out_c + 6 int32 after the window row */
    /* a 1x1 window with stride 1 is the input pixel itself: multiply it in place when 4-byte aligned */
    const int32_t direct = kh == 1 && kw == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                           p->pad_left == 0 && ic % 4 == 0;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)image;
        float *out = output + (size_t)b * (size_t)(oh * ow * oc);
        int32_t zp = 0; /* an all-zero image gives scale 0 and all products 0 */
        const float in_scale = p->per_channel ? mcu_hybrid_quantize_asym(x, image, q, &zp)
                                              : mcu_hybrid_quantize_sym(x, image, q);
        const int8_t fill = (int8_t)zp;
        for (int32_t d = depth; d < padded; d++) {
            row[d] = 0;
        }
        for (int32_t y = 0; y < oh; y++) {
            for (int32_t xo = 0; xo < ow; xo++) {
                const int32_t y0 = y * p->stride_h - p->pad_top, x0 = xo * p->stride_w - p->pad_left;
                const int8_t *r;
                if (direct) {
                    r = q + (size_t)(y0 * iw + x0) * (size_t)ic;
                } else {
                    int8_t *dst = row;
                    for (int32_t fy = 0; fy < kh; fy++) {
                        const int32_t yy = y0 + fy * p->dil_h;
                        for (int32_t fx = 0; fx < kw; fx++, dst += ic) {
                            const int32_t xx = x0 + fx * p->dil_w;
                            const int32_t inside = yy >= 0 && yy < ih && xx >= 0 && xx < iw;
                            if (ic == 1) { /* a call per tap would cost more than the tap */
                                dst[0] = inside ? q[yy * iw + xx] : fill;
                            } else if (!inside) {
                                memset(dst, fill, (size_t)ic);
                            } else {
                                memcpy(dst, q + (size_t)(yy * iw + xx) * (size_t)ic, (size_t)ic);
                            }
                        }
                    }
                    r = row;
                }
                mcu_hybrid_dots((const int32_t *)p->filter, r, depth, oc, p->single_pass, mcu_hybrid_sum(r, depth),
                                zp, p->row_sums, dots);
                mcu_hybrid_outputs(dots, oc, p->per_channel, in_scale, p->scale, p->bias, p->clamp, p->act_min,
                                   p->act_max, out + (size_t)(y * ow + xo) * (size_t)oc);
            }
        }
    }
}
