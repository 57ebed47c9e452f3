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

/* ---- the DSP product (p->stream, mcu_conv.h; mcugen/ops/conv.py plan_s4_gemm) -----------------------------
 * Per channel pair and block of P output pixels, 4 window values a step: one weight word unpacked by masks
 * alone into the four int16 pairs (n c0, n c2), (16 n c1, 16 n c3), and the same of channel c + 1 (the word
 * >> 8), n = w + 8; each pixel's pair words (16 x0, 16 x2), (x1, x3) meet them in 4 SMLAD. With P = 3:
 * 21 instructions for 24 MACs (the int8 kernel's: 20, or 17 with int16 weights). The sums start at
 * bias16 - 128 S (S: the pixel's window sum), so they end at 16 acc; >> 4, then the int8 kernels'
 * requantization (mcu_conv_fast_requant) and clamp. */

#define MCU_S4_GEMM_GROUP(pixels) (4 * (pixels)) /* int16 per group in the scratch */

/* Groups of 4 int8 values src[0 .. 4 * groups) into a pixel's slot (group g at dst + step * g); returns
   their sum. */
static inline int32_t mcu_s4_gemm_put(int16_t *dst, const int8_t *src, int32_t groups, int32_t step)
{
    int32_t sum = 0;
    for (int32_t g = 0; g < groups; g++, src += 4, dst += step) {
#if defined(__ARM_FEATURE_DSP)
        uint32_t v;
        memcpy(&v, src, 4);
        const int32_t e = __sxtb16((int32_t)v), o = mcu_s4_sxtb16_ror8(v);
        sum = __smlad(e, 0x00010001, sum);
        sum = __smlad(o, 0x00010001, sum);
        /* (16 x0, 16 x2): the low lane's sign bits that the shift moved into the high lane cleared */
        const uint32_t e16 = ((uint32_t)e << 4) & 0xFFF0FFFFu;
        memcpy(dst, &e16, 4);
        memcpy(dst + 2, &o, 4);
#else
        dst[0] = (int16_t)(16 * src[0]);
        dst[1] = (int16_t)(16 * src[2]);
        dst[2] = src[1];
        dst[3] = src[3];
        sum += src[0] + src[1] + src[2] + src[3];
#endif
    }
    return sum;
}

/* `groups` groups of the value zp (taps outside the image). */
static inline void mcu_s4_gemm_fill(int16_t *dst, int32_t zp, int32_t groups, int32_t step)
{
    for (int32_t g = 0; g < groups; g++, dst += step) {
        dst[0] = dst[1] = (int16_t)(16 * zp);
        dst[2] = dst[3] = (int16_t)zp;
    }
}

/* Value k of the window into a pixel's slot. */
static inline void mcu_s4_gemm_put1(int16_t *slot, int32_t k, int32_t x, int32_t step)
{
    const int32_t j = k & 3;
    slot[(k >> 2) * step + (((j & 1) << 1) | (j >> 1))] = (int16_t)((j & 1) ? x : 16 * x);
}

/* Filter rows of at most this many bytes go through a row buffer at the image's edges. */
#define MCU_S4_GEMM_MAX_RUN 64

/* The window of pixel (oy, ox) into its slot; returns the sum of its values. */
static int32_t mcu_s4_gemm_window(const mcu_conv_s4_params_t *p, const int8_t *image, int32_t oy, int32_t ox,
                                  int16_t *slot, int32_t step)
{
    const int32_t in_c = p->in_c, zp = p->input_zp;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    int32_t sum = 0;
    if ((in_c & 3) == 0) { /* every tap starts a group */
        const int32_t tap_groups = in_c >> 2;
        int16_t *dst = slot;
        for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t y = y0 + ky * p->dil_h;
            for (int32_t kx = 0; kx < p->k_w; kx++, dst += tap_groups * step) {
                const int32_t xx = x0 + kx * p->dil_w;
                if (y < 0 || y >= p->in_h || xx < 0 || xx >= p->in_w) {
                    mcu_s4_gemm_fill(dst, zp, tap_groups, step);
                    sum += zp * in_c;
                    continue;
                }
                sum += mcu_s4_gemm_put(dst, image + (y * p->in_w + xx) * in_c, tap_groups, step);
            }
        }
        return sum;
    }
    const int32_t run = p->k_w * in_c;
    if ((run & 3) == 0 && p->dil_w == 1 && run <= MCU_S4_GEMM_MAX_RUN) {
        /* every filter row starts a group: whole rows from the image, or through a row buffer at the edges */
        const int32_t row_groups = run >> 2;
        const int32_t lo = x0 < 0 ? -x0 : 0, hi = x0 + p->k_w > p->in_w ? p->in_w - x0 : p->k_w;
        int16_t *dst = slot;
        for (int32_t ky = 0; ky < p->k_h; ky++, dst += row_groups * step) {
            const int32_t y = y0 + ky * p->dil_h;
            if (y < 0 || y >= p->in_h || hi <= lo) {
                mcu_s4_gemm_fill(dst, zp, row_groups, step);
                sum += zp * run;
                continue;
            }
            const int8_t *src = image + (y * p->in_w + x0) * in_c;
            if (lo == 0 && hi == p->k_w) {
                sum += mcu_s4_gemm_put(dst, src, row_groups, step);
                continue;
            }
            int8_t row[MCU_S4_GEMM_MAX_RUN];
            memset(row, zp, (size_t)run);
            memcpy(row + lo * in_c, src + lo * in_c, (size_t)((hi - lo) * in_c));
            sum += mcu_s4_gemm_put(dst, row, row_groups, step);
        }
        return sum;
    }
    int32_t k = 0;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + ky * p->dil_h;
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t xx = x0 + kx * p->dil_w;
            const int inside = y >= 0 && y < p->in_h && xx >= 0 && xx < p->in_w;
            const int8_t *src = inside ? image + (y * p->in_w + xx) * in_c : NULL;
            for (int32_t c = 0; c < in_c; c++, k++) {
                const int32_t v = inside ? src[c] : zp;
                mcu_s4_gemm_put1(slot, k, v, step);
                sum += v;
            }
        }
    }
    for (; k < 4 * p->groups; k++) {
        mcu_s4_gemm_put1(slot, k, 0, step);
    }
    return sum;
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
    int32_t t[3];          /* 44, 48, 52: 128 * each pixel's window sum */
} mcu_s4_gemm_job_t;

typedef char mcu_s4_gemm_job_layout_check[(sizeof(void *) == 4 && sizeof(mcu_s4_gemm_job_t) == 56) ? 1 : -1];

/* Registers: r0 stream, r1 scratch, r2/r3 pixel 0's sums of channels c/c+1, r4/r5 pixel 1's, r6/r7 pixel 2's,
 * r8-r11 the unpacked weight pairs, r12/lr one pixel's pair words; [sp] the job, [sp, #4], [sp, #8] the
 * scratch limits. */
#define MCU_S4_LOAD                                                                             \
    "ldr r11, [r0], #4\n\t"                                                                     \
    "and r8, r11, #0x000F000F\n\t"                                                              \
    "and r9, r11, #0x00F000F0\n\t"                                                              \
    "lsr r11, r11, #8\n\t"                                                                      \
    "and r10, r11, #0x000F000F\n\t"                                                             \
    "and r11, r11, #0x00F000F0\n\t"
#define MCU_S4_PIXEL(A, B)                                                                      \
    "ldrd r12, lr, [r1], #8\n\t"                                                                \
    "smlad " A ", r12, r8, " A "\n\t"                                                           \
    "smlad " A ", lr, r9, " A "\n\t"                                                            \
    "smlad " B ", r12, r10, " B "\n\t"                                                          \
    "smlad " B ", lr, r11, " B "\n\t"
#define MCU_S4_STEP_P2 MCU_S4_LOAD MCU_S4_PIXEL("r2", "r3") MCU_S4_PIXEL("r4", "r5")
#define MCU_S4_STEP_P3 MCU_S4_STEP_P2 MCU_S4_PIXEL("r6", "r7")

/* r12 = the job: the sums start at bias16 - t[pixel] */
#define MCU_S4_INIT_P2                                                                          \
    "ldrd r2, r3, [r0], #8\n\t"                                                                 \
    "ldrd r8, r9, [r12, #44]\n\t"                                                               \
    "sub r4, r2, r9\n\t"                                                                        \
    "sub r5, r3, r9\n\t"                                                                        \
    "sub r2, r2, r8\n\t"                                                                        \
    "sub r3, r3, r8\n\t"
#define MCU_S4_INIT_P3                                                                          \
    "ldrd r2, r3, [r0], #8\n\t"                                                                 \
    "ldrd r8, r9, [r12, #44]\n\t"                                                               \
    "ldr r10, [r12, #52]\n\t"                                                                   \
    "sub r4, r2, r9\n\t"                                                                        \
    "sub r5, r3, r9\n\t"                                                                        \
    "sub r6, r2, r10\n\t"                                                                       \
    "sub r7, r3, r10\n\t"                                                                       \
    "sub r2, r2, r8\n\t"                                                                        \
    "sub r3, r3, r8\n\t"

/* ACC = 16 acc: >> 4, requantized with M, H, E (mcu_conv_fast_requant), saturated to int8; r1 scratch */
#define MCU_S4_REQUANT(ACC, M, H, E)                                                            \
    "asr " ACC ", " ACC ", #4\n\t"                                                              \
    "add r1, " H ", " ACC "\n\t"                                                                \
    "sub r1, r1, " ACC ", lsr #31\n\t"                                                          \
    "smmlar " ACC ", " ACC ", " M ", r1\n\t"                                                    \
    "asr " ACC ", " ACC ", " E "\n\t"                                                           \
    "ssat " ACC ", #8, " ACC "\n\t"
#define MCU_S4_REQUANT_P2                                                                       \
    MCU_S4_REQUANT("r2", "r8", "r10", "r12")                                                    \
    MCU_S4_REQUANT("r4", "r8", "r10", "r12")                                                    \
    MCU_S4_REQUANT("r3", "r9", "r11", "lr")                                                     \
    MCU_S4_REQUANT("r5", "r9", "r11", "lr")                                                     \
    "uxtb r2, r2\n\t"                                                                           \
    "orr r2, r2, r3, lsl #8\n\t"                                                                \
    "uxtb r4, r4\n\t"                                                                           \
    "orr r4, r4, r5, lsl #8\n\t"
#define MCU_S4_REQUANT_P3                                                                       \
    MCU_S4_REQUANT("r6", "r8", "r10", "r12")                                                    \
    MCU_S4_REQUANT("r7", "r9", "r11", "lr")                                                     \
    "uxtb r6, r6\n\t"                                                                           \
    "orr r6, r6, r7, lsl #8\n\t" MCU_S4_REQUANT_P2
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

#define MCU_S4_GEMM_BODY(P)                                                                     \
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
    MCU_S4_STEP_##P MCU_S4_STEP_##P MCU_S4_STEP_##P MCU_S4_STEP_##P                             \
    "ldr lr, [sp, #4]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "bne 2b\n"                                                                                  \
    "3:\n\t"                                                                                    \
    "ldr lr, [sp, #8]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "beq 5f\n"                                                                                  \
    "4:\n\t"                                                                                    \
    MCU_S4_STEP_##P                                                                             \
    "ldr lr, [sp, #8]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "bne 4b\n"                                                                                  \
    "5:\n\t"                                                                                    \
    "ldrd r8, r9, [r0], #8\n\t"                                                                 \
    "ldrd r10, r11, [r0], #8\n\t"                                                               \
    "ldrd r12, lr, [r0], #8\n\t"                                                                \
    MCU_S4_REQUANT_##P                                                                          \
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

__attribute__((naked, noinline)) static void mcu_s4_gemm_p3(mcu_s4_gemm_job_t *job __attribute__((unused)))
{
    __asm__ volatile(MCU_S4_GEMM_BODY(P3));
}

__attribute__((naked, noinline)) static void mcu_s4_gemm_p2(mcu_s4_gemm_job_t *job __attribute__((unused)))
{
    __asm__ volatile(MCU_S4_GEMM_BODY(P2));
}

/* Every output channel of the block's pixels (out[2] == out[1] when pixels is 2). */
static void mcu_s4_gemm(const mcu_conv_s4_params_t *p, const int16_t *scratch, const int32_t *t, int8_t *const *out)
{
    const int32_t per_group = MCU_S4_GEMM_GROUP(p->pixels);
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
    job.t[0] = t[0];
    job.t[1] = t[1];
    job.t[2] = t[2];
    void (*pairs)(mcu_s4_gemm_job_t *) = p->pixels == 3 ? mcu_s4_gemm_p3 : mcu_s4_gemm_p2;
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

static void mcu_s4_gemm(const mcu_conv_s4_params_t *p, const int16_t *scratch, const int32_t *t, int8_t *const *out)
{
    const int32_t np = p->pixels, step = MCU_S4_GEMM_GROUP(np), groups = p->groups;
    const int32_t *q = p->stream;
    for (int32_t c = 0; c < p->out_c; c += 2) {
        uint32_t acc[3][2];
        for (int32_t i = 0; i < np; i++) {
            acc[i][0] = (uint32_t)q[0] - (uint32_t)t[i];
            acc[i][1] = (uint32_t)q[1] - (uint32_t)t[i];
        }
        const int32_t *w = q + 2;
        const int16_t *x = scratch;
        for (int32_t g = 0; g < groups; g++, x += step) {
            const uint32_t v = (uint32_t)w[g];
            for (int32_t j = 0; j < 2; j++) {
                const uint32_t u = v >> (8 * j);
                const int32_t n0 = (int32_t)(u & 15u), n1 = (int32_t)((u >> 4) & 15u);
                const int32_t n2 = (int32_t)((u >> 16) & 15u), n3 = (int32_t)((u >> 20) & 15u);
                for (int32_t i = 0; i < np; i++) {
                    const int16_t *xi = x + 4 * i;
                    acc[i][j] += (uint32_t)(xi[0] * n0 + xi[1] * n2 + 16 * (xi[2] * n1 + xi[3] * n3));
                }
            }
        }
        q += 2 + groups;
        for (int32_t j = 0; j < 2 && c + j < p->out_c; j++) {
            for (int32_t i = 0; i < np; i++) {
                const int32_t a = (int32_t)acc[i][j] >> 4;
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
    const int32_t np = p->pixels, step = MCU_S4_GEMM_GROUP(np);
    const int32_t plane = p->out_h * p->out_w;
    const int32_t total = p->batches * plane;
    const int64_t image = (int64_t)p->in_h * p->in_w * p->in_c;
    for (int32_t i = 0; i < total; i += np) {
        int32_t t[3] = {0, 0, 0};
        int8_t *out[3] = {output, output, output};
        for (int32_t k = 0; k < np; k++) {
            const int32_t j = i + k < total ? i + k : total - 1;
            const int32_t n = p->reverse ? total - 1 - j : j;
            const int32_t r = n % plane;
            const int32_t sum = mcu_s4_gemm_window(p, input + (n / plane) * image, r / p->out_w, r % p->out_w,
                                                   scratch + 4 * k, step);
            t[k] = (int32_t)((uint32_t)sum * 128u);
            out[k] = output + (int64_t)n * p->out_c;
        }
        if (np == 2) {
            t[2] = t[1];
            out[2] = out[1];
        }
        mcu_s4_gemm(p, scratch, t, out);
    }
}

/* Pixels in the order of the contract, two at a time: both windows are gathered before either pixel is
 * written (so the second pixel's input is read before the first one's output can overwrite anything). */
void mcu_conv_s4(const mcu_conv_s4_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch)
{
    if (p->stream) {
        mcu_conv_s4_gemm_run(p, input, output, scratch);
        return;
    }
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
