/* mcu_depthwise_conv_s8.c - DEPTHWISE_CONV_2D, int8 (see mcu_conv.h). */
#include "mcu_conv.h"
#include "mcu_fixedpoint.h"

void mcu_depthwise_conv_s8(const mcu_conv_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, mult = p->depth_multiplier;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *in_b = input + (int64_t)b * p->in_h * p->in_w * in_c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                for (int32_t oc = 0; oc < out_c; oc++) {
                    const int32_t ic = oc / mult;
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < p->k_h; ky++) {
                        const int32_t y = y0 + ky * p->dil_h;
                        if (y < 0 || y >= p->in_h) {
                            continue;
                        }
                        for (int32_t kx = 0; kx < p->k_w; kx++) {
                            const int32_t x = x0 + kx * p->dil_w;
                            if (x < 0 || x >= p->in_w) {
                                continue;
                            }
                            int32_t v = in_b[((int64_t)y * p->in_w + x) * in_c + ic];
                            int32_t w = p->filter[((int64_t)ky * p->k_w + kx) * out_c + oc];
                            acc += (v + p->input_offset) * w;
                        }
                    }
                    if (p->bias) {
                        acc += p->bias[oc];
                    }
                    acc = mcu_requantize(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
                    *output++ = (int8_t)MCU_CLAMP(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
