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

#if defined(MCU_S4_DSP_LAYOUTS)
/* ---- the DSP product (p->stream, mcu_conv.h; mcugen/ops/conv.py plan_s4_gemm) -----------------------------
 * Per channel pair and block of P output pixels, 4 window values a step: one weight word unpacked by masks
 * alone into four int16 pairs; the P pixels' pair words (16 x0, 16 x2) come in one LDM, then their
 * (x1, x3) in another, each meeting the two channels' pairs in 2P SMLAD. Channel c's pairs are the masks
 * 0x000F000F and 0x00F000F0 of the word (n0, n2) and (16 n1, 16 n3), n = w + 8, so its sum is 16 acc plus
 * 128 S (S: the window's sum). Channel c + 1 (odd_shift 12): the masks 0x0F000F00 and 0xF000F000 give
 * (256 n0, 256 n2) and (4096 w1, 4096 w3) (the top nibble two's complement), a sum of 4096 acc plus
 * 32768 Se (Se: the sum of the window's values 0 and 2 of each group); 19 instructions for 24 MACs with
 * P = 3 (the int8 kernel's: 20, or 17 with int16 weights). odd_shift 4 (an accumulator could reach 2^19):
 * channel c + 1 as channel c from the word >> 8, 21 instructions. The sums start at bias16 - the pixel's
 * correction and are shifted right by 4 (12) at the end: exact, as mcugen checked the accumulator range;
 * then the int8 kernels' requantization (mcu_conv_fast_requant) and clamp. */

/* Groups of 4 int8 values src[0 .. 4 * groups) into a pixel's place (group g's (16 x0, 16 x2) at dst + step * g,
   its (x1, x3) at dst + step * g + half); adds the sums of values 0, 2 and of values 1, 3 to *se, *so. */
static inline void mcu_s4_gemm_put(int16_t *dst, const int8_t *src, int32_t groups, int32_t step, int32_t half,
                                   int32_t *se, int32_t *so)
{
    int32_t even = *se, odd = *so;
    for (int32_t g = 0; g < groups; g++, src += 4, dst += step) {
#if defined(__ARM_FEATURE_DSP)
        uint32_t v;
        memcpy(&v, src, 4);
        const int32_t e = __sxtb16((int32_t)v), o = mcu_sxtb16_ror8(v);
        even = __smlad(e, 0x00010001, even);
        odd = __smlad(o, 0x00010001, odd);
        /* (16 x0, 16 x2): the low lane's sign bits that the shift moved into the high lane cleared */
        const uint32_t e16 = ((uint32_t)e << 4) & 0xFFF0FFFFu;
        memcpy(dst, &e16, 4);
        memcpy(dst + half, &o, 4);
#else
        dst[0] = (int16_t)(16 * src[0]);
        dst[1] = (int16_t)(16 * src[2]);
        dst[half] = src[1];
        dst[half + 1] = src[3];
        even += src[0] + src[2];
        odd += src[1] + src[3];
#endif
    }
    *se = even;
    *so = odd;
}

/* `groups` groups of the value zp (taps outside the image). */
static inline void mcu_s4_gemm_fill(int16_t *dst, int32_t zp, int32_t groups, int32_t step, int32_t half)
{
    for (int32_t g = 0; g < groups; g++, dst += step) {
        dst[0] = dst[1] = (int16_t)(16 * zp);
        dst[half] = dst[half + 1] = (int16_t)zp;
    }
}

/* Filter rows of at most this many bytes go through a row buffer at the image's edges. */
#define MCU_S4_GEMM_MAX_RUN 64

/* Whether the windows go through a staging row of 4 * groups bytes after the pixels' pairs in the scratch
   (mcugen/ops/conv.py s4_gemm_stages). */
static inline int mcu_conv_s4_gemm_stages(const mcu_conv_s4_params_t *p)
{
    const int32_t run = p->k_w * p->in_c;
    return (p->in_c & 3) != 0 && !((run & 3) == 0 && p->dil_w == 1 && run <= MCU_S4_GEMM_MAX_RUN);
}

/* The window of pixel (oy, ox) into its place; *se, *so: the sums of its values 0, 2 and 1, 3 of each group.
   stage: 4 * groups bytes (mcu_conv_s4_gemm_stages), for windows whose taps or rows do not start groups. */
static void mcu_s4_gemm_window(const mcu_conv_s4_params_t *p, const int8_t *image, int32_t oy, int32_t ox,
                               int16_t *dst0, int32_t step, int32_t half, int8_t *stage, int32_t *se, int32_t *so)
{
    const int32_t in_c = p->in_c, zp = p->input_zp;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    int32_t even = 0, odd = 0;
    if ((in_c & 3) == 0) { /* every tap starts a group */
        const int32_t tap_groups = in_c >> 2;
        int16_t *dst = dst0;
        for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t y = y0 + ky * p->dil_h;
            for (int32_t kx = 0; kx < p->k_w; kx++, dst += tap_groups * step) {
                const int32_t xx = x0 + kx * p->dil_w;
                if (y < 0 || y >= p->in_h || xx < 0 || xx >= p->in_w) {
                    mcu_s4_gemm_fill(dst, zp, tap_groups, step, half);
                    even += zp * (in_c >> 1);
                    odd += zp * (in_c >> 1);
                    continue;
                }
                mcu_s4_gemm_put(dst, image + (y * p->in_w + xx) * in_c, tap_groups, step, half, &even, &odd);
            }
        }
        *se = even;
        *so = odd;
        return;
    }
    const int32_t run = p->k_w * in_c;
    if ((run & 3) == 0 && p->dil_w == 1 && run <= MCU_S4_GEMM_MAX_RUN) {
        /* every filter row starts a group: whole rows from the image, or through a row buffer at the edges */
        const int32_t row_groups = run >> 2;
        const int32_t lo = x0 < 0 ? -x0 : 0, hi = x0 + p->k_w > p->in_w ? p->in_w - x0 : p->k_w;
        int16_t *dst = dst0;
        for (int32_t ky = 0; ky < p->k_h; ky++, dst += row_groups * step) {
            const int32_t y = y0 + ky * p->dil_h;
            if (y < 0 || y >= p->in_h || hi <= lo) {
                mcu_s4_gemm_fill(dst, zp, row_groups, step, half);
                even += zp * (run >> 1);
                odd += zp * (run >> 1);
                continue;
            }
            const int8_t *src = image + (y * p->in_w + x0) * in_c;
            if (lo == 0 && hi == p->k_w) {
                mcu_s4_gemm_put(dst, src, row_groups, step, half, &even, &odd);
                continue;
            }
            int8_t row[MCU_S4_GEMM_MAX_RUN];
            memset(row, zp, (size_t)run);
            memcpy(row + lo * in_c, src + lo * in_c, (size_t)((hi - lo) * in_c));
            mcu_s4_gemm_put(dst, row, row_groups, step, half, &even, &odd);
        }
        *se = even;
        *so = odd;
        return;
    }
    /* any other window: its bytes into the staging row (whose zero tail the run set), then whole groups */
    int8_t *dst = stage;
    const int rows_inside = p->dil_w == 1 && x0 >= 0 && x0 + p->k_w <= p->in_w;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + ky * p->dil_h;
        if (rows_inside && y >= 0 && y < p->in_h) { /* a whole filter row at once */
            const int8_t *src = image + (y * p->in_w + x0) * in_c;
            int32_t j = 0;
            for (; j + 4 <= run; j += 4) { /* words (unaligned on Armv7-M), not a memcpy call per row */
                uint32_t v;
                memcpy(&v, src + j, 4);
                memcpy(dst + j, &v, 4);
            }
            for (; j < run; j++) {
                dst[j] = src[j];
            }
            dst += run;
            continue;
        }
        for (int32_t kx = 0; kx < p->k_w; kx++, dst += in_c) {
            const int32_t xx = x0 + kx * p->dil_w;
            if (y < 0 || y >= p->in_h || xx < 0 || xx >= p->in_w) {
                for (int32_t c = 0; c < in_c; c++) {
                    dst[c] = (int8_t)zp;
                }
                continue;
            }
            const int8_t *src = image + (y * p->in_w + xx) * in_c;
            for (int32_t c = 0; c < in_c; c++) {
                dst[c] = src[c];
            }
        }
    }
    mcu_s4_gemm_put(dst0, stage, p->groups, step, half, &even, &odd);
    *se = even;
    *so = odd;
}

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__) && defined(__OPTIMIZE__)

/* What the assembly reads (offsets fixed). */
typedef struct {
    const int32_t *w;      /*  0: the stream (left after the pairs done) */
    const int16_t *x0;     /*  4: the scratch */
    const int16_t *x_main; /*  8: after the groups of whole 4-step turns */
    const int16_t *x_end;  /* 12: after all groups */
    int8_t *out0;          /* 16: pixel 0's output of the next pair */
    int32_t d1, d2;        /* 20, 24: pixel 1's and pixel 2's output - pixel 0's */
    const int8_t *end;     /* 28: out0 after the last pair */
    uint32_t clamp;        /* 32: act range narrower than int8 */
    uint32_t lo4, hi4;     /* 36, 40: act_min, act_max in each byte */
    int32_t t[3];          /* 44, 48, 52: channel c's correction of each pixel */
    int32_t u[3];          /* 56, 60, 64: channel c + 1's */
} mcu_s4_gemm_job_t;

typedef char mcu_s4_gemm_job_layout_check[(sizeof(void *) == 4 && sizeof(mcu_s4_gemm_job_t) == 68) ? 1 : -1];

/* Registers: r0 stream, r1 scratch, r2/r3 pixel 0's sums of channels c/c+1, r4/r5 pixel 1's, r6/r7 pixel 2's,
 * r8-r10 the pixels' pair words, r11 the weight word, r12/lr its pairs; [sp] the job, [sp, #4], [sp, #8] the
 * scratch limits. */
#define MCU_S4_SMLAD_P2(W)                                                                      \
    "smlad r2, r8, r12, r2\n\t"                                                                 \
    "smlad r3, r8, lr, r3\n\t"                                                                  \
    "smlad r4, r9, r12, r4\n\t"                                                                 \
    "smlad r5, r9, lr, r5\n\t"
#define MCU_S4_SMLAD_P3(W) MCU_S4_SMLAD_P2(W)                                                   \
    "smlad r6, r10, r12, r6\n\t"                                                                \
    "smlad r7, r10, lr, r7\n\t"
#define MCU_S4_LDM_P2 "ldm r1!, {r8, r9}\n\t"
#define MCU_S4_LDM_P3 "ldm r1!, {r8, r9, r10}\n\t"
/* odd_shift 12: four masks */
#define MCU_S4_STEP_W(P)                                                                        \
    "ldr r11, [r0], #4\n\t" MCU_S4_LDM_##P                                                      \
    "and r12, r11, #0x000F000F\n\t"                                                             \
    "and lr, r11, #0x0F000F00\n\t" MCU_S4_SMLAD_##P(0) MCU_S4_LDM_##P                          \
    "and r12, r11, #0x00F000F0\n\t"                                                             \
    "and lr, r11, #0xF000F000\n\t" MCU_S4_SMLAD_##P(1)
/* odd_shift 4: channel c + 1 from the word >> 8 */
#define MCU_S4_STEP_N(P)                                                                        \
    "ldr r11, [r0], #4\n\t" MCU_S4_LDM_##P                                                      \
    "and r12, r11, #0x000F000F\n\t"                                                             \
    "lsr lr, r11, #8\n\t"                                                                       \
    "and lr, lr, #0x000F000F\n\t" MCU_S4_SMLAD_##P(0) MCU_S4_LDM_##P                           \
    "and r12, r11, #0x00F000F0\n\t"                                                             \
    "lsr lr, r11, #8\n\t"                                                                       \
    "and lr, lr, #0x00F000F0\n\t" MCU_S4_SMLAD_##P(1)

/* r12 = the job: the sums start at bias16 - t[pixel] (channel c), - u[pixel] (channel c + 1) */
#define MCU_S4_INIT_P2                                                                          \
    "ldrd r2, r3, [r0], #8\n\t"                                                                 \
    "ldrd r8, r9, [r12, #44]\n\t"                                                               \
    "sub r4, r2, r9\n\t"                                                                        \
    "sub r2, r2, r8\n\t"                                                                        \
    "ldrd r8, r9, [r12, #56]\n\t"                                                               \
    "sub r5, r3, r9\n\t"                                                                        \
    "sub r3, r3, r8\n\t"
#define MCU_S4_INIT_P3                                                                          \
    "ldrd r2, r3, [r0], #8\n\t"                                                                 \
    "ldrd r8, r9, [r12, #44]\n\t"                                                               \
    "ldr r10, [r12, #52]\n\t"                                                                   \
    "sub r4, r2, r9\n\t"                                                                        \
    "sub r6, r2, r10\n\t"                                                                       \
    "sub r2, r2, r8\n\t"                                                                        \
    "ldrd r8, r9, [r12, #56]\n\t"                                                               \
    "ldr r10, [r12, #64]\n\t"                                                                   \
    "sub r5, r3, r9\n\t"                                                                        \
    "sub r7, r3, r10\n\t"                                                                       \
    "sub r3, r3, r8\n\t"

/* ACC = 2^SH acc: >> SH, requantized with M, H, E (mcu_conv_fast_requant), saturated to int8; r1 scratch */
#define MCU_S4_REQUANT(ACC, SH, M, H, E)                                                        \
    "asr " ACC ", " ACC ", #" SH "\n\t"                                                         \
    "add r1, " H ", " ACC "\n\t"                                                                \
    "sub r1, r1, " ACC ", lsr #31\n\t"                                                          \
    "smmlar " ACC ", " ACC ", " M ", r1\n\t"                                                    \
    "asr " ACC ", " ACC ", " E "\n\t"                                                           \
    "ssat " ACC ", #8, " ACC "\n\t"
#define MCU_S4_REQUANT_P2(SH)                                                                   \
    MCU_S4_REQUANT("r2", "4", "r8", "r10", "r12")                                               \
    MCU_S4_REQUANT("r4", "4", "r8", "r10", "r12")                                               \
    MCU_S4_REQUANT("r3", SH, "r9", "r11", "lr")                                                 \
    MCU_S4_REQUANT("r5", SH, "r9", "r11", "lr")                                                 \
    "uxtb r2, r2\n\t"                                                                           \
    "orr r2, r2, r3, lsl #8\n\t"                                                                \
    "uxtb r4, r4\n\t"                                                                           \
    "orr r4, r4, r5, lsl #8\n\t"
#define MCU_S4_REQUANT_P3(SH)                                                                   \
    MCU_S4_REQUANT("r6", "4", "r8", "r10", "r12")                                               \
    MCU_S4_REQUANT("r7", SH, "r9", "r11", "lr")                                                 \
    "uxtb r6, r6\n\t"                                                                           \
    "orr r6, r6, r7, lsl #8\n\t" MCU_S4_REQUANT_P2(SH)
/* byte-wise max(lo), min(hi): SSUB8 sets the GE flags, SEL picks */
#define MCU_S4_CLAMP_P2                                                                         \
    "pkhbt r2, r2, r4, lsl #16\n\t"                                                             \
    "ldrd r8, r9, [r12, #36]\n\t"                                                               \
    "ssub8 r1, r2, r8\n\t"                                                                      \
    "sel r2, r2, r8\n\t"                                                                        \
    "ssub8 r1, r2, r9\n\t"                                                                      \
    "sel r2, r9, r2\n\t"                                                                        \
    "lsr r4, r2, #16\n\t"
#define MCU_S4_CLAMP_P3                                                                         \
    MCU_S4_CLAMP_P2                                                                             \
    "ssub8 r1, r6, r8\n\t"                                                                      \
    "sel r6, r6, r8\n\t"                                                                        \
    "ssub8 r1, r6, r9\n\t"                                                                      \
    "sel r6, r9, r6\n\t"
#define MCU_S4_STORE_P2                                                                         \
    "ldr lr, [r12, #16]\n\t"                                                                    \
    "ldr r1, [r12, #20]\n\t"                                                                    \
    "strh r4, [lr, r1]\n\t"
#define MCU_S4_STORE_P3                                                                         \
    MCU_S4_STORE_P2                                                                             \
    "ldr r1, [r12, #24]\n\t"                                                                    \
    "strh r6, [lr, r1]\n\t"

#define MCU_S4_GEMM_BODY(P, STEP, SH)                                                           \
    "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"                                           \
    "sub sp, sp, #12\n\t"                                                                       \
    "str r0, [sp]\n\t"                                                                          \
    "ldrd r1, r2, [r0, #8]\n\t"                                                                 \
    "strd r1, r2, [sp, #4]\n\t"                                                                 \
    "ldr r1, [r0, #16]\n\t"                                                                     \
    "ldr r2, [r0, #28]\n\t"                                                                     \
    "ldr r0, [r0, #0]\n\t"                                                                      \
    "cmp r1, r2\n\t"                                                                            \
    "beq 9f\n"                                                                                  \
    "1:\n\t"                                                                                    \
    "ldr r12, [sp]\n\t"                                                                         \
    MCU_S4_INIT_##P                                                                             \
    "ldr r1, [r12, #4]\n\t"                                                                     \
    "ldr lr, [sp, #4]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "beq 3f\n"                                                                                  \
    "2:\n\t"                                                                                    \
    STEP(P) STEP(P) STEP(P) STEP(P)                                                             \
    "ldr lr, [sp, #4]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "bne 2b\n"                                                                                  \
    "3:\n\t"                                                                                    \
    "ldr lr, [sp, #8]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "beq 5f\n"                                                                                  \
    "4:\n\t"                                                                                    \
    STEP(P)                                                                                     \
    "ldr lr, [sp, #8]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "bne 4b\n"                                                                                  \
    "5:\n\t"                                                                                    \
    "ldrd r8, r9, [r0], #8\n\t"                                                                 \
    "ldrd r10, r11, [r0], #8\n\t"                                                               \
    "ldrd r12, lr, [r0], #8\n\t"                                                                \
    MCU_S4_REQUANT_##P(SH)                                                                      \
    "ldr r12, [sp]\n\t"                                                                         \
    "ldr r1, [r12, #32]\n\t"                                                                    \
    "cbz r1, 6f\n\t"                                                                            \
    MCU_S4_CLAMP_##P                                                                            \
    "6:\n\t"                                                                                    \
    MCU_S4_STORE_##P                                                                            \
    "strh r2, [lr], #2\n\t"                                                                     \
    "str lr, [r12, #16]\n\t"                                                                    \
    "ldr r1, [r12, #28]\n\t"                                                                    \
    "cmp lr, r1\n\t"                                                                            \
    "bne 1b\n\t"                                                                                \
    "str r0, [r12, #0]\n"                                                                       \
    "9:\n\t"                                                                                    \
    "add sp, sp, #12\n\t"                                                                       \
    "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"

#define MCU_S4_GEMM_FUNCTION(NAME, P, STEP, SH)                                                 \
    __attribute__((naked, noinline)) static void NAME(mcu_s4_gemm_job_t *job __attribute__((unused))) \
    {                                                                                           \
        __asm__ volatile(MCU_S4_GEMM_BODY(P, STEP, SH));                                        \
    }

MCU_S4_GEMM_FUNCTION(mcu_s4_gemm_p3w, P3, MCU_S4_STEP_W, "12")
MCU_S4_GEMM_FUNCTION(mcu_s4_gemm_p2w, P2, MCU_S4_STEP_W, "12")
MCU_S4_GEMM_FUNCTION(mcu_s4_gemm_p3n, P3, MCU_S4_STEP_N, "4")
MCU_S4_GEMM_FUNCTION(mcu_s4_gemm_p2n, P2, MCU_S4_STEP_N, "4")

/* Every output channel of the block's pixels (out[2] == out[1] when pixels is 2). */
static void mcu_s4_gemm(const mcu_conv_s4_params_t *p, const int16_t *scratch, const int32_t *t, const int32_t *u,
                        int8_t *const *out)
{
    const int32_t per_group = 4 * p->pixels;
    mcu_s4_gemm_job_t job;
    job.w = p->stream;
    job.x0 = scratch;
    job.x_main = scratch + per_group * (p->groups & ~3);
    job.x_end = scratch + per_group * p->groups;
    job.out0 = out[0];
    job.d1 = (int32_t)(out[1] - out[0]);
    job.d2 = (int32_t)(out[2] - out[0]);
    job.end = out[0] + (p->out_c & ~1);
    job.clamp = p->act_min != INT8_MIN || p->act_max != INT8_MAX;
    job.lo4 = (uint32_t)(uint8_t)(int8_t)p->act_min * 0x01010101u;
    job.hi4 = (uint32_t)(uint8_t)(int8_t)p->act_max * 0x01010101u;
    for (int32_t i = 0; i < 3; i++) {
        job.t[i] = t[i];
        job.u[i] = u[i];
    }
    const int wide = p->odd_shift == 12;
    void (*pairs)(mcu_s4_gemm_job_t *) = p->pixels == 3 ? (wide ? mcu_s4_gemm_p3w : mcu_s4_gemm_p3n)
                                                        : (wide ? mcu_s4_gemm_p2w : mcu_s4_gemm_p2n);
    pairs(&job);
    if (p->out_c & 1) { /* the last channel with the padding channel; only the real one is written */
        int8_t tail[6];
        job.out0 = tail;
        job.d1 = 2;
        job.d2 = 4;
        job.end = tail + 2;
        pairs(&job);
        out[0][p->out_c - 1] = tail[0];
        out[1][p->out_c - 1] = tail[2];
        out[2][p->out_c - 1] = p->pixels == 3 ? tail[4] : tail[2];
    }
}

#else /* the same layout in plain C */

static void mcu_s4_gemm(const mcu_conv_s4_params_t *p, const int16_t *scratch, const int32_t *t, const int32_t *u,
                        int8_t *const *out)
{
    const int32_t np = p->pixels, step = 4 * np, half = 2 * np, groups = p->groups;
    const int wide = p->odd_shift == 12;
    const int32_t *q = p->stream;
    for (int32_t c = 0; c < p->out_c; c += 2) {
        uint32_t acc[3][2];
        for (int32_t i = 0; i < np; i++) {
            acc[i][0] = (uint32_t)q[0] - (uint32_t)t[i];
            acc[i][1] = (uint32_t)q[1] - (uint32_t)u[i];
        }
        const int32_t *w = q + 2;
        const int16_t *x = scratch;
        for (int32_t g = 0; g < groups; g++, x += step) {
            const uint32_t v = (uint32_t)w[g];
            const int32_t n0 = (int32_t)(v & 15u), n1 = (int32_t)((v >> 4) & 15u);
            const int32_t n2 = (int32_t)((v >> 16) & 15u), n3 = (int32_t)((v >> 20) & 15u);
            const int32_t m0 = (int32_t)((v >> 8) & 15u), m2 = (int32_t)((v >> 24) & 15u);
            /* channel c + 1's values 1 and 3: two's complement (wide) or offset by 8 */
            int32_t m1 = (int32_t)((v >> 12) & 15u), m3 = (int32_t)((v >> 28) & 15u);
            int32_t s1 = 16;
            if (wide) {
                m1 = MCU_S4_VALUE(v, 12);
                m3 = MCU_S4_VALUE(v, 28);
                s1 = 4096;
            }
            const int32_t s0 = wide ? 256 : 1;
            for (int32_t i = 0; i < np; i++) {
                const int16_t *e = x + 2 * i, *o = x + half + 2 * i;
                acc[i][0] += (uint32_t)(e[0] * n0 + e[1] * n2 + 16 * (o[0] * n1 + o[1] * n3));
                acc[i][1] += (uint32_t)s0 * (uint32_t)(e[0] * m0 + e[1] * m2) + (uint32_t)s1 * (uint32_t)(o[0] * m1 + o[1] * m3);
            }
        }
        q += 2 + groups;
        for (int32_t j = 0; j < 2 && c + j < p->out_c; j++) {
            for (int32_t i = 0; i < np; i++) {
                const int32_t a = (int32_t)acc[i][j] >> (j ? p->odd_shift : 4);
                const int32_t r = mcu_conv_fast_requant(a, q[j], q[2 + j], q[4 + j]);
                out[i][c + j] = (int8_t)MCU_CLAMP(r, p->act_min, p->act_max);
            }
        }
        q += 6;
    }
}

#endif

/* Blocks of `pixels` output pixels in the contract's order, every window gathered before any is written
   (the last block repeats its last pixel). */
static void mcu_conv_s4_gemm_run(const mcu_conv_s4_params_t *p, const int8_t *input, int8_t *output,
                                 int16_t *scratch)
{
    const int32_t np = p->pixels, step = 4 * np, half = 2 * np;
    const int32_t plane = p->out_h * p->out_w;
    const int32_t total = p->batches * plane;
    const int32_t image = p->in_h * p->in_w * p->in_c;
    const int wide = p->odd_shift == 12;
    const int one = p->k_h == 1 && p->k_w == 1 && (p->in_c & 3) == 0 && p->pad_top == 0 && p->pad_left == 0;
    int8_t *stage = (int8_t *)(void *)(scratch + step * p->groups);
    if (mcu_conv_s4_gemm_stages(p)) {
        memset(stage, 0, (size_t)(4 * p->groups)); /* the tail past the window stays 0 */
    }
    for (int32_t i = 0; i < total; i += np) {
        int32_t t[3] = {0, 0, 0}, u[3] = {0, 0, 0};
        int8_t *out[3] = {output, output, output};
        for (int32_t k = 0; k < np; k++) {
            const int32_t j = i + k < total ? i + k : total - 1;
            const int32_t n = p->reverse ? total - 1 - j : j;
            const int32_t b = n / plane, r = n - b * plane;
            const int32_t oy = r / p->out_w, ox = r - oy * p->out_w;
            int32_t se = 0, so = 0;
            if (one) { /* 1x1: the pixel's channels themselves */
                mcu_s4_gemm_put(scratch + 2 * k,
                                input + b * image + (oy * p->stride_h * p->in_w + ox * p->stride_w) * p->in_c,
                                p->groups, step, half, &se, &so);
            } else {
                mcu_s4_gemm_window(p, input + b * image, oy, ox, scratch + 2 * k, step, half, stage, &se, &so);
            }
            t[k] = (int32_t)(((uint32_t)se + (uint32_t)so) * 128u);
            u[k] = wide ? (int32_t)((uint32_t)se * 32768u) : t[k];
            out[k] = output + n * p->out_c;
        }
        if (np == 2) {
            t[2] = t[1];
            u[2] = u[1];
            out[2] = out[1];
        }
        mcu_s4_gemm(p, scratch, t, u, out);
    }
}

#endif /* MCU_S4_DSP_LAYOUTS */

/* Pixels in the order of the contract, two at a time: both windows are gathered before either pixel is
 * written (so the second pixel's input is read before the first one's output can overwrite anything). */
void mcu_conv_s4(const mcu_conv_s4_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch)
{
#if defined(MCU_S4_DSP_LAYOUTS)
    if (p->stream) {
        mcu_conv_s4_gemm_run(p, input, output, scratch);
        return;
    }
#endif
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
