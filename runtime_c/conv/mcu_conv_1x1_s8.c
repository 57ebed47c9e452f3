/*
 * mcu_conv_1x1_s8.c - CONV_2D with a 1x1 filter as a matrix product, int8 (see mcu_conv.h), and the
 * product of the gathered pixels with all output channels that mcu_conv_im2col_s8.c shares.
 *
 * The product computes P = 3 (or 2) pixels x 2 output channels at a time, one group of 4 input
 * values per step (P = 3 is the most the 14 usable registers allow: 6 accumulators, 4 weight
 * pairs, 2 input words, 2 pointers). With the DSP extension a step costs, for its 24 (16) MACs:
 *   int8 weights:  20 (15) instructions: LDRD of the two channels' weight words, 4 SXTB16 (the even
 *                  and odd int8 of each word as int16 pairs), LDRD of each pixel's two pair words
 *                  (the scratch holds them split the same way) and 12 (8) SMLAD;
 *   int16 weights: 17 (12) instructions: the weights are stored as int16 pairs (twice the flash),
 *                  so two LDRD replace the SXTB16 (the generator picks this per layer, `w16`).
 * Four steps per loop turn. Then each output costs 5 instructions of requantization
 * (mcu_conv_fast_requant and SSAT), the results are packed (and clamped byte-wise with SSUB8/SEL
 * when the activation range is narrower than int8) and stored as halfwords.
 * Plain C (host, M0, M3) runs the same layouts with scalar multiply-accumulates.
 */
#include <string.h>

#include "mcu_conv.h"
#include "mcu_fixedpoint.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the fast conv kernels assume little-endian words"
#endif

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__) && defined(__OPTIMIZE__)

/* What the product loop needs (offsets fixed: the assembly below reads them). */
typedef struct {
    const int32_t *w;        /*  0: the weight stream (left after the pairs done) */
    const int16_t *x0;       /*  4: the scratch */
    const int16_t *x_main;   /*  8: the scratch after the groups of whole 4-step turns */
    const int16_t *x_end;    /* 12: the scratch after all groups */
    int8_t *out0;            /* 16: pixel 0's output of the next pair */
    int32_t d1, d2;          /* 20, 24: pixel 1's and pixel 2's output - pixel 0's */
    const int8_t *end;       /* 28: out0 after the last pair */
    uint32_t clamp;          /* 32: act range narrower than int8 */
    uint32_t lo4, hi4;       /* 36, 40: act_min, act_max in each byte */
} mcu_gemm_job_t;

/* a C99 compile-time check of the layout (a negative array size fails) */
typedef char mcu_gemm_job_layout_check[(sizeof(void *) == 4 && sizeof(mcu_gemm_job_t) == 44) ? 1 : -1];

/*
 * The channel-pair loop in assembly: gcc's code for it (ACLE intrinsics) spent 20-40 instructions
 * per pair on spills and address arithmetic around the product loop, which needs all 14 registers
 * for P = 3: r0 weight stream, r1 scratch, r2/r3 pixel 0's accumulators of channels c/c+1, r4/r5
 * pixel 1's, r6/r7 pixel 2's, r8-r11 weights, r12/lr one pixel's pair words. The job pointer and
 * the two scratch limits sit at [sp], [sp, #4], [sp, #8]. P = 2 is the same without pixel 2.
 *
 * Step of 4 input values, int8 weights (20 instructions for 24 MACs with P = 3, 15 for 16 with
 * P = 2): both channels' words, each split by SXTB16 into its even (w0,w2) and odd (w1,w3) int16
 * pairs, then each pixel's pair words against them.
 */
#define MCU_STEP_PIXEL(A, B)                                                                    \
    "ldrd r12, lr, [r1], #8\n\t"                                                                \
    "smlad " A ", r12, r8, " A "\n\t"                                                           \
    "smlad " A ", lr, r9, " A "\n\t"                                                            \
    "smlad " B ", r12, r10, " B "\n\t"                                                          \
    "smlad " B ", lr, r11, " B "\n\t"
#define MCU_STEP_P2 MCU_STEP_PIXEL("r2", "r3") MCU_STEP_PIXEL("r4", "r5")
#define MCU_STEP_P3 MCU_STEP_P2 MCU_STEP_PIXEL("r6", "r7")

#define MCU_LOAD_W8                                                                             \
    "ldrd r8, r10, [r0], #8\n\t"                                                                \
    "sxtb16 r9, r8, ror #8\n\t"                                                                 \
    "sxtb16 r8, r8\n\t"                                                                         \
    "sxtb16 r11, r10, ror #8\n\t"                                                               \
    "sxtb16 r10, r10\n\t"

/* int16 weights (17 instructions for P = 3, 12 for P = 2): each channel's two pair words. */
#define MCU_LOAD_W16                                                                            \
    "ldrd r8, r9, [r0], #8\n\t"                                                                 \
    "ldrd r10, r11, [r0], #8\n\t"

/* One accumulator (ACC) requantized with multiplier M, h H and shift E (mcu_conv_fast_requant),
   saturated to int8; r1 is scratch. */
#define MCU_REQUANT(ACC, M, H, E)                                                               \
    "add r1, " H ", " ACC "\n\t"                                                                \
    "sub r1, r1, " ACC ", lsr #31\n\t"                                                          \
    "smmlar " ACC ", " ACC ", " M ", r1\n\t"                                                    \
    "asr " ACC ", " ACC ", " E "\n\t"                                                           \
    "ssat " ACC ", #8, " ACC "\n\t"

/* The pieces that differ with P. */
#define MCU_INIT_P2                                                                             \
    "ldrd r4, r5, [r0]\n\t"                                                                     \
    "ldrd r2, r3, [r0], #8\n\t"
#define MCU_INIT_P3                                                                             \
    "ldrd r6, r7, [r0]\n\t" MCU_INIT_P2
#define MCU_REQUANT_P2                                                                          \
    MCU_REQUANT("r2", "r8", "r10", "r12")                                                       \
    MCU_REQUANT("r4", "r8", "r10", "r12")                                                       \
    MCU_REQUANT("r3", "r9", "r11", "lr")                                                        \
    MCU_REQUANT("r5", "r9", "r11", "lr")                                                        \
    "uxtb r2, r2\n\t" /* pixel 0 (c, c+1) in r2's low half, pixel 1 in r4's */                  \
    "orr r2, r2, r3, lsl #8\n\t"                                                                \
    "uxtb r4, r4\n\t"                                                                           \
    "orr r4, r4, r5, lsl #8\n\t"
#define MCU_REQUANT_P3                                                                          \
    MCU_REQUANT("r6", "r8", "r10", "r12")                                                       \
    MCU_REQUANT("r7", "r9", "r11", "lr")                                                        \
    "uxtb r6, r6\n\t" /* pixel 2 in r6's low half */                                            \
    "orr r6, r6, r7, lsl #8\n\t" MCU_REQUANT_P2
#define MCU_CLAMP_P2                                                                            \
    "pkhbt r2, r2, r4, lsl #16\n\t" /* byte-wise max(lo), min(hi): SSUB8 sets GE, SEL picks */  \
    "ldrd r8, r9, [r12, #36]\n\t"                                                               \
    "ssub8 r1, r2, r8\n\t"                                                                      \
    "sel r2, r2, r8\n\t"                                                                        \
    "ssub8 r1, r2, r9\n\t"                                                                      \
    "sel r2, r9, r2\n\t"                                                                        \
    "lsr r4, r2, #16\n\t"
#define MCU_CLAMP_P3                                                                            \
    MCU_CLAMP_P2                                                                                \
    "ssub8 r1, r6, r8\n\t"                                                                      \
    "sel r6, r6, r8\n\t"                                                                        \
    "ssub8 r1, r6, r9\n\t"                                                                      \
    "sel r6, r9, r6\n\t"
#define MCU_STORE_P2                                                                            \
    "ldr lr, [r12, #16]\n\t"                                                                    \
    "ldr r1, [r12, #20]\n\t"                                                                    \
    "strh r4, [lr, r1]\n\t"
#define MCU_STORE_P3                                                                            \
    MCU_STORE_P2                                                                                \
    "ldr r1, [r12, #24]\n\t"                                                                    \
    "strh r6, [lr, r1]\n\t"

/* void f(mcu_gemm_job_t *job): every channel pair from job->out0 to job->end. */
#define MCU_GEMM_BODY(P, LOAD)                                                                  \
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
    "1:\n\t" /* a pair of channels: accumulators from the folded biases */                      \
    "ldr r12, [sp]\n\t"                                                                         \
    MCU_INIT_##P                                                                                \
    "ldr r1, [r12, #4]\n\t"                                                                     \
    "ldr lr, [sp, #4]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "beq 3f\n"                                                                                  \
    "2:\n\t" /* four steps a turn */                                                            \
    LOAD MCU_STEP_##P LOAD MCU_STEP_##P LOAD MCU_STEP_##P LOAD MCU_STEP_##P                     \
    "ldr lr, [sp, #4]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "bne 2b\n"                                                                                  \
    "3:\n\t" /* the remaining steps */                                                          \
    "ldr lr, [sp, #8]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "beq 5f\n"                                                                                  \
    "4:\n\t"                                                                                    \
    LOAD MCU_STEP_##P                                                                           \
    "ldr lr, [sp, #8]\n\t"                                                                      \
    "cmp r1, lr\n\t"                                                                            \
    "bne 4b\n"                                                                                  \
    "5:\n\t" /* requantize: r8/r9 multipliers, r10/r11 h, r12/lr shifts of channels c/c+1 */   \
    "ldrd r8, r9, [r0], #8\n\t"                                                                 \
    "ldrd r10, r11, [r0], #8\n\t"                                                               \
    "ldrd r12, lr, [r0], #8\n\t"                                                                \
    MCU_REQUANT_##P                                                                             \
    "ldr r12, [sp]\n\t"                                                                         \
    "ldr r1, [r12, #32]\n\t"                                                                    \
    "cbz r1, 6f\n\t"                                                                            \
    MCU_CLAMP_##P                                                                               \
    "6:\n\t"                                                                                    \
    MCU_STORE_##P                                                                               \
    "strh r2, [lr], #2\n\t"                                                                     \
    "str lr, [r12, #16]\n\t"                                                                    \
    "ldr r1, [r12, #28]\n\t"                                                                    \
    "cmp lr, r1\n\t"                                                                            \
    "bne 1b\n\t"                                                                                \
    "str r0, [r12, #0]\n"                                                                       \
    "9:\n\t"                                                                                    \
    "add sp, sp, #12\n\t"                                                                       \
    "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"

#define MCU_GEMM_FUNCTION(NAME, P, LOAD)                                                        \
    __attribute__((naked, noinline)) static void NAME(mcu_gemm_job_t *job __attribute__((unused))) \
    {                                                                                           \
        __asm__ volatile(MCU_GEMM_BODY(P, LOAD));                                               \
    }

MCU_GEMM_FUNCTION(mcu_gemm_p3_w8, P3, MCU_LOAD_W8)
MCU_GEMM_FUNCTION(mcu_gemm_p3_w16, P3, MCU_LOAD_W16)
MCU_GEMM_FUNCTION(mcu_gemm_p2_w8, P2, MCU_LOAD_W8)
MCU_GEMM_FUNCTION(mcu_gemm_p2_w16, P2, MCU_LOAD_W16)

void mcu_conv_fast_gemm(const mcu_conv_fast_params_t *p, const int16_t *scratch, int8_t *out0, int8_t *out1,
                        int8_t *out2)
{
    const int32_t per_group = 4 * p->pixels; /* int16 */
    mcu_gemm_job_t job;
    job.w = p->weights;
    job.x0 = scratch;
    job.x_main = scratch + per_group * (p->k_groups & ~3);
    job.x_end = scratch + per_group * p->k_groups;
    job.out0 = out0;
    job.d1 = (int32_t)(out1 - out0);
    job.d2 = (int32_t)(out2 - out0);
    job.end = out0 + (p->out_c & ~1);
    job.clamp = p->act_min != -128 || p->act_max != 127;
    job.lo4 = (uint32_t)(uint8_t)(int8_t)p->act_min * 0x01010101u;
    job.hi4 = (uint32_t)(uint8_t)(int8_t)p->act_max * 0x01010101u;
    void (*pairs)(mcu_gemm_job_t *) = p->pixels == 3 ? (p->w16 ? mcu_gemm_p3_w16 : mcu_gemm_p3_w8)
                                                     : (p->w16 ? mcu_gemm_p2_w16 : mcu_gemm_p2_w8);
    pairs(&job);
    if (p->out_c & 1) {
        /* the last channel with the zero padding channel; only the real one is written */
        int8_t tail[6];
        job.out0 = tail;
        job.d1 = 2;
        job.d2 = 4;
        job.end = tail + 2;
        pairs(&job);
        out0[p->out_c - 1] = tail[0];
        out1[p->out_c - 1] = tail[2];
        if (p->pixels == 3) {
            out2[p->out_c - 1] = tail[4];
        }
    }
}

#else /* plain C */

#if defined(__GNUC__)
#define MCU_GEMM_INLINE __attribute__((always_inline)) inline
#else
#define MCU_GEMM_INLINE inline
#endif

/* The product for blocks of np pixels with int8 or int16 (w16) weights: constants in each of the
   four copies, so that the compiler unrolls the pixels and keeps the 6 sums in registers. */
static MCU_GEMM_INLINE void mcu_gemm_plain(const mcu_conv_fast_params_t *p, const int16_t *scratch, int8_t *out0,
                                           int8_t *out1, int8_t *out2, const int32_t np, const int w16)
{
    const int32_t *q = p->weights;
    const int32_t groups = p->k_groups;
    for (int32_t c = 0; c < p->out_c; c += 2) {
        /* unsigned sums: the same wrap-around as SMLAD, no signed overflow */
        uint32_t a00 = (uint32_t)q[0], a01 = (uint32_t)q[1];
        uint32_t a10 = a00, a11 = a01, a20 = a00, a21 = a01;
        const int32_t *w = q + 2;
        const int16_t *x = scratch;
        for (int32_t g = 0; g < groups; g++, x += 4 * np) {
            /* channel c (u) and c+1 (v) in the scratch's order x0 x2 x1 x3 */
            int32_t u0, u1, u2, u3, v0, v1, v2, v3;
            if (w16) { /* int16 halves of the words, low half first */
                u0 = (int32_t)(((uint32_t)w[0] & 0xFFFFu) ^ 0x8000u) - 0x8000, u1 = w[0] >> 16;
                u2 = (int32_t)(((uint32_t)w[1] & 0xFFFFu) ^ 0x8000u) - 0x8000, u3 = w[1] >> 16;
                v0 = (int32_t)(((uint32_t)w[2] & 0xFFFFu) ^ 0x8000u) - 0x8000, v1 = w[2] >> 16;
                v2 = (int32_t)(((uint32_t)w[3] & 0xFFFFu) ^ 0x8000u) - 0x8000, v3 = w[3] >> 16;
                w += 4;
            } else { /* bytes w0 w1 w2 w3 of c, then of c+1 */
                const int8_t *b = (const int8_t *)(const void *)w;
                u0 = b[0], u1 = b[2], u2 = b[1], u3 = b[3];
                v0 = b[4], v1 = b[6], v2 = b[5], v3 = b[7];
                w += 2;
            }
            a00 += (uint32_t)(x[0] * u0 + x[1] * u1 + x[2] * u2 + x[3] * u3);
            a01 += (uint32_t)(x[0] * v0 + x[1] * v1 + x[2] * v2 + x[3] * v3);
            a10 += (uint32_t)(x[4] * u0 + x[5] * u1 + x[6] * u2 + x[7] * u3);
            a11 += (uint32_t)(x[4] * v0 + x[5] * v1 + x[6] * v2 + x[7] * v3);
            if (np == 3) {
                a20 += (uint32_t)(x[8] * u0 + x[9] * u1 + x[10] * u2 + x[11] * u3);
                a21 += (uint32_t)(x[8] * v0 + x[9] * v1 + x[10] * v2 + x[11] * v3);
            }
        }
        q = w;
        uint32_t acc[2][3] = {{a00, a10, a20}, {a01, a11, a21}};
        int8_t *const out[3] = {out0, out1, out2};
        for (int32_t j = 0; j < 2 && c + j < p->out_c; j++) {
            for (int32_t i = 0; i < np; i++) {
                const int32_t r = mcu_conv_fast_requant((int32_t)acc[j][i], q[j], q[2 + j], q[4 + j]);
                out[i][c + j] = (int8_t)MCU_CLAMP(r, p->act_min, p->act_max);
            }
        }
        q += 6;
    }
}

void mcu_conv_fast_gemm(const mcu_conv_fast_params_t *p, const int16_t *scratch, int8_t *out0, int8_t *out1,
                        int8_t *out2)
{
    if (p->pixels == 3) {
        if (p->w16) {
            mcu_gemm_plain(p, scratch, out0, out1, out2, 3, 1);
        } else {
            mcu_gemm_plain(p, scratch, out0, out1, out2, 3, 0);
        }
    } else if (p->w16) {
        mcu_gemm_plain(p, scratch, out0, out1, out2, 2, 1);
    } else {
        mcu_gemm_plain(p, scratch, out0, out1, out2, 2, 0);
    }
}

#endif /* __ARM_FEATURE_DSP */

#if defined(MCU_CONV_MVE)
/*
 * Helium: 4 pixels x 1 output channel at a time. Per 16 window values one weight vector and four
 * row vectors (VLDRB), four VMLADAVA (16 int8 products summed into a scalar, modulo 2^32 like SMLAD);
 * the tail (K not a multiple of 16) is predicated, so no byte past a row is read. The four sums of a
 * channel are requantized as one vector, the scalar mcu_conv_fast_requant lane by lane:
 * t = h + acc + [acc < 0 ? -1 : 0], SMMLAR(acc, m2, t) = t + VRMULH(acc, m2) (VRMULH is SMMULR per lane,
 * the rounding high half of the 64-bit product), >> e, then the clamp, and one scatter store of the
 * four bytes (byte offsets of the pixels from the lowest one).
 */
void mcu_conv_fast_gemm4(const mcu_conv_fast_params_t *p, const int8_t *rows, int8_t *const out[4])
{
    const int32_t k = 4 * p->k_groups;
    const int8_t *x0 = rows, *x1 = rows + k, *x2 = rows + 2 * k, *x3 = rows + 3 * k;
    int8_t *base = out[0];
    for (int32_t j = 1; j < 4; j++) {
        base = out[j] < base ? out[j] : base;
    }
    uint32x4_t offs = vdupq_n_u32((uint32_t)(out[0] - base));
    offs = vsetq_lane_u32((uint32_t)(out[1] - base), offs, 1);
    offs = vsetq_lane_u32((uint32_t)(out[2] - base), offs, 2);
    offs = vsetq_lane_u32((uint32_t)(out[3] - base), offs, 3);
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int32_t *q = p->weights;
    const int32_t step = 4 + p->k_groups;
    for (int32_t c = 0; c < p->out_c; c++, q += step) {
        const int8_t *w = (const int8_t *)(const void *)(q + 4);
        const int8_t *r0 = x0, *r1 = x1, *r2 = x2, *r3 = x3;
        int32_t a0 = q[0], a1 = q[0], a2 = q[0], a3 = q[0];
        for (int32_t i = k >> 4; i > 0; i--) {
            const int8x16_t wv = vld1q_s8(w);
            w += 16;
            a0 = vmladavaq_s8(a0, vld1q_s8(r0), wv);
            r0 += 16;
            a1 = vmladavaq_s8(a1, vld1q_s8(r1), wv);
            r1 += 16;
            a2 = vmladavaq_s8(a2, vld1q_s8(r2), wv);
            r2 += 16;
            a3 = vmladavaq_s8(a3, vld1q_s8(r3), wv);
            r3 += 16;
        }
        if (k & 15) { /* the tail, predicated: no byte past a row is read */
            const mve_pred16_t pr = vctp8q((uint32_t)(k & 15));
            const int8x16_t wv = vldrbq_z_s8(w, pr);
            a0 = vmladavaq_s8(a0, vldrbq_z_s8(r0, pr), wv);
            a1 = vmladavaq_s8(a1, vldrbq_z_s8(r1, pr), wv);
            a2 = vmladavaq_s8(a2, vldrbq_z_s8(r2, pr), wv);
            a3 = vmladavaq_s8(a3, vldrbq_z_s8(r3, pr), wv);
        }
        int32x4_t acc = vdupq_n_s32(a0);
        acc = vsetq_lane_s32(a1, acc, 1);
        acc = vsetq_lane_s32(a2, acc, 2);
        acc = vsetq_lane_s32(a3, acc, 3);
        /* unsigned adds: the same wrap-around as the scalar path's */
        uint32x4_t t = vaddq_u32(vreinterpretq_u32_s32(acc), vdupq_n_u32((uint32_t)q[2]));
        t = vaddq_u32(t, vreinterpretq_u32_s32(vshrq_n_s32(acc, 31)));
        t = vaddq_u32(t, vreinterpretq_u32_s32(vrmulhq_s32(acc, vdupq_n_s32(q[1]))));
        int32x4_t r = vshlq_s32(vreinterpretq_s32_u32(t), vdupq_n_s32(-q[3]));
        r = vminq_s32(vmaxq_s32(r, lo), hi);
        vstrbq_scatter_offset_s32(base + c, offs, r);
    }
}
#endif /* MCU_CONV_MVE */

int32_t mcu_conv_1x1_s8_get_buffer_size(int32_t in_c, int32_t pixels)
{
    /* `pixels` int16 slots of 4 * ceil(in_c / 4) values (pixels = 4: 4 byte rows of as many values) */
    return (pixels == 4 ? 16 : 8 * pixels) * ((in_c + 3) / 4);
}

#if defined(__GNUC__)
#define MCU_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define MCU_ALWAYS_INLINE inline
#endif

/* The input values of output pixel n into a slot of the scratch (offsets are int32: tensors are
   smaller than 2 GB). */
static MCU_ALWAYS_INLINE void mcu_gather_1x1(const mcu_conv_fast_params_t *p, const int8_t *input, int32_t n,
                                             int16_t *slot, const int32_t np)
{
    const int8_t *src;
    if (p->stride_h == 1 && p->stride_w == 1) {
        src = input + n * p->in_c;
    } else {
        const int32_t plane = p->out_h * p->out_w;
        const int32_t b = n / plane;
        const int32_t r = n - b * plane;
        const int32_t oy = r / p->out_w;
        const int32_t ox = r - oy * p->out_w;
        src = input + ((b * p->in_h + oy * p->stride_h) * p->in_w + ox * p->stride_w) * p->in_c;
    }
    const int32_t full = p->in_c >> 2;
    mcu_conv_fast_put(slot, src, full, np);
    if (p->in_c & 3) {
        int8_t tail[4] = {0, 0, 0, 0};
        for (int32_t i = 0; i < (p->in_c & 3); i++) {
            tail[i] = src[4 * full + i];
        }
        mcu_conv_fast_put(slot + mcu_conv_fast_group_step(np) * full, tail, 1, np);
    }
}

/* The kernel for blocks of np pixels (a constant in each of its two copies). */
static MCU_ALWAYS_INLINE void mcu_conv_1x1_run(const mcu_conv_fast_params_t *p, const int8_t *input,
                                               int8_t *output, int16_t *scratch, const int32_t np)
{
    const int32_t total = p->batches * p->out_h * p->out_w;
    for (int32_t i = 0; i < total; i += np) {
        int32_t n[4] = {0, 0, 0, 0};
        for (int32_t k = 0; k < np; k++) {
            const int32_t j = i + k < total ? i + k : total - 1;
            n[k] = p->reverse ? total - 1 - j : j;
            mcu_gather_1x1(p, input, n[k], scratch + mcu_conv_fast_slot(k, p->k_groups, np), np);
        }
#if defined(MCU_CONV_MVE)
        if (np == 4) {
            int8_t *const out[4] = {output + n[0] * p->out_c, output + n[1] * p->out_c, output + n[2] * p->out_c,
                                    output + n[3] * p->out_c};
            mcu_conv_fast_gemm4(p, (const int8_t *)(const void *)scratch, out);
            continue;
        }
#endif
        if (np == 2) {
            n[2] = n[1];
        }
        mcu_conv_fast_gemm(p, scratch, output + n[0] * p->out_c, output + n[1] * p->out_c, output + n[2] * p->out_c);
    }
}

void mcu_conv_1x1_s8(const mcu_conv_fast_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch)
{
#if defined(MCU_CONV_MVE)
    if (p->pixels == 4) {
        mcu_conv_1x1_run(p, input, output, scratch, 4);
        return;
    }
#endif
    if (p->pixels == 3) {
        mcu_conv_1x1_run(p, input, output, scratch, 3);
    } else {
        mcu_conv_1x1_run(p, input, output, scratch, 2);
    }
}
