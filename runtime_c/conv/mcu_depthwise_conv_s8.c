/* mcu_depthwise_conv_s8.c - DEPTHWISE_CONV_2D, int8, any filter and depth multiplier (see mcu_conv.h:
 * mcu_dw_params_t, the folded bias and the fast requantization). */
#include <string.h>

#include "mcu_conv.h"
#include "mcu_fixedpoint.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* Taps of the DSP path's window, the zero-weight partner of an odd last tap included
 * (mcugen/ops/conv.py DW_DSP_MAX_TAPS): larger filters take the plain path. */
#define MCU_DW_MAX_TAPS 96

/* Output byte of channel oc from its accumulator (doubled when fast). */
static inline int8_t mcu_dw_output(const mcu_dw_params_t *p, int32_t acc, int32_t oc)
{
    int32_t v;
    if (p->fast) {
        const int32_t *rq = p->rq + 3 * oc;
        v = (mcu_smmlar(acc, rq[0], rq[1]) + (acc >> 31)) >> rq[2];
        v = MCU_CLAMP(v, 0, p->act_max - p->act_min) + p->act_min;
    } else {
        v = mcu_requantize(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
        v = MCU_CLAMP(v, p->act_min, p->act_max);
    }
    return (int8_t)v;
}

#if defined(__ARM_FEATURE_DSP) || defined(MCU_CONV_MVE)
/* The tap pointers of a window at (y0, x0) of image `img` that reaches outside it (mcu_conv.h). */
static inline void mcu_dw_edge_taps(const mcu_dw_params_t *p, const int8_t *img, int32_t y0, int32_t x0,
                                    const int8_t **tap)
{
    MCU_DW_EDGE_TAPS(p, img, y0, x0, tap);
}

/* Output pixel (b, oy, ox) moved one step in the contract's order (step 1 forwards, -1 backwards). */
static inline void mcu_dw_next_pixel(const mcu_dw_params_t *p, int32_t step, int32_t *b, int32_t *oy, int32_t *ox)
{
    *ox += step;
    if (*ox == p->out_w || *ox < 0) {
        *ox = *ox < 0 ? p->out_w - 1 : 0;
        *oy += step;
        if (*oy == p->out_h || *oy < 0) {
            *oy = *oy < 0 ? p->out_h - 1 : 0;
            *b += step;
        }
    }
}
#endif

/* All output channels of pixel (oy, ox) of one image: acc = bias_f + sum over every tap of
 * x * w, a tap outside the image reading the input zero point (pad[0]). */
static void mcu_dw_pixel(const mcu_dw_params_t *p, const int8_t *image, int32_t oy, int32_t ox, int8_t *out)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, mult = p->depth_multiplier;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    const int32_t zp = p->pad[0];
#if !defined(__ARM_FEATURE_DSP) && !defined(MCU_CONV_MVE) /* there this is the only path: DSP and Helium
                                                              builds keep it compact (their fast paths
                                                              serve the common shapes) */
    if (y0 >= 0 && y0 + (p->k_h - 1) * p->dil_h < p->in_h && x0 >= 0 && x0 + (p->k_w - 1) * p->dil_w < p->in_w) {
        /* the whole window inside the image: no bounds to check, the taps one pointer step apart */
        const int32_t row = p->dil_h * p->in_w * in_c;
        /* a filter of one column is one row of k_h taps, `row` apart */
        const int32_t rows = p->k_w == 1 ? 1 : p->k_h, taps = p->k_w == 1 ? p->k_h : p->k_w;
        const int32_t col = p->k_w == 1 ? row : p->dil_w * in_c, w_row = taps * out_c;
        const int8_t *src = image + (y0 * p->in_w + x0) * in_c;
        for (int32_t ic = 0, oc = 0; ic < in_c; ic++, src++) {
            for (int32_t j = 0; j < mult; j++, oc++) {
                const int8_t *xr = src, *wr = p->filter + oc;
                uint32_t acc = 0;
                for (int32_t ky = 0; ky < rows; ky++, xr += row, wr += w_row) {
                    const int8_t *x = xr, *w = wr;
                    int32_t kx = taps;
                    for (; kx >= 2; kx -= 2, x += 2 * col, w += 2 * out_c) {
                        acc += (uint32_t)(x[0] * w[0]) + (uint32_t)(x[col] * w[out_c]);
                    }
                    if (kx) {
                        acc += (uint32_t)(x[0] * w[0]);
                    }
                }
                acc = (acc << p->fast) + (uint32_t)p->bias[oc];
                out[oc] = mcu_dw_output(p, (int32_t)acc, oc);
            }
        }
        return;
    }
#endif
    for (int32_t oc = 0; oc < out_c; oc++) {
        const int32_t ic = oc / mult; /* one SDIV on Armv7-M; a library call on Armv6-M (its windows that
                                         lie inside the image take the path above) */
        const int8_t *w = p->filter + oc;
        int32_t acc = 0;
        for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t y = y0 + ky * p->dil_h;
            const int row = y >= 0 && y < p->in_h;
            for (int32_t kx = 0; kx < p->k_w; kx++, w += out_c) {
                const int32_t x = x0 + kx * p->dil_w;
                const int32_t v = row && x >= 0 && x < p->in_w ? image[(y * p->in_w + x) * in_c + ic] : zp;
                acc += v * *w;
            }
        }
        acc = (int32_t)(((uint32_t)acc << p->fast) + (uint32_t)p->bias[oc]);
        out[oc] = mcu_dw_output(p, acc, oc);
    }
}

#if defined(__ARM_FEATURE_DSP)

/* DSP path, for depth_multiplier % 4 == 0 and at most MCU_DW_MAX_TAPS taps. `weights` holds, per input
 * channel ic and group of 4 output channels oc = ic * dm + 4g + j, per tap pair (2k, 2k+1) (taps in
 * (ky, kx) order, an odd last tap paired with a zero weight), 4 words (w[2k][oc_j], w[2k+1][oc_j]) as
 * int16 (doubled when fast). One pixel: the input pairs (x[2k], x[2k+1]) of each input channel are
 * gathered once, then every group of 4 output channels takes one SMLAD per pair and channel. */
/* a = p[0], b = p[1], p += 2, in one LDRD (p is 4-byte aligned: the weights are int32 arrays). */
#define MCU_DW_LDRD(a, b, p) \
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(a), "=r"(b), "+r"(p) : "m"(*(const int32_t(*)[2])(p)))

static void mcu_dw_pixel_dsp(const mcu_dw_params_t *p, const int8_t *const *tap, int8_t *out)
{
    const int32_t in_c = p->in_c, dm = p->depth_multiplier, pairs = (p->k_h * p->k_w + 1) >> 1;
    const int32_t lo = p->act_min, span = p->act_max - p->act_min;
    const uint32_t lo4 = (uint32_t)(uint8_t)lo * 0x01010101u;
    const int32_t *w = p->weights;
    const int32_t *bias = p->bias;
    const int32_t *rq = p->rq;
    int32_t oc = 0;
    for (int32_t ic = 0; ic < in_c; ic++) {
        int32_t xp[MCU_DW_MAX_TAPS / 2];
        for (int32_t k = 0; k < pairs; k++) {
            const int32_t xa = tap[2 * k][ic], xb = tap[2 * k + 1][ic];
            int32_t x;
            __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(x) : "r"(xa), "r"(xb));
            xp[k] = x;
        }
        for (int32_t g = 0; g < dm; g += 4, oc += 4) {
            int32_t a0 = bias[oc], a1 = bias[oc + 1], a2 = bias[oc + 2], a3 = bias[oc + 3];
            for (int32_t k = 0; k < pairs; k++) {
                const int32_t x = xp[k];
                int32_t w0, w1;
                MCU_DW_LDRD(w0, w1, w);
                a0 = __smlad(x, w0, a0);
                a1 = __smlad(x, w1, a1);
                MCU_DW_LDRD(w0, w1, w);
                a2 = __smlad(x, w0, a2);
                a3 = __smlad(x, w1, a3);
            }
            if (p->fast) {
                const int32_t *q = rq + 3 * oc;
                int32_t v0 = (mcu_smmlar(a0, q[0], q[1]) + (a0 >> 31)) >> q[2];
                int32_t v1 = (mcu_smmlar(a1, q[3], q[4]) + (a1 >> 31)) >> q[5];
                int32_t v2 = (mcu_smmlar(a2, q[6], q[7]) + (a2 >> 31)) >> q[8];
                int32_t v3 = (mcu_smmlar(a3, q[9], q[10]) + (a3 >> 31)) >> q[11];
                v0 = MCU_MIN((int32_t)__usat(v0, 8), span);
                v1 = MCU_MIN((int32_t)__usat(v1, 8), span);
                v2 = MCU_MIN((int32_t)__usat(v2, 8), span);
                v3 = MCU_MIN((int32_t)__usat(v3, 8), span);
                const uint32_t word = __uadd8((uint32_t)v0 | ((uint32_t)v1 << 8) | ((uint32_t)v2 << 16) |
                                                  ((uint32_t)v3 << 24), lo4);
                memcpy(out + oc, &word, 4);
            } else {
                out[oc] = mcu_dw_output(p, a0, oc);
                out[oc + 1] = mcu_dw_output(p, a1, oc + 1);
                out[oc + 2] = mcu_dw_output(p, a2, oc + 2);
                out[oc + 3] = mcu_dw_output(p, a3, oc + 3);
            }
        }
    }
}

/* DSP path for depth_multiplier 1 (and at most MCU_DW_MAX_TAPS taps): `weights` holds, per group of 4
 * channels c0..c3 (the last padded with zero weights), per tap pair (2k, 2k+1) (an odd last tap paired with a
 * zero weight), 4 words (w[2k][c_j], w[2k+1][c_j]) as int16 (doubled when fast); `bias` is padded to a
 * multiple of 4 channels. Per pair and group the two taps' input words are split by SXTB16 into even and odd
 * channels and paired tap by tap by PKHBT/PKHTB: 2 loads, 4 SXTB16, 4 PKH, 2 LDRD, 4 SMLAD for 8 MACs. The
 * last group of fewer than 4 channels reads only its own bytes. */
static inline uint32_t mcu_dw_load4(const int8_t *x, int32_t n)
{
    uint32_t v = 0;
    if (n == 4) {
        memcpy(&v, x, 4);
    } else {
        for (int32_t j = n - 1; j >= 0; j--) {
            v = (v << 8) | (uint8_t)x[j];
        }
    }
    return v;
}

static void mcu_dw_pixel_dsp1(const mcu_dw_params_t *p, const int8_t *const *tap, int8_t *out)
{
    const int32_t ch = p->in_c, pairs = (p->k_h * p->k_w + 1) >> 1;
    const int32_t lo = p->act_min, span = p->act_max - p->act_min;
    const uint32_t lo4 = (uint32_t)(uint8_t)lo * 0x01010101u;
    const int32_t *w = p->weights;
    for (int32_t c = 0; c < ch; c += 4) {
        const int32_t n = ch - c < 4 ? ch - c : 4;
        int32_t a0 = p->bias[c], a1 = p->bias[c + 1], a2 = p->bias[c + 2], a3 = p->bias[c + 3];
        for (int32_t k = 0; k < pairs; k++) {
            const uint32_t xw = mcu_dw_load4(tap[2 * k] + c, n), yw = mcu_dw_load4(tap[2 * k + 1] + c, n);
            const int32_t xe = __sxtb16((int32_t)xw), ye = __sxtb16((int32_t)yw);
            int32_t xo, yo, p0, p1, p2, p3;
            __asm__("sxtb16 %0, %1, ror #8" : "=r"(xo) : "r"(xw));
            __asm__("sxtb16 %0, %1, ror #8" : "=r"(yo) : "r"(yw));
            __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(p0) : "r"(xe), "r"(ye));
            __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(p2) : "r"(ye), "r"(xe));
            __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(p1) : "r"(xo), "r"(yo));
            __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(p3) : "r"(yo), "r"(xo));
            int32_t w0, w1;
            MCU_DW_LDRD(w0, w1, w);
            a0 = __smlad(p0, w0, a0);
            a1 = __smlad(p1, w1, a1);
            MCU_DW_LDRD(w0, w1, w);
            a2 = __smlad(p2, w0, a2);
            a3 = __smlad(p3, w1, a3);
        }
        if (p->fast && n == 4) {
            const int32_t *q = p->rq + 3 * c;
            int32_t v0 = (mcu_smmlar(a0, q[0], q[1]) + (a0 >> 31)) >> q[2];
            int32_t v1 = (mcu_smmlar(a1, q[3], q[4]) + (a1 >> 31)) >> q[5];
            int32_t v2 = (mcu_smmlar(a2, q[6], q[7]) + (a2 >> 31)) >> q[8];
            int32_t v3 = (mcu_smmlar(a3, q[9], q[10]) + (a3 >> 31)) >> q[11];
            v0 = MCU_MIN((int32_t)__usat(v0, 8), span);
            v1 = MCU_MIN((int32_t)__usat(v1, 8), span);
            v2 = MCU_MIN((int32_t)__usat(v2, 8), span);
            v3 = MCU_MIN((int32_t)__usat(v3, 8), span);
            const uint32_t word = __uadd8((uint32_t)v0 | ((uint32_t)v1 << 8) | ((uint32_t)v2 << 16) |
                                              ((uint32_t)v3 << 24), lo4);
            memcpy(out + c, &word, 4);
        } else {
            const int32_t a[4] = {a0, a1, a2, a3};
            for (int32_t j = 0; j < n; j++) {
                out[c + j] = mcu_dw_output(p, a[j], c + j);
            }
        }
    }
}

/* Every output pixel, in the order of the contract, through mcu_dw_pixel_dsp. */
static void mcu_dw_run_dsp(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, out_w = p->out_w, out_c = p->out_c;
    const int32_t taps = p->k_h * p->k_w;
    const int32_t total = p->batches * p->out_h * out_w;
    const int32_t image = in_h * in_w * in_c;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    int32_t off[MCU_DW_MAX_TAPS];
    const int8_t *tap[MCU_DW_MAX_TAPS];
    for (int32_t ky = 0, t = 0; ky < p->k_h; ky++) {
        for (int32_t kx = 0; kx < p->k_w; kx++, t++) {
            off[t] = (ky * p->dil_h * in_w + kx * p->dil_w) * in_c;
        }
    }
    if (taps & 1) {
        tap[taps] = p->pad; /* the zero-weight partner of the last tap */
    }
    const int32_t step = p->reverse ? -1 : 1;
    int32_t n = p->reverse ? total - 1 : 0;
    const int32_t pixels = p->out_h * out_w;
    int32_t b = n / pixels, oy = (n % pixels) / out_w, ox = (n % pixels) % out_w;
    for (int32_t i = 0; i < total; i++, n += step) {
        const int8_t *img = input + b * image;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        if (y0 >= 0 && y0 + span_h < in_h && x0 >= 0 && x0 + span_w < in_w) {
            const int8_t *base = img + (y0 * in_w + x0) * in_c;
            for (int32_t t = 0; t < taps; t++) {
                tap[t] = base + off[t];
            }
        } else {
            mcu_dw_edge_taps(p, img, y0, x0, tap);
        }
        if (p->depth_multiplier == 1) {
            mcu_dw_pixel_dsp1(p, tap, output + n * out_c);
        } else {
            mcu_dw_pixel_dsp(p, tap, output + n * out_c);
        }
        mcu_dw_next_pixel(p, step, &b, &oy, &ox);
    }
}

/* ---- 1-D DSP path (p->quant != NULL): depth_multiplier 1, a filter of one row or one column (1 x k or
 * k x 1), the fast requantization. The k taps of a window are then equally spaced in memory, ts bytes apart
 * (dil_w * in_c along a row, dil_h * in_c * in_w along a column), so an interior window (inside the image) is
 * one pointer s: tap t's channel c at s + c + t * ts. `quant` is one int32 stream (mcugen/ops/conv.py
 * pack_dw1d_stream), per group of 4 channels c0..c3 (the last padded: zero weights, bias 0, M 2^30, K 0, e 1),
 * in the order the kernel reads it:
 *   bias_f[4];
 *   per tap pair (2j, 2j+1), j < k / 2: 4 words (w[2j][c_i], w[2j+1][c_i]) as int16, i = 0..3;
 *   when k is odd, the last tap: 2 words (w[c0], w[c2]), (w[c1], w[c3]) as int16;
 *   (M, K)[4], e[4];
 * bias_f and the weights doubled (the fast requantization, mcu_conv.h).
 * A tap pair: the two taps' input words split by PKHBT/PKHTB into (c0 c1 of a, c0 c1 of b) and (c2 c3 of a,
 * c2 c3 of b), then by SXTB16 into the int16 pairs (a_ci, b_ci) that meet the weight words in SMLAD
 * (2 loads, 2 PKH, 4 SXTB16, 2 LDRD, 4 SMLAD for 8 MACs); the odd last tap: SXTB16 gives (c0, c2) and
 * (c1, c3), SMLABB / SMLATT against its two words (no zero-weight partner tap is computed). */

/* Words of one group of 4 channels in the stream (k taps). */
static inline int32_t mcu_dw1d_group_words(int32_t taps)
{
    return 16 + 4 * (taps >> 1) + 2 * (taps & 1);
}

/* The fast requantization of accumulator a with its channel's (M, K) at mk and shift e. */
static inline uint8_t mcu_dw1d_out(const int32_t *mk, int32_t e, int32_t a, int32_t span, int32_t lo)
{
    const int32_t v = (mcu_smmlar(a, mk[0], mk[1]) + (a >> 31)) >> e;
    return (uint8_t)(MCU_CLAMP(v, 0, span) + lo);
}

/* Channels from c on (c a multiple of 4) of one output pixel, tap t's input pixel at tap[t] (the image, or
 * `pad` for a tap outside it). A last group of fewer than 4 channels reads and writes only its own bytes. */
static void mcu_dw1d_pixel_taps(const mcu_dw_params_t *p, const int8_t *const *tap, int32_t taps, int32_t c,
                                int8_t *out)
{
    const int32_t ch = p->in_c, pairs = taps >> 1;
    const int32_t lo = p->act_min, span = p->act_max - p->act_min;
    const int32_t *w = p->quant + (c >> 2) * mcu_dw1d_group_words(taps);
    for (; c < ch; c += 4) {
        const int32_t n = ch - c < 4 ? ch - c : 4;
        int32_t a0 = w[0], a1 = w[1], a2 = w[2], a3 = w[3];
        w += 4;
        for (int32_t j = 0; j < pairs; j++, w += 4) {
            const uint32_t xa = mcu_dw_load4(tap[2 * j] + c, n), xb = mcu_dw_load4(tap[2 * j + 1] + c, n);
            const uint32_t l = mcu_pkhbt(xa, xb), h = mcu_pkhtb(xa, xb);
            a0 = __smlad(__sxtb16((int32_t)l), w[0], a0);
            a1 = __smlad(mcu_sxtb16_ror8(l), w[1], a1);
            a2 = __smlad(__sxtb16((int32_t)h), w[2], a2);
            a3 = __smlad(mcu_sxtb16_ror8(h), w[3], a3);
        }
        if (taps & 1) {
            const uint32_t x = mcu_dw_load4(tap[taps - 1] + c, n);
            const int32_t e = __sxtb16((int32_t)x), o = mcu_sxtb16_ror8(x);
            a0 = __smlabb(e, w[0], a0);
            a2 = __smlatt(e, w[0], a2);
            a1 = __smlabb(o, w[1], a1);
            a3 = __smlatt(o, w[1], a3);
            w += 2;
        }
        uint8_t u[4];
        u[0] = mcu_dw1d_out(w, w[8], a0, span, lo);
        u[1] = mcu_dw1d_out(w + 2, w[9], a1, span, lo);
        u[2] = mcu_dw1d_out(w + 4, w[10], a2, span, lo);
        u[3] = mcu_dw1d_out(w + 6, w[11], a3, span, lo);
        w += 12;
        memcpy(out + c, u, (size_t)n);
    }
}

#if defined(__OPTIMIZE__) /* the register-hungry asm needs an optimising build (13 registers) */

/* The whole groups of 4 channels of one interior output pixel, in one asm block: per group the bias
 * (2 LDRD), the tap pairs (s walks the window, 2 * ts a pair), the odd last tap, s back by the window and on
 * by 4 channels, then the requantization: per channel SMMLAR(a, M, K) + (a < 0 ? -1 : 0), shifted right by
 * e, USAT to 0..255; the four packed (PKHBT, ORR), the upper clamp to span on all four bytes at once (USUB8
 * sets GE where a byte reaches span4's, SEL takes span4's byte there), act_min added bytewise (UADD8), one
 * store. The state that does not fit in registers lives in memory (mcu_dw1d_state_t, one base register). */
#define MCU_DW1D_ASM_PAIR                                                                         \
    "ldr %[xa], [%[s]]\n\t"                                                                       \
    "ldr %[xb], [%[s], %[ts]]\n\t"                                                                \
    "add %[s], %[s], %[ts], lsl #1\n\t"                                                           \
    "pkhbt %[l], %[xa], %[xb], lsl #16\n\t"                                                       \
    "pkhtb %[xb], %[xb], %[xa], asr #16\n\t"                                                      \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "sxtb16 %[xa], %[l]\n\t"                                                                      \
    "smlad %[a0], %[xa], %[w0], %[a0]\n\t"                                                        \
    "sxtb16 %[xa], %[l], ror #8\n\t"                                                              \
    "smlad %[a1], %[xa], %[w1], %[a1]\n\t"                                                        \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "sxtb16 %[xa], %[xb]\n\t"                                                                     \
    "smlad %[a2], %[xa], %[w0], %[a2]\n\t"                                                        \
    "sxtb16 %[xa], %[xb], ror #8\n\t"                                                             \
    "smlad %[a3], %[xa], %[w1], %[a3]\n\t"
#define MCU_DW1D_ASM_SINGLE                                                                       \
    "ldr %[xa], [%[s]]\n\t"                                                                       \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "sxtb16 %[xb], %[xa]\n\t"                                                                     \
    "smlabb %[a0], %[xb], %[w0], %[a0]\n\t"                                                       \
    "smlatt %[a2], %[xb], %[w0], %[a2]\n\t"                                                       \
    "sxtb16 %[xb], %[xa], ror #8\n\t"                                                             \
    "smlabb %[a1], %[xb], %[w1], %[a1]\n\t"                                                       \
    "smlatt %[a3], %[xb], %[w1], %[a3]\n\t"
#define MCU_DW1D_ASM_REQUANT                                                                      \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "smmlar %[w0], %[a0], %[w0], %[w1]\n\t"                                                       \
    "add %[a0], %[w0], %[a0], asr #31\n\t"                                                        \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "smmlar %[w0], %[a1], %[w0], %[w1]\n\t"                                                       \
    "add %[a1], %[w0], %[a1], asr #31\n\t"                                                        \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "smmlar %[w0], %[a2], %[w0], %[w1]\n\t"                                                       \
    "add %[a2], %[w0], %[a2], asr #31\n\t"                                                        \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "smmlar %[w0], %[a3], %[w0], %[w1]\n\t"                                                       \
    "add %[a3], %[w0], %[a3], asr #31\n\t"                                                        \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "asr %[a0], %[a0], %[w0]\n\t"                                                                 \
    "asr %[a1], %[a1], %[w1]\n\t"                                                                 \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "asr %[a2], %[a2], %[w0]\n\t"                                                                 \
    "asr %[a3], %[a3], %[w1]\n\t"                                                                 \
    "usat %[a0], #8, %[a0]\n\t"                                                                   \
    "usat %[a1], #8, %[a1]\n\t"                                                                   \
    "usat %[a2], #8, %[a2]\n\t"                                                                   \
    "usat %[a3], #8, %[a3]\n\t"                                                                   \
    "pkhbt %[a0], %[a0], %[a2], lsl #16\n\t"                                                      \
    "pkhbt %[a1], %[a1], %[a3], lsl #16\n\t"                                                      \
    "orr %[a0], %[a0], %[a1], lsl #8\n\t"                                                         \
    "ldr %[xa], [%[g], #8]\n\t"                                                                     \
    "usub8 %[xb], %[a0], %[xa]\n\t"                                                               \
    "sel %[a0], %[xa], %[a0]\n\t"                                                                 \
    "ldr %[xa], [%[g], #12]\n\t"                                                                       \
    "uadd8 %[a0], %[a0], %[xa]\n\t"                                                               \
    "ldr %[xa], [%[g], #16]\n\t"                                                                       \
    "str %[a0], [%[xa]], #4\n\t"                                                                  \
    "str %[xa], [%[g], #16]\n\t"                                                                       \
    "ldr %[xa], [%[g], #20]\n\t"                                                                      \
    "cmp %[w], %[xa]\n\t"                                                                         \
    "bne 0b"
#define MCU_DW1D_ASM_GROUPS(single)                                                               \
    __asm__ volatile("0:\n\t"                                                                     \
                     "ldrd %[a0], %[a1], [%[w]], #8\n\t"                                          \
                     "ldrd %[a2], %[a3], [%[w]], #8\n\t"                                          \
                     "1:\n\t" MCU_DW1D_ASM_PAIR                                                   \
                     "ldr %[xa], [%[g], #0]\n\t"                                                     \
                     "cmp %[s], %[xa]\n\t"                                                        \
                     "bne 1b\n\t" single                                                          \
                     "add %[xa], %[s], #4\n\t"                                                    \
                     "str %[xa], [%[g], #0]\n\t"                                                     \
                     "ldr %[xa], [%[g], #4]\n\t"                                                     \
                     "add %[s], %[s], %[xa]\n\t" MCU_DW1D_ASM_REQUANT                             \
                     : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xa] "=&r"(xa), \
                       [xb] "=&r"(xb), [l] "=&r"(l), [w0] "=&r"(w0), [w1] "=&r"(w1), [w] "+r"(w),   \
                       [s] "+r"(s)                                                                  \
                     : [ts] "r"(ts), [g] "r"(g)                                                     \
                     : "cc", "memory")

/* The group loop's state in memory (one base register: the offsets in MCU_DW1D_ASM_*): s past the current
 * group's tap pairs, the step from there to the next group's tap 0, span4, lo4, the next output word and the
 * end of the stream's whole groups. */
typedef struct {
    uintptr_t send;         /* #0: an address (for an even k one past the last group's window) */
    int32_t back;           /* #4 */
    uint32_t span4, lo4;    /* #8, #12 */
    int8_t *out;            /* #16 */
    const int32_t *wend;    /* #20 */
} mcu_dw1d_state_t;

/* The whole groups of one interior pixel (tap 0's channel 0 at src) into out; g holds the layer's constants
 * (back, span4, lo4, wend), send and out are set here. */
static __attribute__((noinline)) void mcu_dw1d_groups(mcu_dw1d_state_t *g, const int32_t *w, const int8_t *src,
                                                      int32_t ts, int32_t odd, int8_t *out)
{
    g->send = (uintptr_t)src + (uintptr_t)(4 - g->back); /* past the tap pairs: 2 * (k / 2) * ts */
    g->out = out;
    const int8_t *s = src;
    int32_t a0, a1, a2, a3, w0, w1;
    uint32_t xa, xb, l;
    if (odd) {
        MCU_DW1D_ASM_GROUPS(MCU_DW1D_ASM_SINGLE);
    } else {
        MCU_DW1D_ASM_GROUPS("");
    }
    (void)a0, (void)a1, (void)a2, (void)a3, (void)w0, (void)w1, (void)xa, (void)xb, (void)l;
}
#define MCU_DW1D_HAVE_INTERIOR 1
#endif /* __OPTIMIZE__ */

/* Every output pixel, in the order of the contract: the whole groups of interior windows of 2 or more taps
 * through mcu_dw1d_groups (an optimising build), the rest through tap pointers, a tap outside the image at
 * `pad`. */
static void mcu_dw1d_run(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, out_w = p->out_w, out_c = p->out_c;
    const int32_t taps = p->k_h * p->k_w;
    const int32_t total = p->batches * p->out_h * out_w;
    const int32_t image = in_h * in_w * in_c;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    const int32_t ts = p->k_w == 1 ? p->dil_h * in_w * in_c : p->dil_w * in_c; /* bytes between taps */
    const int8_t *tap[MCU_DW_MAX_TAPS];
    const int32_t step = p->reverse ? -1 : 1;
    int32_t n = p->reverse ? total - 1 : 0;
    const int32_t pixels = p->out_h * out_w;
    int32_t b = n / pixels, oy = (n % pixels) / out_w, ox = (n % pixels) % out_w;
    int32_t first = 0; /* the first channel the tap pointers compute */
#if defined(MCU_DW1D_HAVE_INTERIOR)
    const int32_t full = taps >= 2 ? in_c & ~3 : 0; /* the channels of whole groups (the asm needs a tap pair) */
    mcu_dw1d_state_t g;
    g.send = 0;
    g.back = 4 - 2 * (taps >> 1) * ts;
    g.span4 = (uint32_t)(p->act_max - p->act_min) * 0x01010101u;
    g.lo4 = (uint32_t)(uint8_t)p->act_min * 0x01010101u;
    g.out = output;
    g.wend = p->quant + (full >> 2) * mcu_dw1d_group_words(taps);
#endif
    for (int32_t i = 0; i < total; i++, n += step) {
        const int8_t *img = input + b * image;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        first = 0;
        if (y0 >= 0 && y0 + span_h < in_h && x0 >= 0 && x0 + span_w < in_w) {
            const int8_t *base = img + (y0 * in_w + x0) * in_c;
#if defined(MCU_DW1D_HAVE_INTERIOR)
            if (full > 0) {
                mcu_dw1d_groups(&g, p->quant, base, ts, taps & 1, output + n * out_c);
                if (full == in_c) {
                    goto next;
                }
                first = full;
            }
#endif
            for (int32_t t = 0; t < taps; t++) {
                tap[t] = base + t * ts;
            }
        } else {
            mcu_dw_edge_taps(p, img, y0, x0, tap);
        }
        mcu_dw1d_pixel_taps(p, tap, taps, first, output + n * out_c);
#if defined(MCU_DW1D_HAVE_INTERIOR)
    next:
#endif
        mcu_dw_next_pixel(p, step, &b, &oy, &ox);
    }
}

#endif /* __ARM_FEATURE_DSP */

#if defined(MCU_CONV_MVE)

/* Helium path (p->mve, depth_multiplier 1). Channels in groups of 8: per tap one VLDRB.S16 of the 8 inputs
 * and one of the 8 weights (int8 sign-extended to int16), VMULLB / VMULLT (the even and the odd lanes'
 * products as int32) and two VADD into the group's even (channels c, c+2, c+4, c+6) and odd accumulators;
 * two groups at a time, a last group of fewer than 8 channels predicated (nothing read or written past the
 * channels). bias_f and rq are stored in that even/odd order (mcu_conv.h). The fast requantization per
 * 4 lanes: acc2 = 2 * acc, (VRMULH(acc2, M) + K + [acc2 < 0 ? -1 : 0]) >> e (VSHL by -e), the clamp to
 * [0, span]; the scalar identity SMMLAR(a, M, K) = K + SMMULR(a, M) and VRMULH is SMMULR per lane. Then
 * VMOVNB / VMOVNT put the even and odd results back in channel order, + act_min, one narrowing store. */
typedef struct {
    int32x4_t zero, span;
    int16x8_t lo;
} mcu_dw_mve_k_t;

static inline __attribute__((always_inline)) int32x4_t mcu_dw_mve_rq(int32x4_t acc, const int32_t *q,
                                                                     const mcu_dw_mve_k_t *k)
{
    const int32x4_t a2 = vaddq_s32(acc, acc);
    int32x4_t v = vaddq_s32(vrmulhq_s32(a2, vld1q_s32(q)), vld1q_s32(q + 8));
    v = vaddq_s32(v, vshrq_n_s32(a2, 31));
    v = vshlq_s32(v, vld1q_s32(q + 16));
    return vminq_s32(vmaxq_s32(v, k->zero), k->span);
}

/* Output bytes of the group of 8 channels at c (n of them real) from its even and odd accumulators. */
static inline __attribute__((always_inline)) void mcu_dw_mve_out(const mcu_dw_params_t *p, int32x4_t ev,
                                                                 int32x4_t od, int32_t c, int32_t n, int8_t *out,
                                                                 const mcu_dw_mve_k_t *k, const int fast)
{
    if (fast) {
        const int32_t *q = p->rq + 3 * c; /* {M even, M odd, K even, K odd, -e even, -e odd} */
        int16x8_t r = vmovnbq_s32(vdupq_n_s16(0), mcu_dw_mve_rq(ev, q, k));
        r = vmovntq_s32(r, mcu_dw_mve_rq(od, q + 4, k));
        r = vaddq_s16(r, k->lo);
        if (n == 8) {
            vstrbq_s16(out + c, r);
        } else {
            vstrbq_p_s16(out + c, r, vctp16q((uint32_t)n));
        }
    } else {
        int32_t a[8];
        vst1q_s32(a, ev);
        vst1q_s32(a + 4, od);
        for (int32_t j = 0; j < n; j++) {
            out[c + j] = mcu_dw_output(p, a[(j >> 1) + 4 * (j & 1)], c + j);
        }
    }
}

static inline __attribute__((always_inline)) void mcu_dw_pixel_mve(const mcu_dw_params_t *p,
                                                                   const int8_t *const *tap, int32_t taps,
                                                                   int8_t *out, const mcu_dw_mve_k_t *k,
                                                                   const int fast)
{
    const int32_t ch = p->out_c;
    const int32_t *bias = p->bias;
    int32_t c = 0;
    for (; c + 16 <= ch; c += 16) {
        int32x4_t e0 = vld1q_s32(bias + c), o0 = vld1q_s32(bias + c + 4);
        int32x4_t e1 = vld1q_s32(bias + c + 8), o1 = vld1q_s32(bias + c + 12);
        const int8_t *w = p->filter + c;
        for (int32_t t = 0; t < taps; t++, w += ch) {
            const int8_t *x = tap[t] + c;
            const int16x8_t x0 = vldrbq_s16(x), w0 = vldrbq_s16(w);
            const int16x8_t x1 = vldrbq_s16(x + 8), w1 = vldrbq_s16(w + 8);
            e0 = vaddq_s32(e0, vmullbq_int_s16(x0, w0));
            o0 = vaddq_s32(o0, vmulltq_int_s16(x0, w0));
            e1 = vaddq_s32(e1, vmullbq_int_s16(x1, w1));
            o1 = vaddq_s32(o1, vmulltq_int_s16(x1, w1));
        }
        mcu_dw_mve_out(p, e0, o0, c, 8, out, k, fast);
        mcu_dw_mve_out(p, e1, o1, c + 8, 8, out, k, fast);
    }
    for (; c < ch; c += 8) {
        const int32_t n = ch - c < 8 ? ch - c : 8;
        const mve_pred16_t pr = vctp16q((uint32_t)n);
        int32x4_t e0 = vld1q_s32(bias + c), o0 = vld1q_s32(bias + c + 4);
        const int8_t *w = p->filter + c;
        for (int32_t t = 0; t < taps; t++, w += ch) {
            const int16x8_t x0 = vldrbq_z_s16(tap[t] + c, pr), w0 = vldrbq_z_s16(w, pr);
            e0 = vaddq_s32(e0, vmullbq_int_s16(x0, w0));
            o0 = vaddq_s32(o0, vmulltq_int_s16(x0, w0));
        }
        mcu_dw_mve_out(p, e0, o0, c, n, out, k, fast);
    }
}

/* Helium layout 2 (p->mve == 2, depth_multiplier 1; mcu_conv.h), in assembly (gcc's scheduling of the
 * intrinsics spilled most of the eight Q registers). 16 channels a group; per tap one VLDRB of the 16 inputs
 * and one of the 16 weights, VMULLB / VMULLT.S8 (the even and the odd channels' int16 products, exact),
 * VMOVLB / VMOVLT.S16 to int32 and four VADD into the group's accumulators A0..A3 (q0..q3: channels 4i,
 * 4i + 1, 4i + 2, 4i + 3): 12 instructions per tap for 16 MACs. Requantization exactly TFLM's per lane:
 * VQRDMULH(acc, M) is SaturatingRoundingDoublingHighMul (both round (acc * M + 2^30) / 2^31 down; its
 * saturation needs acc = M = -2^31), then RoundingDivideByPOT(v, e) = (v - [v < 0] + 2^(e-1)) >> e for
 * e = -shift >= 1: VQADD of v >> 31 (saturating: at v = -2^31 the result is the same, the odd numerator
 * -2^31 + 2^(e-1) is never a multiple of 2^e) and VRSHL by the shift. VQMOVNB / VQMOVNT narrow A0, A2 and
 * A1, A3 to int16 (the even and the odd channels), VQADD the output zero point, narrow again into one int8
 * vector in channel order, clamp (each saturating step outside int8 clamps to the same byte), store.
 * A group of fewer than 16 channels is predicated (VCTP): nothing read or written past them. */
#define MCU_DW2_MAC                                                                                  \
    "vmullb.s8 q6, q4, q5\n\t"                                                                       \
    "vmullt.s8 q7, q4, q5\n\t"                                                                       \
    "vmovlb.s16 q4, q6\n\t"                                                                          \
    "vadd.i32 q0, q0, q4\n\t"                                                                        \
    "vmovlt.s16 q4, q6\n\t"                                                                          \
    "vadd.i32 q2, q2, q4\n\t"                                                                        \
    "vmovlb.s16 q4, q7\n\t"                                                                          \
    "vadd.i32 q1, q1, q4\n\t"                                                                        \
    "vmovlt.s16 q4, q7\n\t"                                                                          \
    "vadd.i32 q3, q3, q4\n\t"
#define MCU_DW2_TAP9(T) "vldrb.8 q4, [%[" T "]], #16\n\t" "vldrb.8 q5, [%[q]], #16\n\t" MCU_DW2_MAC
#define MCU_DW2_BIAS                                                                                 \
    "vldrw.32 q0, [%[q]], #16\n\t"                                                                   \
    "vldrw.32 q1, [%[q]], #16\n\t"                                                                   \
    "vldrw.32 q2, [%[q]], #16\n\t"                                                                   \
    "vldrw.32 q3, [%[q]], #16\n\t"
#define MCU_DW2_RQ(A)                                                                                \
    "vshr.s32 q5, " A ", #31\n\t"                                                                    \
    "vqadd.s32 " A ", " A ", q5\n\t"                                                                 \
    "vldrw.32 q4, [%[q]], #16\n\t"                                                                   \
    "vrshl.s32 " A ", " A ", q4\n\t"
#define MCU_DW2_REQUANT                                                                              \
    "vldrw.32 q4, [%[q]], #16\n\t"                                                                   \
    "vqrdmulh.s32 q0, q0, q4\n\t"                                                                    \
    "vldrw.32 q4, [%[q]], #16\n\t"                                                                   \
    "vqrdmulh.s32 q1, q1, q4\n\t"                                                                    \
    "vldrw.32 q4, [%[q]], #16\n\t"                                                                   \
    "vqrdmulh.s32 q2, q2, q4\n\t"                                                                    \
    "vldrw.32 q4, [%[q]], #16\n\t"                                                                   \
    "vqrdmulh.s32 q3, q3, q4\n\t"                                                                    \
    MCU_DW2_RQ("q0") MCU_DW2_RQ("q1") MCU_DW2_RQ("q2") MCU_DW2_RQ("q3")                              \
    "vqmovnb.s32 q4, q0\n\t"                                                                         \
    "vqmovnt.s32 q4, q2\n\t"                                                                         \
    "vqmovnb.s32 q5, q1\n\t"                                                                         \
    "vqmovnt.s32 q5, q3\n\t"                                                                         \
    "vldrw.32 q0, [%[q]], #16\n\t" /* act_min x16 */                                                 \
    "vldrw.32 q1, [%[q]], #16\n\t" /* act_max x16 */                                                 \
    "vldrw.32 q2, [%[q]], #16\n\t" /* output zero point x8 (int16) */                                \
    "vqadd.s16 q4, q4, q2\n\t"                                                                       \
    "vqadd.s16 q5, q5, q2\n\t"                                                                       \
    "vqmovnb.s16 q2, q4\n\t"                                                                         \
    "vqmovnt.s16 q2, q5\n\t"                                                                         \
    "vmax.s8 q2, q2, q0\n\t"                                                                         \
    "vmin.s8 q2, q2, q1\n\t"
#define MCU_DW2_CLOBBERS "memory", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10",  \
                         "d11", "d12", "d13", "d14", "d15"

/* The three taps of one filter row at r, r + d, r + d2 (r advances by 16). */
#define MCU_DW2_ROW(R)                                                                               \
    "add %[x], %[" R "], %[d]\n\t"                                                                   \
    "vldrb.8 q4, [%[" R "]], #16\n\t"                                                                \
    "vldrb.8 q5, [%[q]], #16\n\t" MCU_DW2_MAC                                                        \
    "vldrb.8 q4, [%[x]]\n\t"                                                                         \
    "add %[x], %[x], %[d]\n\t"                                                                       \
    "vldrb.8 q5, [%[q]], #16\n\t" MCU_DW2_MAC                                                        \
    "vldrb.8 q4, [%[x]]\n\t"                                                                         \
    "vldrb.8 q5, [%[q]], #16\n\t" MCU_DW2_MAC

/* Every full group (groups >= 1) of a 3x3 pixel whose window lies inside the image: filter row k starts at
   base + k * rs, its taps d apart. 148 instructions a group of 16 channels (144 MACs), 2 more per row. */
static inline __attribute__((always_inline)) void mcu_dw2_rows9(const int8_t *base, int32_t rs, int32_t d,
                                                                const int32_t *q, int8_t *o, int32_t groups)
{
    const int8_t *r0 = base, *r1 = base + rs, *r2 = base + 2 * rs;
    const int8_t *x;
    __asm__ volatile("1:\n\t" MCU_DW2_BIAS MCU_DW2_ROW("r0") MCU_DW2_ROW("r1") MCU_DW2_ROW("r2")
                     MCU_DW2_REQUANT "vstrb.8 q2, [%[o]], #16\n\t"
                     "subs %[g], %[g], #1\n\t"
                     "bne 1b\n\t"
                     : [r0] "+r"(r0), [r1] "+r"(r1), [r2] "+r"(r2), [q] "+r"(q), [o] "+r"(o), [g] "+r"(groups),
                       [x] "=&r"(x)
                     : [d] "r"(d)
                     : MCU_DW2_CLOBBERS, "cc");
}

/* The three taps of one filter row, the inputs predicated (VPR set by the caller's VCTP). */
#define MCU_DW2_ROW_P(R)                                                                             \
    "add %[x], %[" R "], %[d]\n\t"                                                                   \
    "vpst\n\t"                                                                                       \
    "vldrbt.8 q4, [%[" R "]]\n\t"                                                                    \
    "vldrb.8 q5, [%[q]], #16\n\t" MCU_DW2_MAC                                                        \
    "vpst\n\t"                                                                                       \
    "vldrbt.8 q4, [%[x]]\n\t"                                                                        \
    "add %[x], %[x], %[d]\n\t"                                                                       \
    "vldrb.8 q5, [%[q]], #16\n\t" MCU_DW2_MAC                                                        \
    "vpst\n\t"                                                                                       \
    "vldrbt.8 q4, [%[x]]\n\t"                                                                        \
    "vldrb.8 q5, [%[q]], #16\n\t" MCU_DW2_MAC

/* The last group (n < 16 channels) of a 3x3 pixel inside the image, predicated: nothing read or written past
   its channels. */
static inline __attribute__((always_inline)) void mcu_dw2_rows9_tail(const int8_t *base, int32_t rs, int32_t d,
                                                                     const int32_t *q, int8_t *o, int32_t n)
{
    const int8_t *r0 = base, *r1 = base + rs, *r2 = base + 2 * rs;
    const int8_t *x;
    __asm__ volatile("vctp.8 %[n]\n\t" MCU_DW2_BIAS MCU_DW2_ROW_P("r0") MCU_DW2_ROW_P("r1") MCU_DW2_ROW_P("r2")
                     MCU_DW2_REQUANT
                     "vctp.8 %[n]\n\t"
                     "vpst\n\t"
                     "vstrbt.8 q2, [%[o]]\n\t"
                     : [q] "+r"(q), [x] "=&r"(x)
                     : [r0] "r"(r0), [r1] "r"(r1), [r2] "r"(r2), [d] "r"(d), [n] "r"(n), [o] "r"(o)
                     : MCU_DW2_CLOBBERS, "cc");
}

/* Any group (any tap count, n >= 1 real channels, predicated): tap[t] + c is tap t's input. */
static inline __attribute__((always_inline)) void mcu_dw2_group(const int8_t *const *tap, int32_t taps, int32_t c,
                                                                int32_t n, const int32_t *q, int8_t *out)
{
    const int8_t *const *a = tap;
    const int8_t *x;
    int32_t left = taps;
    __asm__ volatile("vctp.8 %[n]\n\t" MCU_DW2_BIAS
                     "1:\n\t"
                     "ldr %[x], [%[a]], #4\n\t"
                     "add %[x], %[x], %[c]\n\t"
                     "vpst\n\t"
                     "vldrbt.8 q4, [%[x]]\n\t"
                     "vldrb.8 q5, [%[q]], #16\n\t" MCU_DW2_MAC
                     "subs %[left], %[left], #1\n\t"
                     "bne 1b\n\t" MCU_DW2_REQUANT
                     "vctp.8 %[n]\n\t"
                     "vpst\n\t"
                     "vstrbt.8 q2, [%[o]]\n\t"
                     : [a] "+r"(a), [x] "=&r"(x), [left] "+r"(left), [q] "+r"(q)
                     : [c] "r"(c), [n] "r"(n), [o] "r"(out)
                     : MCU_DW2_CLOBBERS, "cc");
}

/* The groups from channel c0 (a multiple of 16) on, through the tap pointers. */
static inline __attribute__((always_inline)) void mcu_dw2_pixel(const mcu_dw_params_t *p, const int8_t *const *tap,
                                                                int32_t taps, int8_t *out, int32_t c0)
{
    const int32_t ch = p->out_c;
    const int32_t *q = p->weights + (c0 >> 4) * (60 + 4 * taps);
    int32_t c = c0;
    for (; c < ch; c += 16, q += 60 + 4 * taps) {
        mcu_dw2_group(tap, taps, c, ch - c, q, out + c);
    }
}

/* Layout 2's pixels in the order of the contract: a 3x3 window inside the image through mcu_dw2_rows9 (its
   last partial group through mcu_dw2_rows9_tail), every other pixel through the tap pointers. */
static __attribute__((noinline)) void mcu_dw2_run(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, out_w = p->out_w, out_h = p->out_h;
    const int32_t out_c = p->out_c;
    const int32_t taps = p->k_h * p->k_w;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    const int32_t rs = p->dil_h * in_w * in_c, d = p->dil_w * in_c;
    const int32_t groups = out_c >> 4;
    const int32_t sh = p->stride_h, sw = p->stride_w;
    int32_t off[MCU_DW_MVE_MAX_TAPS];
    const int8_t *tap[MCU_DW_MVE_MAX_TAPS];
    for (int32_t ky = 0, t = 0; ky < p->k_h; ky++) {
        for (int32_t kx = 0; kx < p->k_w; kx++, t++) {
            off[t] = ky * rs + kx * d;
        }
    }
    const int32_t step = p->reverse ? -1 : 1;
    for (int32_t i = 0; i < p->batches; i++) {
        const int32_t b = p->reverse ? p->batches - 1 - i : i;
        const int8_t *img = input + b * in_h * in_w * in_c;
        for (int32_t j = 0; j < out_h; j++) {
            const int32_t oy = p->reverse ? out_h - 1 - j : j;
            const int32_t y0 = oy * sh - p->pad_top;
            const int row_in = y0 >= 0 && y0 + span_h < in_h;
            int32_t ox = p->reverse ? out_w - 1 : 0;
            int8_t *out = output + ((b * out_h + oy) * out_w + ox) * out_c;
            for (int32_t k = 0; k < out_w; k++, ox += step, out += step * out_c) {
                const int32_t x0 = ox * sw - p->pad_left;
                if (taps == 9 && row_in && x0 >= 0 && x0 + span_w < in_w) {
                    const int8_t *base = img + (y0 * in_w + x0) * in_c;
                    if (groups > 0) {
                        mcu_dw2_rows9(base, rs, d, p->weights, out, groups);
                    }
                    if (out_c & 15) {
                        mcu_dw2_rows9_tail(base + 16 * groups, rs, d, p->weights + 96 * groups, out + 16 * groups,
                                           out_c & 15);
                    }
                    continue;
                }
                if (row_in && x0 >= 0 && x0 + span_w < in_w) {
                    const int8_t *base = img + (y0 * in_w + x0) * in_c;
                    for (int32_t t = 0; t < taps; t++) {
                        tap[t] = base + off[t];
                    }
                    mcu_dw2_pixel(p, tap, taps, out, 0);
                    continue;
                }
                mcu_dw_edge_taps(p, img, y0, x0, tap);
                mcu_dw2_pixel(p, tap, taps, out, 0);
            }
        }
    }
}

/* Helium layout 3 (p->mve == 3): one input channel, depth multiplier dm (output channel j = input channel 0's
 * j-th), a filter at most 8 wide, no horizontal dilation (micro_speech's 10x8 filter, multiplier 8). A filter
 * row's inputs are contiguous: one VLDRB.S16 of the row's (at most 8) int16 lanes, + the input offset (x + io
 * fits int16), and per output channel one VLDRB.S16 of its 8 weights of that row and one VMLADAVA.S16 (8 MACs),
 * 4 channels at a time. The window is clipped to the image as TFLM's reference does (a tap outside the image
 * adds nothing: rows outside are skipped, columns outside are predicated off, so nothing outside the input or
 * past a weight row is read), on TFLM's unfolded bias; then TFLM's requantization (mcu_requantize).
 * `weights`: per output channel, k_h rows of 8 int8 (the row's k_w weights, then zeros); `bias` TFLM's bias
 * (or zeros); `multiplier`, `shift` TFLM's. */
static __attribute__((noinline)) void mcu_dw3_run(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, out_w = p->out_w, out_h = p->out_h, out_c = p->out_c;
    const int32_t k_h = p->k_h, k_w = p->k_w, wrow = 8 * k_h;
    const int16_t io = (int16_t)-p->pad[0];
    const int8_t *wts = (const int8_t *)(const void *)p->weights;
    const int32_t step = p->reverse ? -1 : 1;
    for (int32_t i = 0; i < p->batches; i++) {
        const int32_t b = p->reverse ? p->batches - 1 - i : i;
        const int8_t *img = input + b * in_h * in_w;
        for (int32_t jy = 0; jy < out_h; jy++) {
            const int32_t oy = p->reverse ? out_h - 1 - jy : jy;
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            int32_t ox = p->reverse ? out_w - 1 : 0;
            int8_t *out = output + ((b * out_h + oy) * out_w + ox) * out_c;
            for (int32_t k = 0; k < out_w; k++, ox += step, out += step * out_c) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t xs = x0 < 0 ? -x0 : 0;
                const int32_t xe = in_w - x0 < k_w ? in_w - x0 : k_w;
                const int32_t n = xe - xs;
                const mve_pred16_t pr = vctp16q((uint32_t)(n > 0 ? n : 0));
                for (int32_t c = 0; c < out_c; c += 4) {
                    const int32_t m = out_c - c < 4 ? out_c - c : 4;
                    int32_t a0 = p->bias[c], a1 = 0, a2 = 0, a3 = 0;
                    const int8_t *w0 = wts + c * wrow + xs;
                    const int8_t *w1 = m > 1 ? w0 + wrow : w0, *w2 = m > 2 ? w0 + 2 * wrow : w0;
                    const int8_t *w3 = m > 3 ? w0 + 3 * wrow : w0;
                    for (int32_t ky = 0; ky < k_h && n > 0; ky++) {
                        const int32_t y = y0 + ky * p->dil_h;
                        if (y < 0 || y >= in_h) {
                            continue;
                        }
                        const int16x8_t x = vaddq_n_s16(vldrbq_z_s16(img + y * in_w + x0 + xs, pr), io);
                        a0 = vmladavaq_s16(a0, x, vldrbq_z_s16(w0 + 8 * ky, pr));
                        a1 = vmladavaq_s16(a1, x, vldrbq_z_s16(w1 + 8 * ky, pr));
                        a2 = vmladavaq_s16(a2, x, vldrbq_z_s16(w2 + 8 * ky, pr));
                        a3 = vmladavaq_s16(a3, x, vldrbq_z_s16(w3 + 8 * ky, pr));
                    }
                    const int32_t acc[4] = {a0, a1, a2, a3};
                    for (int32_t j = 0; j < m; j++) {
                        const int32_t sum = (int32_t)((uint32_t)acc[j] + (j > 0 ? (uint32_t)p->bias[c + j] : 0u));
                        const int32_t v = mcu_requantize(sum, p->multiplier[c + j], p->shift[c + j]) + p->output_offset;
                        out[c + j] = (int8_t)MCU_CLAMP(v, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

/* Helium layout 4 (p->mve == 4): one input channel, depth multiplier >= 2 (person_detect's 3x3 filter with
 * multiplier 8 and stride 2). The output channels are 4 lanes of int32: per tap the input value as a scalar
 * and one VLDRB.S32 of the tap's 4 weights (the model's 1HWO filter: a tap's channels are contiguous), VMLA.
 * A tap outside the image reads the input zero point (pad[0]), on the folded bias, as layouts 1 and 2 do.
 * TFLM's requantization per lane, any shift: x * 2^left (VSHL), VQRDMULH (SaturatingRoundingDoublingHighMul),
 * then RoundingDivideByPOT by e = right shift: VRSHL by -e of x - [x < 0] (the [x < 0] masked off when e = 0;
 * |x| < 2^31 - 1 after VQRDMULH by M < 2^31 unless x = -2^31, where both give the same result), + the output
 * zero point, the clamp, one (predicated for a last group of fewer than 4) narrowing store.
 * `bias`: bias_f per channel (padded to a multiple of 4); `rq`: per group of 4 channels {M[4], left[4],
 * mask[4] (-1 when e >= 1), -e[4]}. */
static __attribute__((noinline)) void mcu_dw4_pixel(const mcu_dw_params_t *p, const int8_t *const *tap, int32_t taps,
                                                    int8_t *out)
{
    const int32_t out_c = p->out_c;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    if (out_c == 8) { /* person_detect's: both groups in one pass over the taps, nothing predicated */
        int32x4_t a0 = vld1q_s32(p->bias), a1 = vld1q_s32(p->bias + 4);
        const int8_t *w = p->filter;
        for (int32_t t = 0; t < taps; t++, w += 8) {
            const int32_t x = *tap[t];
            a0 = vmlaq_n_s32(a0, vldrbq_s32(w), x);
            a1 = vmlaq_n_s32(a1, vldrbq_s32(w + 4), x);
        }
        const int32_t *q = p->rq;
        for (int32_t g = 0; g < 2; g++, q += 16) {
            const int32x4_t acc = g == 0 ? a0 : a1;
            int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, vld1q_s32(q + 4)), vld1q_s32(q));
            v = vaddq_s32(v, vandq_s32(vshrq_n_s32(v, 31), vld1q_s32(q + 8)));
            v = vaddq_n_s32(vrshlq_s32(v, vld1q_s32(q + 12)), p->output_offset);
            vstrbq_s32(out + 4 * g, vminq_s32(vmaxq_s32(v, lo), hi));
        }
        return;
    }
    int32_t x[MCU_DW_MVE_MAX_TAPS];
    for (int32_t t = 0; t < taps; t++) {
        x[t] = *tap[t];
    }
    for (int32_t c = 0; c < out_c; c += 4) {
        const mve_pred16_t pr = vctp32q((uint32_t)(out_c - c));
        int32x4_t acc = vld1q_s32(p->bias + c);
        const int8_t *w = p->filter + c;
        for (int32_t t = 0; t < taps; t++, w += out_c) {
            acc = vmlaq_n_s32(acc, vldrbq_z_s32(w, pr), x[t]);
        }
        const int32_t *q = p->rq + 4 * c;
        int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, vld1q_s32(q + 4)), vld1q_s32(q));
        v = vaddq_s32(v, vandq_s32(vshrq_n_s32(v, 31), vld1q_s32(q + 8)));
        v = vaddq_n_s32(vrshlq_s32(v, vld1q_s32(q + 12)), p->output_offset);
        vstrbq_p_s32(out + c, vminq_s32(vmaxq_s32(v, lo), hi), pr);
    }
}

static __attribute__((noinline)) void mcu_dw4_run(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, out_w = p->out_w, out_h = p->out_h, out_c = p->out_c;
    const int32_t taps = p->k_h * p->k_w;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    int32_t off[MCU_DW_MVE_MAX_TAPS];
    const int8_t *tap[MCU_DW_MVE_MAX_TAPS];
    for (int32_t ky = 0, t = 0; ky < p->k_h; ky++) {
        for (int32_t kx = 0; kx < p->k_w; kx++, t++) {
            off[t] = ky * p->dil_h * in_w + kx * p->dil_w;
        }
    }
    const int32_t step = p->reverse ? -1 : 1;
    for (int32_t i = 0; i < p->batches; i++) {
        const int32_t b = p->reverse ? p->batches - 1 - i : i;
        const int8_t *img = input + b * in_h * in_w;
        for (int32_t jy = 0; jy < out_h; jy++) {
            const int32_t oy = p->reverse ? out_h - 1 - jy : jy;
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int row_in = y0 >= 0 && y0 + span_h < in_h;
            int32_t ox = p->reverse ? out_w - 1 : 0;
            int8_t *out = output + ((b * out_h + oy) * out_w + ox) * out_c;
            for (int32_t k = 0; k < out_w; k++, ox += step, out += step * out_c) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                if (row_in && x0 >= 0 && x0 + span_w < in_w) {
                    const int8_t *base = img + y0 * in_w + x0;
                    for (int32_t t = 0; t < taps; t++) {
                        tap[t] = base + off[t];
                    }
                } else {
                    for (int32_t ky = 0, t = 0; ky < p->k_h; ky++) {
                        const int32_t y = y0 + ky * p->dil_h;
                        for (int32_t kx = 0; kx < p->k_w; kx++, t++) {
                            const int32_t xx = x0 + kx * p->dil_w;
                            const int inside = y >= 0 && y < in_h && xx >= 0 && xx < in_w;
                            tap[t] = inside ? img + y * in_w + xx : p->pad;
                        }
                    }
                }
                mcu_dw4_pixel(p, tap, taps, out);
            }
        }
    }
}

/* Every output pixel, in the order of the contract, through mcu_dw_pixel_mve. */
static void mcu_dw_run_mve(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, out_w = p->out_w, out_c = p->out_c;
    const int32_t taps = p->k_h * p->k_w;
    const int32_t total = p->batches * p->out_h * out_w;
    const int32_t image = in_h * in_w * in_c;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    int32_t off[MCU_DW_MVE_MAX_TAPS];
    const int8_t *tap[MCU_DW_MVE_MAX_TAPS];
    mcu_dw_mve_k_t k;
    k.zero = vdupq_n_s32(0);
    k.span = vdupq_n_s32(p->act_max - p->act_min);
    k.lo = vdupq_n_s16((int16_t)p->act_min);
    for (int32_t ky = 0, t = 0; ky < p->k_h; ky++) {
        for (int32_t kx = 0; kx < p->k_w; kx++, t++) {
            off[t] = (ky * p->dil_h * in_w + kx * p->dil_w) * in_c;
        }
    }
    const int32_t step = p->reverse ? -1 : 1;
    int32_t n = p->reverse ? total - 1 : 0;
    const int32_t pixels = p->out_h * out_w;
    int32_t b = n / pixels, oy = (n % pixels) / out_w, ox = (n % pixels) % out_w;
    for (int32_t i = 0; i < total; i++, n += step) {
        const int8_t *img = input + b * image;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        if (y0 >= 0 && y0 + span_h < in_h && x0 >= 0 && x0 + span_w < in_w) {
            const int8_t *base = img + (y0 * in_w + x0) * in_c;
            for (int32_t t = 0; t < taps; t++) {
                tap[t] = base + off[t];
            }
        } else {
            mcu_dw_edge_taps(p, img, y0, x0, tap);
        }
        if (p->fast) {
            mcu_dw_pixel_mve(p, tap, taps, output + n * out_c, &k, 1);
        } else {
            mcu_dw_pixel_mve(p, tap, taps, output + n * out_c, &k, 0);
        }
        mcu_dw_next_pixel(p, step, &b, &oy, &ox);
    }
}

#endif /* MCU_CONV_MVE */

void mcu_depthwise_conv_s8(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
#if defined(MCU_CONV_MVE)
    if (p->mve == 2) {
        mcu_dw2_run(p, input, output);
        return;
    }
    if (p->mve == 3) {
        mcu_dw3_run(p, input, output);
        return;
    }
    if (p->mve == 4) {
        mcu_dw4_run(p, input, output);
        return;
    }
    if (p->mve) {
        mcu_dw_run_mve(p, input, output);
        return;
    }
#endif
#if defined(__ARM_FEATURE_DSP)
    if (p->quant != NULL) {
        mcu_dw1d_run(p, input, output);
        return;
    }
    if (p->weights != NULL) {
        mcu_dw_run_dsp(p, input, output);
        return;
    }
#endif
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t total = p->batches * pixels;
    const int32_t image = p->in_h * p->in_w * p->in_c;
    for (int32_t i = 0; i < total; i++) {
        const int32_t n = p->reverse ? total - 1 - i : i;
        const int32_t r = n % pixels;
        mcu_dw_pixel(p, input + (n / pixels) * image, r / p->out_w, r % p->out_w, output + n * p->out_c);
    }
}
