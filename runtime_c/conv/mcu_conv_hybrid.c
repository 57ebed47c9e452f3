/* mcu_conv_hybrid.c - CONV_2D, hybrid: float32 activations, int8 weights, the input image quantized at run
 * time (see mcu_conv.h for the layouts and mcu_hybrid.h for the quantization and the float epilogue).
 *
 * Output pixels go in pairs: both windows (int8, taps outside the image at the zero point) are widened to
 * int16 pairs once, then every channel pair's 2 x 2 block of dot products runs over the groups of 4 window
 * values. With the DSP extension a group costs, for its 16 MACs, LDM of the four pixel words, two LDRD of
 * the int16 weight pairs (w16) or two LDR + four SXTB16 of the int8 weights, and eight SMLAD: 11 (15)
 * instructions. The int32 sums (minus zero point x row sum, set as their start) go to LiteRT's float
 * epilogue (mcu_hybrid_outputs). Plain C (host, M0, M3) runs the same layouts with scalar products. */
#include <float.h>
#include <stddef.h>
#include <string.h>

#include "mcu_conv.h"
#include "mcu_hybrid.h"

#define MCU_CH_ALIGN4(n) (4 * (((n) + 3) / 4))

/* K window values of output pixel (y, xo) into dst (taps outside the image: fill) */
static void mcu_conv_hybrid_gather(const mcu_conv_hybrid_params_t *p, const int8_t *q, int32_t y, int32_t xo,
                                   int8_t fill, int8_t *dst)
{
    const int32_t ih = p->in_h, iw = p->in_w, ic = p->in_c;
    const int32_t y0 = y * p->stride_h - p->pad_top, x0 = xo * p->stride_w - p->pad_left;
    const int32_t row_inside = x0 >= 0 && x0 + (p->k_w - 1) * p->dil_w < iw;
    for (int32_t fy = 0; fy < p->k_h; fy++) {
        const int32_t yy = y0 + fy * p->dil_h;
        if (ic == 1 && row_inside && yy >= 0 && yy < ih) { /* a whole filter row inside: one byte a tap */
            const int8_t *src = q + yy * iw + x0;
            for (int32_t fx = 0; fx < p->k_w; fx++) {
                dst[fx] = src[fx * p->dil_w];
            }
            dst += p->k_w;
            continue;
        }
        for (int32_t fx = 0; fx < p->k_w; fx++, dst += ic) {
            const int32_t xx = x0 + fx * p->dil_w;
            const int32_t inside = yy >= 0 && yy < ih && xx >= 0 && xx < iw;
            if (ic == 1) { /* a call per tap would cost more than the tap */
                dst[0] = inside ? q[yy * iw + xx] : fill;
            } else if (!inside) {
                memset(dst, fill, (size_t)ic);
            } else {
                memcpy(dst, q + (size_t)(yy * iw + xx) * (size_t)ic, (size_t)ic);
            }
        }
    }
}

/* groups x 4 int8 of r (4-byte aligned) as int16 pairs (x0, x2), (x1, x3) into every fourth word pair of
 * slot: group g at words 4 g, 4 g + 1 */
static void mcu_conv_hybrid_widen(const int8_t *r, int32_t groups, int32_t *slot)
{
#if defined(__ARM_FEATURE_DSP)
    const uint32_t *src = (const uint32_t *)(const void *)r;
    for (int32_t g = 0; g < groups; g++, slot += 4) {
        const uint32_t v = src[g];
        slot[0] = __sxtb16(v);
        slot[1] = mcu_hybrid_sxtb16_ror8(v);
    }
#else
    for (int32_t g = 0; g < groups; g++, slot += 4, r += 4) {
        int16_t h[4] = {r[0], r[2], r[1], r[3]};
        memcpy(slot, h, sizeof h);
    }
#endif
}

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__) && defined(__OPTIMIZE__)
/* one group: r4, r5 pixel 0's pair words, r6, r8 pixel 1's; channel A's weight pairs into r9, r10, then B's */
#define MCU_CH_PRODUCTS(ACC0, ACC1)                                                                     \
    "smlad " ACC0 ", r4, r9, " ACC0 "\n\t"                                                             \
    "smlad " ACC0 ", r5, r10, " ACC0 "\n\t"                                                            \
    "smlad " ACC1 ", r6, r9, " ACC1 "\n\t"                                                             \
    "smlad " ACC1 ", r8, r10, " ACC1 "\n\t"
#define MCU_CH_STEP_W16                                                                                \
    "ldmia %[x]!, {r4, r5, r6, r8}\n\t"                                                                \
    "ldrd r9, r10, [%[w]], #8\n\t" MCU_CH_PRODUCTS("%[a0]", "%[a2]")                                   \
    "ldrd r9, r10, [%[w]], #8\n\t" MCU_CH_PRODUCTS("%[a1]", "%[a3]")
#define MCU_CH_STEP_W8                                                                                 \
    "ldmia %[x]!, {r4, r5, r6, r8}\n\t"                                                                \
    "ldr r9, [%[w]], #4\n\t"                                                                           \
    "sxtb16 r10, r9, ror #8\n\t"                                                                       \
    "sxtb16 r9, r9\n\t" MCU_CH_PRODUCTS("%[a0]", "%[a2]")                                              \
    "ldr r9, [%[w]], #4\n\t"                                                                           \
    "sxtb16 r10, r9, ror #8\n\t"                                                                       \
    "sxtb16 r9, r9\n\t" MCU_CH_PRODUCTS("%[a1]", "%[a3]")
/* one pixel (an odd last one): its two pair words of the group, the other pixel's skipped */
#define MCU_CH_PRODUCTS1(ACC)                                                                           \
    "smlad " ACC ", r4, r9, " ACC "\n\t"                                                              \
    "smlad " ACC ", r5, r10, " ACC "\n\t"
#define MCU_CH_STEP1_W16                                                                               \
    "ldrd r4, r5, [%[x]], #16\n\t"                                                                    \
    "ldrd r9, r10, [%[w]], #8\n\t" MCU_CH_PRODUCTS1("%[a0]")                                          \
    "ldrd r9, r10, [%[w]], #8\n\t" MCU_CH_PRODUCTS1("%[a1]")
#define MCU_CH_STEP1_W8                                                                                \
    "ldrd r4, r5, [%[x]], #16\n\t"                                                                    \
    "ldr r9, [%[w]], #4\n\t"                                                                         \
    "sxtb16 r10, r9, ror #8\n\t"                                                                     \
    "sxtb16 r9, r9\n\t" MCU_CH_PRODUCTS1("%[a0]")                                                     \
    "ldr r9, [%[w]], #4\n\t"                                                                         \
    "sxtb16 r10, r9, ror #8\n\t"                                                                     \
    "sxtb16 r9, r9\n\t" MCU_CH_PRODUCTS1("%[a1]")
#define MCU_CH_ASM1(CODE)                                                                                \
    __asm__ volatile(CODE                                                                                \
                     : [x] "+r"(x), [w] "+r"(w), [n] "+r"(n), [a0] "+r"(a0), [a1] "+r"(a1)              \
                     :                                                                                   \
                     : "r4", "r5", "r9", "r10", "memory", "cc")
#define MCU_CH_ASM(CODE)                                                                                 \
    __asm__ volatile(CODE                                                                                \
                     : [x] "+r"(x), [w] "+r"(w), [n] "+r"(n), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), \
                       [a3] "+r"(a3)                                                                     \
                     :                                                                                   \
                     : "r4", "r5", "r6", "r8", "r9", "r10", "memory", "cc")
#endif

/* The 2 x 2 blocks of every channel pair: d[4 k + 0 .. 3] = pixel 0 x channels 2k, 2k + 1, then pixel 1,
 * each starting from st[2 k], st[2 k + 1]; groups is even. */
#if defined(__GNUC__)
__attribute__((noinline)) /* its own registers: the assembly needs 13 of them */
#endif
static void mcu_conv_hybrid_block(const int32_t *w, const int32_t *slots, int32_t groups, int32_t w16,
                                  int32_t pairs, const int32_t *st, int32_t *d, int32_t single)
{
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__) && defined(__OPTIMIZE__)
    const uint32_t turns = (uint32_t)groups >> 1;
    if (single) { /* both pixels are the same one: pixel 0's products, copied */
        for (int32_t k = 0; k < pairs; k++, st += 2, d += 4) {
            const int32_t *x = slots;
            int32_t a0 = st[0], a1 = st[1];
            uint32_t n = turns;
            if (w16) {
                MCU_CH_ASM1("1:\n\t" MCU_CH_STEP1_W16 MCU_CH_STEP1_W16 "subs %[n], %[n], #1\n\t"
                            "bne 1b\n\t");
            } else {
                MCU_CH_ASM1("1:\n\t" MCU_CH_STEP1_W8 MCU_CH_STEP1_W8 "subs %[n], %[n], #1\n\t"
                            "bne 1b\n\t");
            }
            d[0] = a0;
            d[1] = a1;
            d[2] = a0;
            d[3] = a1;
        }
        return;
    }
    if (w16) {
        for (int32_t k = 0; k < pairs; k++, st += 2, d += 4) {
            const int32_t *x = slots;
            int32_t a0 = st[0], a1 = st[1], a2 = st[0], a3 = st[1];
            uint32_t n = turns;
            MCU_CH_ASM("1:\n\t" MCU_CH_STEP_W16 MCU_CH_STEP_W16 "subs %[n], %[n], #1\n\t"
                       "bne 1b\n\t");
            d[0] = a0;
            d[1] = a1;
            d[2] = a2;
            d[3] = a3;
        }
    } else {
        for (int32_t k = 0; k < pairs; k++, st += 2, d += 4) {
            const int32_t *x = slots;
            int32_t a0 = st[0], a1 = st[1], a2 = st[0], a3 = st[1];
            uint32_t n = turns;
            MCU_CH_ASM("1:\n\t" MCU_CH_STEP_W8 MCU_CH_STEP_W8 "subs %[n], %[n], #1\n\t"
                       "bne 1b\n\t");
            d[0] = a0;
            d[1] = a1;
            d[2] = a2;
            d[3] = a3;
        }
    }
#else
    (void)single; /* the plain C computes both (equal) pixels */
    const int32_t step = w16 ? 4 : 2; /* words per group */
    for (int32_t k = 0; k < pairs; k++, st += 2, d += 4) {
        const int16_t *x = (const int16_t *)(const void *)slots;
        int32_t a[4] = {st[0], st[1], st[0], st[1]};
        for (int32_t g = 0; g < groups; g++, x += 8, w += step) {
            int32_t wv[2][4]; /* channel, tap 0..3 */
            if (w16) {
                int16_t h[8];
                memcpy(h, w, sizeof h);
                for (int32_t c = 0; c < 2; c++) {
                    wv[c][0] = h[4 * c];
                    wv[c][2] = h[4 * c + 1];
                    wv[c][1] = h[4 * c + 2];
                    wv[c][3] = h[4 * c + 3];
                }
            } else {
                int8_t b[8];
                memcpy(b, w, sizeof b);
                for (int32_t c = 0; c < 2; c++) {
                    for (int32_t j = 0; j < 4; j++) {
                        wv[c][j] = b[4 * c + j];
                    }
                }
            }
            for (int32_t p = 0; p < 2; p++) {
                const int16_t *xk = x + 4 * p; /* x0, x2, x1, x3 */
                for (int32_t c = 0; c < 2; c++) {
                    a[2 * p + c] += xk[0] * wv[c][0] + xk[2] * wv[c][1] + xk[1] * wv[c][2] + xk[3] * wv[c][3];
                }
            }
        }
        for (int32_t i = 0; i < 4; i++) {
            d[i] = a[i];
        }
    }
#endif
}

/* LiteRT's float epilogue (mcu_hybrid_outputs) of one pixel k (0, 1) of the pair-interleaved sums d */
static inline __attribute__((always_inline)) void mcu_conv_hybrid_out_run(const int32_t *d, int32_t oc,
                                                                          const int32_t order, const int32_t clamp,
                                                                          float rs, const float *ws,
                                                                          const float *bias, float lo, float hi,
                                                                          float *out)
{
    for (int32_t c = 0; c < oc; c++) {
        const int32_t dot = d[c & 1];
        d += 4 * (c & 1);
        float v = order == 0 ? bias[c] + (float)dot * (rs * ws[c]) : ((float)dot * ws[c]) * rs + bias[c];
        if (clamp) {
            v = (v < lo) ? lo : v;
            v = (hi < v) ? hi : v;
        }
        out[c] = v;
    }
}

/* As mcu_conv_hybrid_out_run with clamp and hi = FLT_MAX (RELU): only the low clamp, while the sum of the
 * outputs shows them all finite (a finite v never exceeds FLT_MAX); returns 0 when it does not (the caller
 * then runs the full clamp) */
static inline __attribute__((always_inline)) int32_t mcu_conv_hybrid_out_lo(const int32_t *d, int32_t oc,
                                                                            const int32_t order, float rs,
                                                                            const float *ws, const float *bias,
                                                                            float lo, float *out)
{
    float sum = 0.f;
    for (int32_t c = 0; c < oc; c++) {
        const int32_t dot = d[c & 1];
        d += 4 * (c & 1);
        float v = order == 0 ? bias[c] + (float)dot * (rs * ws[c]) : ((float)dot * ws[c]) * rs + bias[c];
        sum += v;
        out[c] = (v < lo) ? lo : v;
    }
    return sum - sum == 0.f;
}

static void mcu_conv_hybrid_out(const mcu_conv_hybrid_params_t *p, const int32_t *d, float rs, float *out)
{
    const int32_t oc = p->out_c;
    const float lo = p->act_min, hi = p->act_max;
    if (p->clamp && hi == FLT_MAX) {
        if (p->per_channel ? mcu_conv_hybrid_out_lo(d, oc, 1, rs, p->scale, p->bias, lo, out)
                           : mcu_conv_hybrid_out_lo(d, oc, 0, rs, p->scale, p->bias, lo, out)) {
            return;
        }
    }
    if (p->per_channel) {
        if (p->clamp) {
            mcu_conv_hybrid_out_run(d, oc, 1, 1, rs, p->scale, p->bias, lo, hi, out);
        } else {
            mcu_conv_hybrid_out_run(d, oc, 1, 0, rs, p->scale, p->bias, lo, hi, out);
        }
    } else if (p->clamp) {
        mcu_conv_hybrid_out_run(d, oc, 0, 1, rs, p->scale, p->bias, lo, hi, out);
    } else {
        mcu_conv_hybrid_out_run(d, oc, 0, 0, rs, p->scale, p->bias, lo, hi, out);
    }
}

#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__thumb2__) && defined(__GNUC__) && defined(__OPTIMIZE__)
#define MCU_CH_FPU_EPILOGUE 1
#define MCU_CH_LO(I) "vcmp.f32 s" I ", %[lo]\n\tvmrs APSR_nzcv, fpscr\n\tit mi\n\tvmovmi.f32 s" I ", %[lo]\n\t"
#define MCU_CH_HI(I) "vcmp.f32 s" I ", %[hi]\n\tvmrs APSR_nzcv, fpscr\n\tit gt\n\tvmovgt.f32 s" I ", %[hi]\n\t"
#define MCU_CH_EPI(PRODUCTS)                                                                              \
    __asm__ volatile("1:\n\t"                                                                            \
                     "vldmia %[d]!, {s0-s3}\n\t"                                                         \
                     "vcvt.f32.s32 s0, s0\n\t"                                                           \
                     "vcvt.f32.s32 s1, s1\n\t"                                                           \
                     "vcvt.f32.s32 s2, s2\n\t"                                                           \
                     "vcvt.f32.s32 s3, s3\n\t"                                                           \
                     "vldmia %[ws]!, {s4-s5}\n\t"                                                        \
                     "vldmia %[b], {s8-s9}\n\t"                                                          \
                     "vldmia %[b]!, {s10-s11}\n\t" PRODUCTS                                              \
                     "tst %[m], #1\n\t"                                                                  \
                     "beq 3f\n\t" MCU_CH_LO("8") MCU_CH_LO("9") MCU_CH_LO("10") MCU_CH_LO("11")          \
                     "tst %[m], #2\n\t"                                                                  \
                     "beq 2f\n\t"                                                                        \
                     "vadd.f32 s12, s8, s9\n\t"                                                          \
                     "vadd.f32 s12, s12, s10\n\t"                                                        \
                     "vadd.f32 s12, s12, s11\n\t"                                                        \
                     "vsub.f32 s12, s12, s12\n\t"                                                        \
                     "vcmp.f32 s12, #0\n\t"                                                              \
                     "vmrs APSR_nzcv, fpscr\n\t"                                                         \
                     "beq 3f\n"                                                                          \
                     "2:\n\t" MCU_CH_HI("8") MCU_CH_HI("9") MCU_CH_HI("10") MCU_CH_HI("11")              \
                     "3:\n\t"                                                                            \
                     "vstmia %[o0]!, {s8-s9}\n\t"                                                        \
                     "vstmia %[o1]!, {s10-s11}\n\t"                                                      \
                     "subs %[n], %[n], #1\n\t"                                                           \
                     "bne 1b\n\t"                                                                        \
                     : [d] "+r"(d), [ws] "+r"(ws), [b] "+r"(b), [o0] "+r"(out0), [o1] "+r"(out1),        \
                       [n] "+r"(n)                                                                       \
                     : [m] "r"(mode), [lo] "t"(lo), [hi] "t"(hi), [rs] "t"(rs)                           \
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s8", "s9", "s10", "s11", "s12", "memory", "cc")

/* Both pixels' outputs from the pair-interleaved sums (out_c even), 2 x 2 at a time: VCVT, then LiteRT's
 * order (per channel: ((float)acc * w_scale) * in_scale + bias, VMUL then VMLA: the product rounded before
 * the add; one scale: bias + (float)acc * comb with comb = in_scale * w_scale taken per image), then the
 * clamp (mode bit 0), whose high end is skipped for 4 finite values when it is FLT_MAX (bit 1). */
static void mcu_conv_hybrid_out_fpu(const mcu_conv_hybrid_params_t *p, const int32_t *d, float rs, const float *comb,
                                    float *out0, float *out1)
{
    uint32_t n = (uint32_t)p->out_c / 2u;
    const float *b = p->bias;
    const float lo = p->act_min, hi = p->act_max;
    const uint32_t mode = p->clamp ? 1u | (hi == FLT_MAX ? 2u : 0u) : 0u;
    if (p->per_channel) {
        const float *ws = p->scale;
        MCU_CH_EPI("vmul.f32 s0, s0, s4\n\t"
                   "vmul.f32 s1, s1, s5\n\t"
                   "vmul.f32 s2, s2, s4\n\t"
                   "vmul.f32 s3, s3, s5\n\t"
                   "vmla.f32 s8, s0, %[rs]\n\t"
                   "vmla.f32 s9, s1, %[rs]\n\t"
                   "vmla.f32 s10, s2, %[rs]\n\t"
                   "vmla.f32 s11, s3, %[rs]\n\t");
    } else {
        const float *ws = comb;
        MCU_CH_EPI("vmla.f32 s8, s0, s4\n\t"
                   "vmla.f32 s9, s1, s5\n\t"
                   "vmla.f32 s10, s2, s4\n\t"
                   "vmla.f32 s11, s3, s5\n\t");
    }
}
#endif

void mcu_conv_hybrid(const mcu_conv_hybrid_params_t *p, const float *input, float *output, int8_t *scratch)
{
    const int32_t ih = p->in_h, iw = p->in_w, ic = p->in_c, oh = p->out_h, ow = p->out_w, oc = p->out_c;
    const int32_t image = ih * iw * ic;
    const int32_t depth = p->k_h * p->k_w * ic;
    const int32_t groups = 2 * ((depth + 7) / 8), padded = 4 * groups; /* an even number of groups */
    const int32_t pixels = oh * ow, pairs = (oc + 1) / 2;
    int8_t *q = scratch;
    int8_t *rows = q + MCU_CH_ALIGN4(image);                         /* two window rows */
    int32_t *slots = (int32_t *)(void *)(rows + 2 * padded);         /* 4 words per group */
    int32_t *dots = slots + 4 * groups;                              /* 2 x (out_c + 1): the pixels' sums */
    int32_t *start = dots + 2 * (oc + 1);                            /* out_c + 1: -zp x row sum */
    float *comb = (float *)(void *)(start + oc + 1);                 /* out_c + 1: in_scale x w_scale */
    /* a 1x1 window is an input pixel: read it in place when 4-byte aligned and a whole number of groups */
    const int32_t direct = p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0 && ic % 8 == 0;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + (size_t)b * (size_t)image;
        float *out = output + (size_t)b * (size_t)(pixels * oc);
        int32_t zp = 0; /* an all-zero image gives scale 0 and all products 0 */
        const float in_scale = p->per_channel ? mcu_hybrid_quantize_asym(x, image, q, &zp)
                                              : mcu_hybrid_quantize_sym(x, image, q);
        for (int32_t c = 0; c < 2 * pairs; c++) {
            start[c] = c < oc && zp != 0 ? (int32_t)(0u - (uint32_t)p->row_sums[c] * (uint32_t)zp) : 0;
            comb[c] = c < oc ? in_scale * p->scale[c] : 0.f;
        }
        for (int32_t d = depth; d < padded; d++) { /* the rows' padding: zero (its weights are zero) */
            rows[d] = 0;
            rows[padded + d] = 0;
        }
        for (int32_t i = 0; i < pixels; i += 2) {
            const int32_t n1 = i + 1 < pixels ? i + 1 : i; /* an odd last pixel twice */
            const int32_t pix[2] = {i, n1};
            for (int32_t k = 0; k < 2; k++) {
                const int32_t y = pix[k] / ow, xo = pix[k] - y * ow;
                const int8_t *r;
                if (direct) {
                    r = q + (size_t)(y * p->stride_h * iw + xo * p->stride_w) * (size_t)ic;
                } else {
                    mcu_conv_hybrid_gather(p, q, y, xo, (int8_t)zp, rows + k * padded);
                    r = rows + k * padded;
                }
                mcu_conv_hybrid_widen(r, groups, slots + 2 * k);
            }
            mcu_conv_hybrid_block((const int32_t *)p->filter, slots, groups, p->w16, pairs, start, dots, n1 == i);
#if defined(MCU_CH_FPU_EPILOGUE)
            if (!(oc & 1)) {
                mcu_conv_hybrid_out_fpu(p, dots, in_scale, comb, out + (size_t)i * (size_t)oc,
                                        out + (size_t)n1 * (size_t)oc);
                continue;
            }
#endif
            mcu_conv_hybrid_out(p, dots, in_scale, out + (size_t)i * (size_t)oc);
            if (n1 != i) {
                mcu_conv_hybrid_out(p, dots + 2, in_scale, out + (size_t)n1 * (size_t)oc);
            }
        }
    }
}
