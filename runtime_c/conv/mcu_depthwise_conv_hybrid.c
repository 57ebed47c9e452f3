/* mcu_depthwise_conv_hybrid.c - DEPTHWISE_CONV_2D, hybrid: float32 activations, int8 weights, the input
 * image quantized at run time (see mcu_conv.h and mcu_hybrid.h). */
#include <stddef.h>

#include "mcu_conv.h"
#include "mcu_hybrid.h"

void mcu_depthwise_conv_hybrid(const mcu_conv_hybrid_params_t *p, const float *input, float *output,
                               int8_t *scratch)
{
    const int32_t ih = p->in_h, iw = p->in_w, ic = p->in_c, oh = p->out_h, ow = p->out_w, oc = p->out_c;
    const int32_t kh = p->k_h, kw = p->k_w, dm = p->depth_multiplier;
    const int32_t image = ih * iw * ic;
    const int8_t *filter = (const int8_t *)p->filter;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)image;
        float *out = output + (size_t)b * (size_t)(oh * ow * oc);
        int32_t zp = 0;
        const float in_scale = p->per_channel ? mcu_hybrid_quantize_asym(x, image, scratch, &zp)
                                              : mcu_hybrid_quantize_sym(x, image, scratch);
        for (int32_t y = 0; y < oh; y++) {
            const int32_t y0 = y * p->stride_h - p->pad_top;
            for (int32_t xo = 0; xo < ow; xo++) {
                const int32_t x0 = xo * p->stride_w - p->pad_left;
                float *o = out + (size_t)(y * ow + xo) * (size_t)oc;
                for (int32_t c = 0; c < oc; c++) {
                    const int32_t in_ch = c / dm;
                    int32_t acc = 0;
                    for (int32_t fy = 0; fy < kh; fy++) {
                        const int32_t yy = y0 + fy * p->dil_h;
                        if (yy < 0 || yy >= ih) {
                            continue;
                        }
                        for (int32_t fx = 0; fx < kw; fx++) {
                            const int32_t xx = x0 + fx * p->dil_w;
                            if (xx < 0 || xx >= iw) {
                                continue;
                            }
                            const int32_t qv = scratch[(size_t)(yy * iw + xx) * (size_t)ic + (size_t)in_ch];
                            acc += (int32_t)filter[(size_t)(fy * kw + fx) * (size_t)oc + (size_t)c] * (qv - zp);
                        }
                    }
                    float v;
                    if (p->per_channel) {
                        v = (float)acc * (p->scale[c] * in_scale);
                    } else {
                        v = (float)acc * (in_scale * p->scale[c]);
                    }
                    if (p->bias) {
                        v += p->bias[c];
                    }
                    o[c] = mcu_hybrid_activate(v, p->clamp, p->act_min, p->act_max);
                }
            }
        }
    }
}
