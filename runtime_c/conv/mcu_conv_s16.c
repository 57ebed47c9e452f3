/* mcu_conv_s16.c - CONV_2D, int16 activations, int8 weights (16x8; see mcu_conv.h). Plain C,
 * with the DSP dot product of mcu_dot_s16 where the board has it.
 *
 * With a scratch of mcu_conv_s16_get_buffer_size() bytes (filters larger than 1x1), each output pixel's
 * window is first gathered into it (im2col; taps outside the image become 0, the int16 zero point, which
 * adds nothing, as TFLM skipping them does), and every output channel is then one dot product over the
 * whole window: the filter's OHWI rows have the same order. The sums are the same integers in any order
 * (int64, or int32 wrapping for acc64 = 0), so the result is the reference's. The whole window is read
 * before any output of the pixel is written. */
#include <string.h>

#include "mcu_conv.h"

/* All output channels of pixel (oy, ox) of one image. */
static void mcu_conv_s16_pixel(const mcu_conv_s16_params_t *p, const int16_t *image, int32_t oy, int32_t ox,
                               int16_t *out)
{
    const int32_t in_c = p->in_c;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    for (int32_t oc = 0; oc < p->out_c; oc++) {
        const int8_t *f = p->filter + (int64_t)oc * p->k_h * p->k_w * in_c;
        int64_t acc = 0;
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
                acc += mcu_dot_s16(image + ((int64_t)y * p->in_w + x) * in_c,
                                   f + ((int64_t)ky * p->k_w + kx) * in_c, in_c);
            }
        }
        if (p->bias) {
            acc += p->bias[oc];
        }
        out[oc] = mcu_output_s16(acc, p->acc64, p->multiplier[oc], p->shift[oc], p->act_min, p->act_max);
    }
}

/* The window of pixel (oy, ox) into `col`: [k_h][k_w][in_c], zeros outside the image. */
static void mcu_conv_s16_gather(const mcu_conv_s16_params_t *p, const int16_t *image, int32_t oy, int32_t ox,
                                int16_t *col)
{
    const int32_t in_c = p->in_c;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + ky * p->dil_h;
        for (int32_t kx = 0; kx < p->k_w; kx++, col += in_c) {
            const int32_t x = x0 + kx * p->dil_w;
            if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) {
                memset(col, 0, (size_t)in_c * sizeof(int16_t));
            } else {
                memcpy(col, image + ((int64_t)y * p->in_w + x) * in_c, (size_t)in_c * sizeof(int16_t));
            }
        }
    }
}

static void mcu_conv_s16_pixel_col(const mcu_conv_s16_params_t *p, const int16_t *col, int16_t *out)
{
    const int32_t k = p->k_h * p->k_w * p->in_c;
    int32_t oc = 0;
    for (; oc + 4 <= p->out_c; oc += 4) {  /* four channels per pass over the window */
        int64_t acc[4];
        mcu_dot4_s16(col, p->filter + (int64_t)oc * k, k, k, acc);
        for (int32_t j = 0; j < 4; j++) {
            const int64_t a = acc[j] + (p->bias ? p->bias[oc + j] : 0);
            out[oc + j] = mcu_output_s16(a, p->acc64, p->multiplier[oc + j], p->shift[oc + j], p->act_min,
                                         p->act_max);
        }
    }
    for (; oc < p->out_c; oc++) {
        int64_t acc = mcu_dot_s16(col, p->filter + (int64_t)oc * k, k);
        if (p->bias) {
            acc += p->bias[oc];
        }
        out[oc] = mcu_output_s16(acc, p->acc64, p->multiplier[oc], p->shift[oc], p->act_min, p->act_max);
    }
}

void mcu_conv_s16(const mcu_conv_s16_params_t *p, const int16_t *input, int16_t *output, int16_t *scratch)
{
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t total = p->batches * pixels;
    const int64_t image = (int64_t)p->in_h * p->in_w * p->in_c;
    for (int32_t i = 0; i < total; i++) {
        const int32_t n = p->reverse ? total - 1 - i : i;
        const int32_t r = n % pixels;
        int16_t *out = output + (int64_t)n * p->out_c;
        if (scratch != NULL) {
            mcu_conv_s16_gather(p, input + (n / pixels) * image, r / p->out_w, r % p->out_w, scratch);
            mcu_conv_s16_pixel_col(p, scratch, out);
        } else if (p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0) {
            /* a 1x1 window is the input pixel's channels, always inside the image */
            const int32_t oy = r / p->out_w, ox = r % p->out_w;
            mcu_conv_s16_pixel_col(p, input + (n / pixels) * image
                                       + ((int64_t)oy * p->stride_h * p->in_w + (int64_t)ox * p->stride_w) * p->in_c,
                                   out);
        } else {
            mcu_conv_s16_pixel(p, input + (n / pixels) * image, r / p->out_w, r % p->out_w, out);
        }
    }
}
