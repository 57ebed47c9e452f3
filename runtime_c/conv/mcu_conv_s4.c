/* mcu_conv_s4.c - CONV_2D, int8 activations, packed int4 weights (see mcu_conv.h and mcu_s4_impl.h). */
#include "mcu_conv.h"
#include "mcu_fixedpoint.h"
#include "mcu_s4_impl.h"

int32_t mcu_conv_s4_get_buffer_size(int32_t row_words)
{
    return 32 * row_words; /* two windows of 8 * row_words int16 */
}

/* The output byte of channel oc. */
static inline int8_t mcu_conv_s4_out(const mcu_conv_s4_params_t *p, int32_t acc, int32_t oc)
{
    if (p->rq) {
        return mcu_s4_output_rq(acc, p->rq + 3 * oc, p->act_min, p->act_max);
    }
    return mcu_s4_output(acc, p->multiplier[oc], p->shift[oc], p->output_zp, p->act_min, p->act_max);
}

/* The window of pixel (oy, ox) minus the input zero point into x (taps outside the image: 0). */
static void mcu_conv_s4_gather(const mcu_conv_s4_params_t *p, const int8_t *image, int32_t oy, int32_t ox,
                               int16_t *x)
{
    const int32_t in_c = p->in_c, zp = p->input_zp;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    int16_t *dst = x;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + ky * p->dil_h;
        for (int32_t kx = 0; kx < p->k_w; kx++, dst += in_c) {
            const int32_t xx = x0 + kx * p->dil_w;
            if (y < 0 || y >= p->in_h || xx < 0 || xx >= p->in_w) {
                memset(dst, 0, (size_t)in_c * sizeof(int16_t));
                continue;
            }
            const int8_t *src = image + ((int64_t)y * p->in_w + xx) * in_c;
            for (int32_t c = 0; c < in_c; c++) {
                dst[c] = (int16_t)(src[c] - zp);
            }
        }
    }
}

/* Every output channel of one pixel from its gathered window x. */
static void mcu_conv_s4_one(const mcu_conv_s4_params_t *p, const int16_t *x, int8_t *out)
{
    const int32_t words = p->row_words, out_c = p->out_c;
    const int32_t *w = p->filter;
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2, w += 2 * words) {
        int32_t acc0, acc1;
        mcu_s4_dot2(x, w, words, &acc0, &acc1);
        if (p->bias) {
            acc0 = (int32_t)((uint32_t)acc0 + (uint32_t)p->bias[oc]);
            acc1 = (int32_t)((uint32_t)acc1 + (uint32_t)p->bias[oc + 1]);
        }
        out[oc] = mcu_conv_s4_out(p, acc0, oc);
        out[oc + 1] = mcu_conv_s4_out(p, acc1, oc + 1);
    }
    if (oc < out_c) {
        int32_t acc = mcu_s4_dot(x, w, words);
        if (p->bias) {
            acc = (int32_t)((uint32_t)acc + (uint32_t)p->bias[oc]);
        }
        out[oc] = mcu_conv_s4_out(p, acc, oc);
    }
}

/* Every output channel of two pixels from their windows x0, x1 (weights unpacked once for both). */
static void mcu_conv_s4_two(const mcu_conv_s4_params_t *p, const int16_t *x0, const int16_t *x1, int8_t *out0,
                            int8_t *out1)
{
    const int32_t words = p->row_words, out_c = p->out_c;
    const int32_t *w = p->filter;
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2, w += 2 * words) {
        int32_t acc[4];
        mcu_s4_dot2x2(x0, x1, w, words, acc);
        if (p->bias) {
            const uint32_t b0 = (uint32_t)p->bias[oc], b1 = (uint32_t)p->bias[oc + 1];
            acc[0] = (int32_t)((uint32_t)acc[0] + b0);
            acc[1] = (int32_t)((uint32_t)acc[1] + b1);
            acc[2] = (int32_t)((uint32_t)acc[2] + b0);
            acc[3] = (int32_t)((uint32_t)acc[3] + b1);
        }
        out0[oc] = mcu_conv_s4_out(p, acc[0], oc);
        out0[oc + 1] = mcu_conv_s4_out(p, acc[1], oc + 1);
        out1[oc] = mcu_conv_s4_out(p, acc[2], oc);
        out1[oc + 1] = mcu_conv_s4_out(p, acc[3], oc + 1);
    }
    if (oc < out_c) {
        int32_t a0 = mcu_s4_dot(x0, w, words), a1 = mcu_s4_dot(x1, w, words);
        if (p->bias) {
            a0 = (int32_t)((uint32_t)a0 + (uint32_t)p->bias[oc]);
            a1 = (int32_t)((uint32_t)a1 + (uint32_t)p->bias[oc]);
        }
        out0[oc] = mcu_conv_s4_out(p, a0, oc);
        out1[oc] = mcu_conv_s4_out(p, a1, oc);
    }
}

/* Pixels in the order of the contract, two at a time: both windows are gathered before either pixel is
 * written (so the second pixel's input is read before the first one's output can overwrite anything). */
void mcu_conv_s4(const mcu_conv_s4_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch)
{
    const int32_t k = p->k_h * p->k_w * p->in_c, len = 8 * p->row_words;
    int16_t *x0 = scratch, *x1 = scratch + len;
    /* the rows' padding values stay 0 for the whole call */
    memset(x0 + k, 0, (size_t)(len - k) * sizeof(int16_t));
    memset(x1 + k, 0, (size_t)(len - k) * sizeof(int16_t));
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t total = p->batches * pixels;
    const int64_t image = (int64_t)p->in_h * p->in_w * p->in_c;
    for (int32_t i = 0; i < total; i += 2) {
        const int32_t n0 = p->reverse ? total - 1 - i : i;
        const int32_t r0 = n0 % pixels;
        mcu_conv_s4_gather(p, input + (n0 / pixels) * image, r0 / p->out_w, r0 % p->out_w, x0);
        if (i + 1 == total) {
            mcu_conv_s4_one(p, x0, output + (int64_t)n0 * p->out_c);
            break;
        }
        const int32_t n1 = p->reverse ? n0 - 1 : n0 + 1;
        const int32_t r1 = n1 % pixels;
        mcu_conv_s4_gather(p, input + (n1 / pixels) * image, r1 / p->out_w, r1 % p->out_w, x1);
        mcu_conv_s4_two(p, x0, x1, output + (int64_t)n0 * p->out_c, output + (int64_t)n1 * p->out_c);
    }
}
