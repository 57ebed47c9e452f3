/* mcu_depthwise_conv_s4.c - DEPTHWISE_CONV_2D, int8 activations, int4 weights in the model's own dense
 * packing (see mcu_conv.h). No scratch. */
#include "mcu_conv.h"
#include "mcu_fixedpoint.h"
#include "mcu_s4_impl.h"

/* The output byte of channel oc. */
static inline int8_t mcu_dw_s4_out(const mcu_conv_s4_params_t *p, int32_t acc, int32_t oc)
{
    if (p->rq) {
        return mcu_s4_output_rq(acc, p->rq + 3 * oc, p->act_min, p->act_max);
    }
    return mcu_s4_output(acc, p->multiplier[oc], p->shift[oc], p->output_zp, p->act_min, p->act_max);
}

/* All output channels of pixel (oy, ox) of one image (odd out_c or more than MCU_DW_S4_MAX_TAPS taps). */
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
        out[oc] = mcu_dw_s4_out(p, acc, oc);
    }
}

/* Taps of the interior fast path (larger filters take mcu_dw_s4_pixel everywhere). */
#define MCU_DW_S4_MAX_TAPS 64

/* One pixel for an even out_c: every tap's channel pair (2j, 2j+1) shares one filter byte (low nibble:
 * channel 2j), taps out_c / 2 bytes apart. tap[t]: the input pixel of tap t (p->pad, the input zero point,
 * outside the image, where x - input_zp is then 0). */
static void mcu_dw_s4_pixel_pairs(const mcu_conv_s4_params_t *p, const int8_t *const *tap, int32_t taps,
                                  int8_t *out)
{
    const int32_t out_c = p->out_c, mult = p->depth_multiplier, zp = p->input_zp, half = out_c >> 1;
    const uint8_t *f = (const uint8_t *)p->filter;
    for (int32_t oc = 0; oc < out_c; oc += 2) {
        const int32_t c0 = oc / mult, c1 = (oc + 1) / mult;
        const uint8_t *fb = f + (oc >> 1);
        int32_t a0 = 0, a1 = 0;
        for (int32_t t = 0; t < taps; t++, fb += half) {
            const uint32_t byte = *fb;
            const int32_t w0 = (int32_t)((byte & 0xFu) ^ 8u) - 8;
            const int32_t w1 = (int32_t)((byte >> 4) ^ 8u) - 8;
            const int8_t *x = tap[t];
            a0 += ((int32_t)x[c0] - zp) * w0;
            a1 += ((int32_t)x[c1] - zp) * w1;
        }
        if (p->bias) {
            a0 = (int32_t)((uint32_t)a0 + (uint32_t)p->bias[oc]);
            a1 = (int32_t)((uint32_t)a1 + (uint32_t)p->bias[oc + 1]);
        }
        out[oc] = mcu_dw_s4_out(p, a0, oc);
        out[oc + 1] = mcu_dw_s4_out(p, a1, oc + 1);
    }
}

/* Grouped path (see mcu_conv_s4_params_t): one pixel from its tap pointers. */
static void mcu_dw_s4_pixel_groups(const mcu_conv_s4_params_t *p, const int8_t *const *tap, int32_t taps,
                                   int8_t *out)
{
    const int32_t groups = p->out_c >> 3;
    const int32_t *wg = p->group_weights;
    for (int32_t g = 0; g < groups; g++) {
        const int32_t c = 8 * g;
        const int32_t *w = wg + g;
#if defined(__ARM_FEATURE_DSP)
        /* channels c..c+3 from the low nibbles, then c+4..c+7 from the high ones: 4 accumulators in registers */
        int32_t acc[8];
        for (int32_t h = 0; h < 2; h++) {
            const int32_t *wh = w;
            const int32_t ch = c + 4 * h, sh = 4 * h;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int32_t t = 0; t < taps; t++, wh += groups) {
                const uint32_t nib = (((uint32_t)*wh >> sh) & 0x0F0F0F0Fu) << 4;
                uint32_t xv;
                memcpy(&xv, tap[t] + ch, 4);
                const int32_t w02 = __sxtb16((int32_t)nib), w13 = mcu_s4_sxtb16_ror8(nib);
                const int32_t x02 = __sxtb16((int32_t)xv), x13 = mcu_s4_sxtb16_ror8(xv);
                a0 = __smlabb(x02, w02, a0);
                a2 = __smlatt(x02, w02, a2);
                a1 = __smlabb(x13, w13, a1);
                a3 = __smlatt(x13, w13, a3);
            }
            acc[4 * h] = a0 / 16;
            acc[4 * h + 1] = a1 / 16;
            acc[4 * h + 2] = a2 / 16;
            acc[4 * h + 3] = a3 / 16;
        }
#else
        int32_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int32_t t = 0; t < taps; t++, w += groups) {
            const uint32_t v = (uint32_t)*w;
            const int8_t *x = tap[t] + c;
            for (int32_t j = 0; j < 8; j++) {
                acc[j] += x[j] * MCU_S4_VALUE(v, 8 * (j & 3) + 4 * (j >> 2));
            }
        }
#endif
        for (int32_t j = 0; j < 8; j++) {
            const int32_t a = (int32_t)((uint32_t)acc[j] + (uint32_t)p->group_bias[c + j]);
            out[c + j] = mcu_dw_s4_out(p, a, c + j);
        }
    }
}

void mcu_depthwise_conv_s4(const mcu_conv_s4_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch)
{
    (void)scratch;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t total = p->batches * pixels;
    const int32_t image = p->in_h * p->in_w * p->in_c;
    const int32_t taps = p->k_h * p->k_w;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    const int pairs = ((p->out_c & 1) == 0 && taps <= MCU_DW_S4_MAX_TAPS) || p->group_weights != NULL;
    int32_t off[MCU_DW_S4_MAX_TAPS];
    const int8_t *tap[MCU_DW_S4_MAX_TAPS];
    if (pairs) {
        for (int32_t ky = 0, t = 0; ky < p->k_h; ky++) {
            for (int32_t kx = 0; kx < p->k_w; kx++, t++) {
                off[t] = (ky * p->dil_h * p->in_w + kx * p->dil_w) * p->in_c;
            }
        }
    }
    for (int32_t i = 0; i < total; i++) {
        const int32_t n = p->reverse ? total - 1 - i : i;
        const int32_t r = n % pixels;
        const int32_t oy = r / p->out_w, ox = r % p->out_w;
        const int8_t *img = input + (n / pixels) * image;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        if (!pairs) {
            mcu_dw_s4_pixel(p, img, oy, ox, output + n * p->out_c);
            continue;
        }
        if (y0 >= 0 && y0 + span_h < p->in_h && x0 >= 0 && x0 + span_w < p->in_w) {
            const int8_t *base = img + (y0 * p->in_w + x0) * p->in_c;
            for (int32_t t = 0; t < taps; t++) {
                tap[t] = base + off[t];
            }
        } else {
            for (int32_t ky = 0, t = 0; ky < p->k_h; ky++) {
                const int32_t y = y0 + ky * p->dil_h;
                for (int32_t kx = 0; kx < p->k_w; kx++, t++) {
                    const int32_t x = x0 + kx * p->dil_w;
                    const int inside = y >= 0 && y < p->in_h && x >= 0 && x < p->in_w;
                    tap[t] = inside ? img + (y * p->in_w + x) * p->in_c : p->pad;
                }
            }
        }
        if (p->group_weights) {
            mcu_dw_s4_pixel_groups(p, tap, taps, output + n * p->out_c);
        } else {
            mcu_dw_s4_pixel_pairs(p, tap, taps, output + n * p->out_c);
        }
    }
}
