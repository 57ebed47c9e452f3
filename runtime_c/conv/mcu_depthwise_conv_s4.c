/* mcu_depthwise_conv_s4.c - DEPTHWISE_CONV_2D, int8 activations, int4 weights in the model's own dense
 * packing (see mcu_conv.h). No scratch. */
#include "mcu_conv.h"
#include "mcu_fixedpoint.h"
#include "mcu_s4_impl.h"

/* All output channels of pixel (oy, ox) of one image. */
static void mcu_dw_s4_pixel(const mcu_conv_s4_params_t *p, const int8_t *image, int32_t oy, int32_t ox,
                            int8_t *out)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, mult = p->depth_multiplier, zp = p->input_zp;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    const uint8_t *f = (const uint8_t *)p->filter;
    for (int32_t oc = 0; oc < out_c; oc++) {
        const int8_t *src = image + oc / mult;
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
                const int32_t e = (ky * p->k_w + kx) * out_c + oc; /* element of the 1HWO filter */
                const int32_t w = MCU_S4_VALUE((uint32_t)f[e >> 1], 4 * (e & 1));
                acc += ((int32_t)src[(y * p->in_w + x) * in_c] - zp) * w;
            }
        }
        if (p->bias) {
            acc = (int32_t)((uint32_t)acc + (uint32_t)p->bias[oc]);
        }
        out[oc] = mcu_s4_output(acc, p->multiplier[oc], p->shift[oc], p->output_zp, p->act_min, p->act_max);
    }
}

void mcu_depthwise_conv_s4(const mcu_conv_s4_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch)
{
    (void)scratch;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t total = p->batches * pixels;
    const int32_t image = p->in_h * p->in_w * p->in_c;
    for (int32_t i = 0; i < total; i++) {
        const int32_t n = p->reverse ? total - 1 - i : i;
        const int32_t r = n % pixels;
        mcu_dw_s4_pixel(p, input + (n / pixels) * image, r / p->out_w, r % p->out_w, output + n * p->out_c);
    }
}
