/* mcu_depthwise_conv_s8.c - DEPTHWISE_CONV_2D, int8 (see mcu_conv.h). */
#include "mcu_conv.h"
#include "mcu_fixedpoint.h"

/* All output channels of pixel (oy, ox) of one image. */
static void depthwise_pixel(const mcu_conv_params_t *p, const int8_t *image, int32_t oy, int32_t ox, int8_t *out)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, mult = p->depth_multiplier;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
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
                int32_t v = image[((int64_t)y * p->in_w + x) * in_c + ic];
                int32_t w = p->filter[((int64_t)ky * p->k_w + kx) * out_c + oc];
                acc += (v + p->input_offset) * w;
            }
        }
        if (p->bias) {
            acc += p->bias[oc];
        }
        acc = mcu_requantize(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
        out[oc] = (int8_t)MCU_CLAMP(acc, p->act_min, p->act_max);
    }
}

void mcu_depthwise_conv_s8(const mcu_conv_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t total = p->batches * pixels;
    const int64_t image = (int64_t)p->in_h * p->in_w * p->in_c;
    for (int32_t i = 0; i < total; i++) {
        const int32_t n = p->reverse ? total - 1 - i : i;
        const int32_t r = n % pixels;
        depthwise_pixel(p, input + (n / pixels) * image, r / p->out_w, r % p->out_w,
                        output + (int64_t)n * p->out_c);
    }
}
