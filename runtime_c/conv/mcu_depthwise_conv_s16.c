/* mcu_depthwise_conv_s16.c - DEPTHWISE_CONV_2D, int16 activations, int8 weights (16x8; see mcu_conv.h).
 * Plain C. */
#include "mcu_conv.h"

/* All output channels of pixel (oy, ox) of one image. */
static void mcu_dw_s16_pixel(const mcu_conv_s16_params_t *p, const int16_t *image, int32_t oy, int32_t ox,
                             int16_t *out)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, mult = p->depth_multiplier;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    for (int32_t oc = 0; oc < out_c; oc++) {
        const int32_t ic = oc / mult;
        int64_t acc = 0;
        int32_t part = 0, count = 0;
        for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t y = y0 + ky * p->dil_h;
            if (y < 0 || y >= p->in_h) {
                continue;
            }
            const int8_t *w = p->filter + (int64_t)ky * p->k_w * out_c + oc;
            for (int32_t kx = 0; kx < p->k_w; kx++, w += out_c) {
                const int32_t x = x0 + kx * p->dil_w;
                if (x < 0 || x >= p->in_w) {
                    continue;
                }
                part += (int32_t)image[((int64_t)y * p->in_w + x) * in_c + ic] * (int32_t)*w;
                if (++count == MCU_S16_CHUNK) {
                    acc += part;
                    part = count = 0;
                }
            }
        }
        acc += part;
        if (p->bias) {
            acc += p->bias[oc];
        }
        out[oc] = mcu_output_s16(acc, p->acc64, p->multiplier[oc], p->shift[oc], p->act_min, p->act_max);
    }
}

void mcu_depthwise_conv_s16(const mcu_conv_s16_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t total = p->batches * pixels;
    const int64_t image = (int64_t)p->in_h * p->in_w * p->in_c;
    for (int32_t i = 0; i < total; i++) {
        const int32_t n = p->reverse ? total - 1 - i : i;
        const int32_t r = n % pixels;
        mcu_dw_s16_pixel(p, input + (n / pixels) * image, r / p->out_w, r % p->out_w,
                         output + (int64_t)n * p->out_c);
    }
}
