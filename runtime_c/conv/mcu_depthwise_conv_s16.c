/* mcu_depthwise_conv_s16.c - DEPTHWISE_CONV_2D, int16 activations, int8 weights (16x8; see mcu_conv.h).
 * Plain C, and a DSP path (SMLAD over pairs of taps) when the generator gives `weights`. */
#include <string.h>

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

#if defined(__ARM_FEATURE_DSP)

/* Taps of the DSP path's window, the zero-weight partner of an odd last tap included
 * (mcugen/ops/conv.py DW16_DSP_MAX_TAPS); larger filters take the plain path. */
#define MCU_DW16_MAX_TAPS 64

/* mcu_output_s16(acc + bias, 1, reduced, shift, ...) through the channel's rq row: the bias times the
 * multiplier and the rounding term are folded into C at build time, so the int64 product is one SMLAL
 * (mcu_requantize_s64 works modulo 2^64, where (acc + bias) * r + 2^(t-1) = acc * r + C). */
static inline int16_t mcu_dw_s16_out_dsp(const mcu_conv_s16_params_t *p, int32_t acc, const int32_t *q)
{
    const uint64_t c = ((uint64_t)(uint32_t)q[1] << 32) | (uint32_t)q[0];
    const uint64_t sum = c + (uint64_t)((int64_t)acc * (int64_t)q[2]);
    const int32_t v = (int32_t)(uint32_t)(uint64_t)((int64_t)sum >> q[3]);
    return (int16_t)(v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v));
}

/* DSP path. `weights` holds, per group of 4 output channels (4g .. 4g+3, the last group padded with
 * zero-weight channels), per tap pair (2k, 2k+1) (taps in (ky, kx) order, an odd last tap paired with
 * zero weights), 4 words: (w[2k][c], w[2k+1][c]) as int16 (low half first) for c = 4g .. 4g+3. Each
 * SMLAD adds the products of one channel at two taps to that channel's int32 accumulator. No
 * overflow: a channel sums at most MCU_DW16_MAX_TAPS products of magnitude at most 2^15 * 2^7 = 2^22,
 * so every partial sum (and SMLAD's intermediate) is below 2^28 in magnitude; the accumulator is the
 * exact sum, the plain path's value. `tap[t]` points at the input pixel of tap t (or at `pad`, zeros,
 * outside the image and for the odd tap's partner). */
static void mcu_dw_s16_pixel_dsp(const mcu_conv_s16_params_t *p, const int16_t *const *tap, int16_t *out)
{
    const int32_t out_c = p->out_c, dm = p->depth_multiplier;
    const int32_t pairs = (p->k_h * p->k_w + 1) >> 1;
    const int32_t *weights = p->weights;
    int32_t oc = 0;
    if (dm == 1) {
        /* four channels at once: two words of each tap's input, split by PKHBT/PKHTB into
           (x[2k][c], x[2k+1][c]) per channel c */
        for (; oc + 4 <= out_c; oc += 4) {
            const int32_t *w = weights + (int64_t)oc * pairs; /* group oc / 4: 4 * pairs words */
            const int16_t *const *tp = tap;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int32_t k = pairs; k != 0; k--) {
                const int16_t *ta = tp[0] + oc, *tb = tp[1] + oc;
                uint32_t xa01, xa23, xb01, xb23;
                int32_t x0, x1, x2, x3;
                tp += 2;
                memcpy(&xa01, ta, 4);
                memcpy(&xb01, tb, 4);
                memcpy(&xa23, ta + 2, 4);
                memcpy(&xb23, tb + 2, 4);
                __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(x0) : "r"(xa01), "r"(xb01));
                __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(x1) : "r"(xb01), "r"(xa01));
                __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(x2) : "r"(xa23), "r"(xb23));
                __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(x3) : "r"(xb23), "r"(xa23));
                a0 = __smlad(x0, w[0], a0);
                a1 = __smlad(x1, w[1], a1);
                a2 = __smlad(x2, w[2], a2);
                a3 = __smlad(x3, w[3], a3);
                w += 4;
            }
            const int32_t *q = p->rq + 4 * oc;
            out[oc] = mcu_dw_s16_out_dsp(p, a0, q);
            out[oc + 1] = mcu_dw_s16_out_dsp(p, a1, q + 4);
            out[oc + 2] = mcu_dw_s16_out_dsp(p, a2, q + 8);
            out[oc + 3] = mcu_dw_s16_out_dsp(p, a3, q + 12);
        }
    }
/* the rest (every channel when dm > 1): one channel at a time */
    for (; oc < out_c; oc++) {
        const int32_t ic = oc / dm;
        const int32_t *w = weights + (int64_t)(oc >> 2) * 4 * pairs + (oc & 3);
        int32_t a = 0;
        for (int32_t k = 0; k < pairs; k++) {
            const int32_t xa = tap[2 * k][ic], xb = tap[2 * k + 1][ic];
            int32_t x;
            __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(x) : "r"(xa), "r"(xb));
            a = __smlad(x, w[4 * k], a);
        }
        out[oc] = mcu_dw_s16_out_dsp(p, a, p->rq + 4 * oc);
    }
}

/* Every output pixel, in the order of the contract, through mcu_dw_s16_pixel_dsp. */
static void mcu_dw_s16_run_dsp(const mcu_conv_s16_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, out_w = p->out_w, out_c = p->out_c;
    const int32_t taps = p->k_h * p->k_w;
    const int32_t pixels = p->out_h * out_w;
    const int32_t total = p->batches * pixels;
    const int64_t image = (int64_t)in_h * in_w * in_c;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    int32_t off[MCU_DW16_MAX_TAPS];
    const int16_t *tap[MCU_DW16_MAX_TAPS];
    for (int32_t ky = 0, t = 0; ky < p->k_h; ky++) {
        for (int32_t kx = 0; kx < p->k_w; kx++, t++) {
            off[t] = (ky * p->dil_h * in_w + kx * p->dil_w) * in_c;
        }
    }
    if (taps & 1) {
        tap[taps] = p->pad; /* the zero-weight partner of the last tap */
    }
    for (int32_t i = 0; i < total; i++) {
        const int32_t n = p->reverse ? total - 1 - i : i;
        const int32_t r = n % pixels, oy = r / out_w, ox = r % out_w;
        const int16_t *img = input + (n / pixels) * image;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        if (y0 >= 0 && y0 + span_h < in_h && x0 >= 0 && x0 + span_w < in_w) {
            const int16_t *base = img + ((int64_t)y0 * in_w + x0) * in_c;
            for (int32_t t = 0; t < taps; t++) {
                tap[t] = base + off[t];
            }
        } else {
            for (int32_t ky = 0, t = 0; ky < p->k_h; ky++) {
                const int32_t y = y0 + ky * p->dil_h;
                for (int32_t kx = 0; kx < p->k_w; kx++, t++) {
                    const int32_t x = x0 + kx * p->dil_w;
                    const int inside = y >= 0 && y < in_h && x >= 0 && x < in_w;
                    tap[t] = inside ? img + ((int64_t)y * in_w + x) * in_c : p->pad;
                }
            }
        }
        mcu_dw_s16_pixel_dsp(p, tap, output + (int64_t)n * out_c);
    }
}

#endif /* __ARM_FEATURE_DSP */

void mcu_depthwise_conv_s16(const mcu_conv_s16_params_t *p, const int16_t *input, int16_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    if (p->weights != NULL) {
        mcu_dw_s16_run_dsp(p, input, output);
        return;
    }
#endif
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
