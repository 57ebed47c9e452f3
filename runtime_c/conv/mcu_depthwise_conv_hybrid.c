/* mcu_depthwise_conv_hybrid.c - DEPTHWISE_CONV_2D, hybrid: float32 activations, int8 weights, the input
 * image quantized at run time (see mcu_conv.h and mcu_hybrid.h). */
#include <stddef.h>

#include "mcu_conv.h"
#include "mcu_hybrid.h"

#if defined(__ARM_FEATURE_DSP)
#include <float.h>
#include <string.h>

#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__thumb2__) && defined(__GNUC__) && defined(__OPTIMIZE__)
#define MCU_DWH_FPU_EPILOGUE 1
#define MCU_DWH_LO(I) "vcmp.f32 s" I ", %[lo]\n\tvmrs APSR_nzcv, fpscr\n\tit mi\n\tvmovmi.f32 s" I ", %[lo]\n\t"
#define MCU_DWH_HI(I) "vcmp.f32 s" I ", %[hi]\n\tvmrs APSR_nzcv, fpscr\n\tit gt\n\tvmovgt.f32 s" I ", %[hi]\n\t"
/* o[c] = clamp(bias[c] + (float)dots[c] * comb[c]) for out_c % 4 == 0, 4 at a time (VMLA: the product
 * rounded before the add, as LiteRT's separate multiply and add); mode bit 0: clamp, bit 1: the high end is
 * FLT_MAX (skipped for 4 finite values) */
static void mcu_dw_hybrid_out_fpu(const int32_t *d, const float *comb, const float *b, int32_t oc, uint32_t mode,
                                  float lo, float hi, float *o)
{
    uint32_t n = (uint32_t)oc / 4u;
    __asm__ volatile("1:\n\t"
                     "vldmia %[d]!, {s0-s3}\n\t"
                     "vcvt.f32.s32 s0, s0\n\t"
                     "vcvt.f32.s32 s1, s1\n\t"
                     "vcvt.f32.s32 s2, s2\n\t"
                     "vcvt.f32.s32 s3, s3\n\t"
                     "vldmia %[c]!, {s4-s7}\n\t"
                     "vldmia %[b]!, {s8-s11}\n\t"
                     "vmla.f32 s8, s0, s4\n\t"
                     "vmla.f32 s9, s1, s5\n\t"
                     "vmla.f32 s10, s2, s6\n\t"
                     "vmla.f32 s11, s3, s7\n\t"
                     "tst %[m], #1\n\t"
                     "beq 3f\n\t" MCU_DWH_LO("8") MCU_DWH_LO("9") MCU_DWH_LO("10") MCU_DWH_LO("11")
                     "tst %[m], #2\n\t"
                     "beq 2f\n\t"
                     "vadd.f32 s12, s8, s9\n\t"
                     "vadd.f32 s12, s12, s10\n\t"
                     "vadd.f32 s12, s12, s11\n\t"
                     "vsub.f32 s12, s12, s12\n\t"
                     "vcmp.f32 s12, #0\n\t"
                     "vmrs APSR_nzcv, fpscr\n\t"
                     "beq 3f\n"
                     "2:\n\t" MCU_DWH_HI("8") MCU_DWH_HI("9") MCU_DWH_HI("10") MCU_DWH_HI("11")
                     "3:\n\t"
                     "vstmia %[o]!, {s8-s11}\n\t"
                     "subs %[n], %[n], #1\n\t"
                     "bne 1b\n\t"
                     : [d] "+r"(d), [c] "+r"(comb), [b] "+r"(b), [o] "+r"(o), [n] "+r"(n)
                     : [m] "r"(mode), [lo] "t"(lo), [hi] "t"(hi)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "memory",
                       "cc");
}
#endif

/* The DSP path (p->dw_pairs): per output pixel the taps' input pointers (outside the image: a row of zero
 * points), then per 4 channels SXTB16 of the input word and SMLABB / SMLATT with the int16 weight pairs;
 * each sum starts at -zp x (the channel's sum over all taps), so that the outside taps cancel. */
/* one tap of 4 channels: the input word, SXTB16 into (c, c+2), (c+1, c+3), SMLABB / SMLATT */
#define MCU_DW_HYB_TAP(T)                                                                                    \
    do {                                                                                                  \
        uint32_t v;                                                                                       \
        memcpy(&v, tp[T] + c, sizeof v);                                                                  \
        const int32_t e = (int32_t)__sxtb16(v), d = mcu_hybrid_sxtb16_ror8(v);                            \
        const int32_t *wt = w + (T) * half;                                                               \
        a0 = __smlabb(e, wt[0], a0);                                                                      \
        a2 = __smlatt(e, wt[0], a2);                                                                      \
        a1 = __smlabb(d, wt[1], a1);                                                                      \
        a3 = __smlatt(d, wt[1], a3);                                                                      \
    } while (0)

/* The sums of one output pixel, 4 channels at a time (taps = 9: unrolled) */
static inline __attribute__((always_inline)) void mcu_dw_hybrid_sums(const int8_t *const *tp, const int32_t *pairs,
                                                                     const int32_t *start, int32_t oc, int32_t taps,
                                                                     int32_t *dots)
{
    const int32_t half = oc / 2;
    for (int32_t c = 0; c < oc; c += 4) {
        int32_t a0 = start[c], a1 = start[c + 1], a2 = start[c + 2], a3 = start[c + 3];
        const int32_t *w = pairs + c / 2;
        if (taps == 9) {
            MCU_DW_HYB_TAP(0);
            MCU_DW_HYB_TAP(1);
            MCU_DW_HYB_TAP(2);
            MCU_DW_HYB_TAP(3);
            MCU_DW_HYB_TAP(4);
            MCU_DW_HYB_TAP(5);
            MCU_DW_HYB_TAP(6);
            MCU_DW_HYB_TAP(7);
            MCU_DW_HYB_TAP(8);
        } else {
            for (int32_t t = 0; t < taps; t++) {
                MCU_DW_HYB_TAP(t);
            }
        }
        dots[c] = a0;
        dots[c + 1] = a1;
        dots[c + 2] = a2;
        dots[c + 3] = a3;
    }
}

/* The DSP path (p->dw_pairs): per output pixel the taps' input pointers (outside the image: a row of zero
 * points), then per 4 channels SXTB16 of the input word and SMLABB / SMLATT with the int16 weight pairs;
 * each sum starts at -zp x (the channel's sum over all taps), so that the outside taps cancel. Then
 * LiteRT's (float)acc * (w_scale * in_scale) + bias (the product of the scales taken once per image: the
 * same float) and the activation. */
static void mcu_dw_hybrid_dsp(const mcu_conv_hybrid_params_t *p, const int8_t *q, int32_t zp, float in_scale,
                              float *out, int8_t *zrow, int32_t *start)
{
    const int32_t ih = p->in_h, iw = p->in_w, ic = p->in_c, oh = p->out_h, ow = p->out_w, oc = p->out_c;
    const int32_t kh = p->k_h, kw = p->k_w, taps = kh * kw;
    int32_t *dots = start + oc;
    float *comb = (float *)(void *)(dots + oc);
    const int8_t *tp[MCU_DW_HYBRID_MAX_TAPS];
    memset(zrow, (int8_t)zp, (size_t)ic);
    for (int32_t c = 0; c < oc; c++) {
        start[c] = (int32_t)(0u - (uint32_t)p->row_sums[c] * (uint32_t)zp);
        comb[c] = p->scale[c] * in_scale;
    }
    const float lo = p->act_min, hi = p->act_max;
    const int32_t relu_like = p->clamp && hi == FLT_MAX;
    for (int32_t y = 0; y < oh; y++) {
        const int32_t y0 = y * p->stride_h - p->pad_top;
        for (int32_t xo = 0; xo < ow; xo++) {
            const int32_t x0 = xo * p->stride_w - p->pad_left;
            for (int32_t fy = 0, t = 0; fy < kh; fy++) {
                const int32_t yy = y0 + fy * p->dil_h;
                for (int32_t fx = 0; fx < kw; fx++, t++) {
                    const int32_t xx = x0 + fx * p->dil_w;
                    tp[t] = yy >= 0 && yy < ih && xx >= 0 && xx < iw ? q + (size_t)(yy * iw + xx) * (size_t)ic : zrow;
                }
            }
            if (taps == 9) {
                mcu_dw_hybrid_sums(tp, p->dw_pairs, start, oc, 9, dots);
            } else {
                mcu_dw_hybrid_sums(tp, p->dw_pairs, start, oc, taps, dots);
            }
            float *o = out + (size_t)(y * ow + xo) * (size_t)oc;
            const float *bias = p->bias;
#if defined(MCU_DWH_FPU_EPILOGUE)
            if (bias) {
                mcu_dw_hybrid_out_fpu(dots, comb, bias, oc, p->clamp ? 1u | (relu_like ? 2u : 0u) : 0u, lo, hi, o);
                continue;
            }
#endif
            if (!p->clamp) {
                for (int32_t c = 0; c < oc; c++) {
                    o[c] = (float)dots[c] * comb[c] + bias[c];
                }
            } else if (relu_like) { /* the high clamp only catches +infinity: the sum shows there is none */
                float sum = 0.f;
                for (int32_t c = 0; c < oc; c++) {
                    const float v = (float)dots[c] * comb[c] + bias[c];
                    sum += v;
                    o[c] = (v < lo) ? lo : v;
                }
                if (!(sum - sum == 0.f)) {
                    for (int32_t c = 0; c < oc; c++) {
                        o[c] = mcu_hybrid_activate(o[c], 1, lo, hi);
                    }
                }
            } else {
                for (int32_t c = 0; c < oc; c++) {
                    float v = (float)dots[c] * comb[c] + bias[c];
                    v = (v < lo) ? lo : v;
                    o[c] = (hi < v) ? hi : v;
                }
            }
        }
    }
}
#endif

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
#if defined(__ARM_FEATURE_DSP)
        if (p->dw_pairs) {
            int8_t *zrow = scratch + 4 * ((image + 3) / 4);
            mcu_dw_hybrid_dsp(p, scratch, zp, in_scale, out, zrow, (int32_t *)(void *)(zrow + 4 * ((ic + 3) / 4)));
            continue;
        }
#endif
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
