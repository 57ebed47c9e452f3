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
 * Plain C runs the same layouts with scalar multiply-accumulates (the fallback of cores without DSP).
 * Cores without DSP normally get the pair-word layout (pixels = 1, mcu_conv_pairs_pixel below): one 64-bit
 * multiply-accumulate (SMLAL) per channel pair and input value on Armv7-M, in assembly.
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
 * Helium: 4 pixels x 2 output channels a pass, in assembly (a naked function: the 8 accumulators need all
 * 8 even general registers, VMLADAVA's only accumulators). Per step of 16 window values: the 4 pixels' row
 * vectors and the 2 channels' weight vectors (6 VLDRB), 8 VMLADAVA.S8 (16 int8 products summed into a
 * general register, modulo 2^32 like SMLAD), 2 for the loop: 16 instructions for 128 MACs. A last step of
 * 4, 8 or 12 values loads the rows predicated (VCTP; the weights are padded with zeros to the step), so
 * nothing past a row is read. Then the two channels' 4 sums go to two vectors (STM, two VLDRW) and
 * are requantized as mcu_conv_fast_requant does, lane by lane: VQRDMULH by TFLM's multiplier M is
 * floor((acc * M + 2^30) / 2^31) (SMMLAR's v), + [acc < 0 ? -1 : 0] (VSHR #31), + h, >> e (VSHL by -e),
 * then the clamp and one scatter store of the 4 bytes per channel (offsets of the pixels from the lowest).
 */
typedef struct {
    const int32_t *w;     /*  0: the stream, at the next pair */
    const int8_t *rows;   /*  4: row 0 (row k at rows + k * k4) */
    int32_t k4;           /*  8: bytes per row */
    int32_t steps;        /* 12: whole steps of 16 */
    int32_t tail;         /* 16: k4 % 16 */
    int8_t *base;         /* 20: the lowest of the 4 pixels' outputs, at channel c */
    int32_t pairs;        /* 24: pairs left */
    int32_t pad;          /* 28 */
    uint32_t offs[4];     /* 32: pixel k's output - base */
    int32_t lo[4];        /* 48 */
    int32_t hi[4];        /* 64 */
} mcu_gemm4_job_t;

typedef char mcu_gemm4_job_layout_check[(sizeof(void *) == 4 && sizeof(mcu_gemm4_job_t) == 80) ? 1 : -1];

#define MCU_G4_MAC                                                                                   \
    "vmladava.s8 r0, q0, q4\n\t"                                                                     \
    "vmladava.s8 r2, q1, q4\n\t"                                                                     \
    "vmladava.s8 r4, q2, q4\n\t"                                                                     \
    "vmladava.s8 r6, q3, q4\n\t"                                                                     \
    "vmladava.s8 r8, q0, q5\n\t"                                                                     \
    "vmladava.s8 r10, q1, q5\n\t"                                                                    \
    "vmladava.s8 r12, q2, q5\n\t"                                                                    \
    "vmladava.s8 lr, q3, q5\n\t"

/* Every pair from job->w / job->base on (job->pairs >= 1). r1, r5, r7, r9: the 4 rows; r3: the stream;
   r11: the step count; [sp]: the job. */
__attribute__((naked, noinline)) static void mcu_gemm4_pairs(mcu_gemm4_job_t *job __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"
        "vpush {d8, d9, d10, d11, d12, d13, d14, d15}\n\t" /* q4-q7 are callee-saved */
        "sub sp, sp, #40\n\t" /* [sp]: the job; [sp, #8]: 8 sums */
        "str r0, [sp]\n\t"
        "vldrw.32 q6, [r0, #48]\n\t"
        "vldrw.32 q7, [r0, #64]\n\t"
        "ldr r3, [r0, #0]\n"
        "1:\n\t" /* a pair: rows, accumulators from the biases */
        "ldr r0, [sp]\n\t"
        "ldr r1, [r0, #4]\n\t"
        "ldr r2, [r0, #8]\n\t"
        "ldr r11, [r0, #12]\n\t"
        "add r5, r1, r2\n\t"
        "add r7, r5, r2\n\t"
        "add r9, r7, r2\n\t"
        "ldrd r0, r8, [r3], #8\n\t"
        "mov r2, r0\n\t"
        "mov r4, r0\n\t"
        "mov r6, r0\n\t"
        "mov r10, r8\n\t"
        "mov r12, r8\n\t"
        "mov lr, r8\n\t"
        "cmp r11, #0\n\t"
        "beq 3f\n"
        "2:\n\t"
        "vldrb.8 q0, [r1], #16\n\t"
        "vldrb.8 q1, [r5], #16\n\t"
        "vldrb.8 q2, [r7], #16\n\t"
        "vldrb.8 q3, [r9], #16\n\t"
        "vldrb.8 q4, [r3], #16\n\t"
        "vldrb.8 q5, [r3], #16\n\t" MCU_G4_MAC
        "subs r11, r11, #1\n\t"
        "bne 2b\n"
        "3:\n\t"
        "ldr r11, [sp]\n\t"
        "ldr r11, [r11, #16]\n\t"
        "cmp r11, #0\n\t"
        "beq 4f\n\t"
        "vctp.8 r11\n\t"
        "vpstttt\n\t"
        "vldrbt.8 q0, [r1]\n\t"
        "vldrbt.8 q1, [r5]\n\t"
        "vldrbt.8 q2, [r7]\n\t"
        "vldrbt.8 q3, [r9]\n\t"
        "vldrb.8 q4, [r3], #16\n\t"
        "vldrb.8 q5, [r3], #16\n\t" MCU_G4_MAC
        "4:\n\t" /* requantize: q0 channel c's 4 sums, q1 channel c + 1's */
        "add r11, sp, #8\n\t"       /* through the stack: pixel k's sums in lane k */
        "stm r11, {r0, r2, r4, r6, r8, r10, r12, lr}\n\t"
        "vldrw.32 q0, [r11]\n\t"
        "vldrw.32 q1, [r11, #16]\n\t"
        "ldrd r0, r2, [r3], #8\n\t"   /* M */
        "ldrd r4, r6, [r3], #8\n\t"   /* h */
        "ldrd r8, r10, [r3], #8\n\t"  /* -e */
        "vqrdmulh.s32 q2, q0, r0\n\t"
        "vshr.s32 q3, q0, #31\n\t"
        "vadd.i32 q2, q2, q3\n\t"
        "vadd.i32 q2, q2, r4\n\t"
        "vshl.s32 q2, r8\n\t"
        "vmax.s32 q2, q2, q6\n\t"
        "vmin.s32 q2, q2, q7\n\t"
        "vqrdmulh.s32 q4, q1, r2\n\t"
        "vshr.s32 q3, q1, #31\n\t"
        "vadd.i32 q4, q4, q3\n\t"
        "vadd.i32 q4, q4, r6\n\t"
        "vshl.s32 q4, r10\n\t"
        "vmax.s32 q4, q4, q6\n\t"
        "vmin.s32 q4, q4, q7\n\t"
        "ldr r11, [sp]\n\t"
        "vldrw.32 q5, [r11, #32]\n\t"
        "ldr r0, [r11, #20]\n\t"
        "vstrb.32 q2, [r0, q5]\n\t"
        "adds r0, r0, #1\n\t"
        "vstrb.32 q4, [r0, q5]\n\t"
        "adds r0, r0, #1\n\t"
        "str r0, [r11, #20]\n\t"
        "ldr r0, [r11, #24]\n\t"
        "subs r0, r0, #1\n\t"
        "str r0, [r11, #24]\n\t"
        "bne 1b\n\t"
        "str r3, [r11, #0]\n\t"
        "add sp, sp, #40\n\t"
        "vpop {d8, d9, d10, d11, d12, d13, d14, d15}\n\t"
        "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t");
}

void mcu_conv_fast_gemm4(const mcu_conv_fast_params_t *p, const int8_t *rows, int8_t *const out[4])
{
    mcu_gemm4_job_t job;
    int8_t *base = out[0];
    for (int32_t j = 1; j < 4; j++) {
        base = out[j] < base ? out[j] : base;
    }
    job.w = p->weights;
    job.rows = rows;
    job.k4 = 4 * p->k_groups;
    job.steps = job.k4 >> 4;
    job.tail = job.k4 & 15;
    job.base = base;
    job.pairs = p->out_c >> 1;
    job.pad = 0;
    for (int32_t j = 0; j < 4; j++) {
        job.offs[j] = (uint32_t)(out[j] - base);
        job.lo[j] = p->act_min;
        job.hi[j] = p->act_max;
    }
    if (job.pairs > 0) {
        mcu_gemm4_pairs(&job);
    }
    if (p->out_c & 1) {
        /* the last channel with the zero padding channel, into a buffer; only the real one is written */
        int8_t tail[8];
        job.base = tail;
        job.pairs = 1;
        for (int32_t j = 0; j < 4; j++) {
            job.offs[j] = (uint32_t)(2 * j);
        }
        mcu_gemm4_pairs(&job);
        for (int32_t j = 0; j < 4; j++) {
            out[j][p->out_c - 1] = tail[2 * j];
        }
    }
}
#endif /* MCU_CONV_MVE */

#if !defined(MCU_CONV_MVE)
/*
 * The pair-word layout (pixels = 1; see mcu_conv.h): cores without DSP, and FULLY_CONNECTED's speed layout on
 * cores with DSP (mcu_conv_1x1_pairs_s8; the same SMLAL, which the DSP extension does not improve on). Per block of nb <= 3 channel
 * pairs, one pass over the pixel's K input values: each value is multiplied with each pair's word W =
 * w_a + w_b * 2^23, which adds x * w_a and x * w_b * 2^23 to the pair's 64-bit sum S: two MACs. Then
 * (2A, 2B) from S: 2A = 2 * (the low 23 bits of S, sign-extended), 2B = floor(S / 2^22) + [A < 0]
 * (|A| < 2^22), and each doubled accumulator a = 2 * acc (2A + 2 bias_a, 2B) is requantized as
 * out = (K + [a < 0 ? -1 : 0] + floor((a * M + 2^31) / 2^32)) >> e, saturated to int8: TFLM's
 * requantization for e >= 1 (fast_requant_table in mcugen/ops/conv.py; the generator checks |acc| < 2^30
 * and the sum's range). A narrower activation range is applied to the pixel's bytes afterwards.
 */
#define MCU_PAIR_SHIFT 23
#define MCU_PAIR_INT8_MIN (-128) /* the int8 saturation of the kernel's outputs */
#define MCU_PAIR_INT8_MAX 127

/* What a pass over one pixel needs (offsets fixed: the assembly reads them). */
typedef struct {
    const int8_t *x;         /*  0: the pixel's K input values */
    const int8_t *x_end;     /*  4: x + K */
    const int8_t *x_mid;     /*  8: x + K % 8 (the single steps before the turns of 8) */
    const int32_t *w;        /* 12: the stream at the next block (advanced) */
    int8_t *out;             /* 16: the next output byte (advanced) */
    int32_t blocks;          /* 20: blocks of nb pairs left (counted down) */
} mcu_pairs_job_t;

#if defined(__GNUC__) && defined(__thumb2__) && defined(__OPTIMIZE__)
/* a C99 compile-time check of the layout (a negative array size fails) */
typedef char mcu_pairs_job_layout_check[(sizeof(void *) == 4 && sizeof(mcu_pairs_job_t) == 24) ? 1 : -1];

/*
 * Armv7-M (Cortex-M3): blocks of nb pairs in assembly, void f(mcu_pairs_job_t *job). Per input value one
 * LDRSB, one load of the block's nb words (LDM) and nb SMLAL (32 x 32 + 64 -> 64): 5 instructions for
 * 6 MACs with nb = 3, eight values a loop turn after the K % 8 single ones. Registers in the product:
 * r0-r5 the sums, r6 the value, r7-r9 the words, r10 the stream, r11 the input, r12 its end, lr the end
 * of the single steps; [sp] the job. Then per pair 17 instructions: the two doubled accumulators, and
 * for each its M, K, e and the rounding 2^31 (one LDM), the SMLAL requantization, SSAT and the byte store
 * (r11 the output).
 */
#define MCU_PAIR_STEP3                                                                          \
    "ldrsb r6, [r11], #1\n\t"                                                                   \
    "ldm r10!, {r7, r8, r9}\n\t"                                                                \
    "smlal r0, r1, r6, r7\n\t"                                                                  \
    "smlal r2, r3, r6, r8\n\t"                                                                  \
    "smlal r4, r5, r6, r9\n\t"
#define MCU_PAIR_STEP2                                                                          \
    "ldrsb r6, [r11], #1\n\t"                                                                   \
    "ldrd r7, r8, [r10], #8\n\t"                                                                \
    "smlal r0, r1, r6, r7\n\t"                                                                  \
    "smlal r2, r3, r6, r8\n\t"
#define MCU_PAIR_STEP1                                                                          \
    "ldrsb r6, [r11], #1\n\t"                                                                   \
    "ldr r7, [r10], #4\n\t"                                                                     \
    "smlal r0, r1, r6, r7\n\t"
#define MCU_PAIR_REGS3 "{r0, r1, r2, r3, r4, r5}"
#define MCU_PAIR_REGS2 "{r0, r1, r2, r3}"
#define MCU_PAIR_REGS1 "{r0, r1}"

/* One doubled accumulator A2 out: r7 M, r8 K, r9 e, r12 2^31 (loaded together). */
#define MCU_PAIR_RQ(A2)                                                                         \
    "add r8, r8, " A2 ", asr #31\n\t"                                                           \
    "smlal r12, r8, " A2 ", r7\n\t"                                                             \
    "asr r8, r8, r9\n\t"                                                                        \
    "ssat r8, #8, r8\n\t"                                                                       \
    "strb r8, [r11], #1\n\t"

/* The pair whose sum is in (LO, HI): 2A in r6, 2B in HI, then both outputs (LO: 2 bias_a). */
#define MCU_PAIR_OUT(LO, HI)                                                                    \
    "sbfx r6, " LO ", #0, #23\n\t"                                                              \
    "lsr " LO ", " LO ", #22\n\t"                                                               \
    "orr " LO ", " LO ", " HI ", lsl #10\n\t"                                                   \
    "add " HI ", " LO ", r6, lsr #31\n\t"                                                       \
    "ldm r10!, {" LO ", r7, r8, r9, r12}\n\t"                                                   \
    "add r6, " LO ", r6, lsl #1\n\t"                                                            \
    MCU_PAIR_RQ("r6")                                                                           \
    "ldm r10!, {r7, r8, r9, r12}\n\t"                                                           \
    MCU_PAIR_RQ(HI)
#define MCU_PAIR_OUT3 MCU_PAIR_OUT("r0", "r1") MCU_PAIR_OUT("r2", "r3") MCU_PAIR_OUT("r4", "r5")
#define MCU_PAIR_OUT2 MCU_PAIR_OUT("r0", "r1") MCU_PAIR_OUT("r2", "r3")
#define MCU_PAIR_OUT1 MCU_PAIR_OUT("r0", "r1")

#define MCU_PAIR_FUNCTION(NB)                                                                   \
    __attribute__((naked, noinline)) static void mcu_pairs_blocks##NB(                          \
        mcu_pairs_job_t *job __attribute__((unused)))                                           \
    {                                                                                           \
        __asm__ volatile(                                                                       \
            "push {r0, r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"                                \
            "ldr r10, [r0, #12]\n"                                                              \
            "1:\n\t" /* a block: the start values, the input */                                 \
            "ldm r10!, " MCU_PAIR_REGS##NB "\n\t"                                               \
            "ldr lr, [sp]\n\t"                                                                  \
            "ldr r11, [lr, #0]\n\t"                                                             \
            "ldr r12, [lr, #4]\n\t"                                                             \
            "ldr lr, [lr, #8]\n\t"                                                              \
            "cmp r11, lr\n\t"                                                                   \
            "beq 3f\n"                                                                          \
            "2:\n\t" MCU_PAIR_STEP##NB                                                           \
            "cmp r11, lr\n\t"                                                                   \
            "bne 2b\n"                                                                          \
            "3:\n\t"                                                                            \
            "cmp r11, r12\n\t"                                                                  \
            "beq 5f\n"                                                                          \
            "4:\n\t" MCU_PAIR_STEP##NB MCU_PAIR_STEP##NB MCU_PAIR_STEP##NB MCU_PAIR_STEP##NB      \
                MCU_PAIR_STEP##NB MCU_PAIR_STEP##NB MCU_PAIR_STEP##NB MCU_PAIR_STEP##NB          \
            "cmp r11, r12\n\t"                                                                  \
            "bne 4b\n"                                                                          \
            "5:\n\t" /* the outputs */                                                          \
            "ldr lr, [sp]\n\t"                                                                  \
            "ldr r11, [lr, #16]\n\t" MCU_PAIR_OUT##NB                                           \
            "ldr lr, [sp]\n\t"                                                                  \
            "str r11, [lr, #16]\n\t"                                                            \
            "ldr r6, [lr, #20]\n\t"                                                             \
            "subs r6, r6, #1\n\t"                                                               \
            "str r6, [lr, #20]\n\t"                                                             \
            "bne 1b\n\t"                                                                        \
            "str r10, [lr, #12]\n\t"                                                            \
            "pop {r0, r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t");                               \
    }

MCU_PAIR_FUNCTION(3)
MCU_PAIR_FUNCTION(2)
MCU_PAIR_FUNCTION(1)

#else /* portable C (Armv6-M, the host) */

#if defined(__GNUC__)
#define MCU_PAIR_INLINE __attribute__((always_inline)) inline
#else
#define MCU_PAIR_INLINE inline
#endif

/* int32 from its two's complement bits, without an implementation-defined conversion */
static inline int32_t mcu_pair_s32(uint32_t v)
{
    return v <= 0x7FFFFFFFu ? (int32_t)v : -(int32_t)(~v) - 1;
}

/* The requantization of a doubled accumulator a (see above), saturated to int8; q = M, K, e. */
static inline int8_t mcu_pair_rq(uint32_t a, const int32_t *q)
{
    const int32_t a2 = mcu_pair_s32(a);
#if defined(MCU_MUL16) /* no 64-bit product on Thumb-1: the same high word from 16-bit halves */
    const uint32_t t = (uint32_t)mcu_mulhi_round16(a2, q[0]) + (uint32_t)q[1] - (a2 < 0 ? 1u : 0u);
#else
    const uint64_t sum = (uint64_t)((int64_t)a2 * q[0]) + 0x80000000u; /* modulo 2^64 */
    const uint32_t t = (uint32_t)(sum >> 32) + (uint32_t)q[1] - (a2 < 0 ? 1u : 0u);
#endif
    const int32_t r = mcu_pair_s32(t) >> q[2];
    return (int8_t)MCU_CLAMP(r, MCU_PAIR_INT8_MIN, MCU_PAIR_INT8_MAX);
}

/* The same sums without a 64-bit product (Armv6-M has only a 32-bit MULS): s = S modulo 2^32 from x * W,
 * and b = B itself from x * w_b ((W + 2^22) >> 23 is w_b exactly, |w_a| < 2^22); A is then s - b * 2^23
 * modulo 2^32. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__thumb__) && !defined(__thumb2__) && defined(__OPTIMIZE__)
/*
 * Armv6-M (Cortex-M0), gcc: the pass over the K values in assembly (gcc's C kept the sums in memory).
 * const int32_t *f(const int8_t *x_end, int32_t minus_k, const int32_t *w, uint32_t *sb): sb holds (s, b)
 * per pair, in and out; per value one LDRSB (x_end[i], i from -K up to 0) and per pair its word (LDM), t =
 * (W + 2^22) >> 23, b += x * t, s += x * W: 6 instructions per pair (MULS, ADD to a high register). The
 * sums in r8-r12 and lr, r0 x_end, r1 i, r2 the stream, r3 2^22, r4 the value, r5/r6 the words, r7 t.
 */
#define MCU_PAIR_V6M_MAC(W, S, B)                                                               \
    "adds r7, " W ", r3\n\t"                                                                    \
    "asrs r7, r7, #23\n\t"                                                                      \
    "muls r7, r4, r7\n\t"                                                                       \
    "add " B ", r7\n\t"                                                                         \
    "muls " W ", r4, " W "\n\t"                                                                 \
    "add " S ", " W "\n\t"
#define MCU_PAIR_V6M_STEP3                                                                      \
    "ldmia r2!, {r5, r6}\n\t" MCU_PAIR_V6M_MAC("r5", "r8", "r9") MCU_PAIR_V6M_MAC("r6", "r10", "r11") \
    "ldmia r2!, {r5}\n\t" MCU_PAIR_V6M_MAC("r5", "r12", "lr")
#define MCU_PAIR_V6M_STEP2                                                                      \
    "ldmia r2!, {r5, r6}\n\t" MCU_PAIR_V6M_MAC("r5", "r8", "r9") MCU_PAIR_V6M_MAC("r6", "r10", "r11")
#define MCU_PAIR_V6M_STEP1 "ldmia r2!, {r5}\n\t" MCU_PAIR_V6M_MAC("r5", "r8", "r9")

#define MCU_PAIR_V6M_FUNCTION(NB)                                                               \
    __attribute__((naked, noinline)) static const int32_t *mcu_pairs_pass_v6m##NB(              \
        const int8_t *x_end __attribute__((unused)), int32_t minus_k __attribute__((unused)),   \
        const int32_t *w __attribute__((unused)), uint32_t *sb __attribute__((unused)))         \
    {                                                                                           \
        __asm__ volatile(/* gcc wraps Thumb-1 inline assembly in divided syntax */               \
            ".syntax unified\n\t"                                                               \
            "push {r4, r5, r6, r7, lr}\n\t"                                                     \
            "mov r4, r8\n\t"                                                                    \
            "mov r5, r9\n\t"                                                                    \
            "mov r6, r10\n\t"                                                                   \
            "mov r7, r11\n\t"                                                                   \
            "push {r3, r4, r5, r6, r7}\n\t"                                                     \
            "ldmia r3!, {r4, r5, r6, r7}\n\t"                                                   \
            "mov r8, r4\n\t"                                                                    \
            "mov r9, r5\n\t"                                                                    \
            "mov r10, r6\n\t"                                                                   \
            "mov r11, r7\n\t"                                                                   \
            "ldmia r3!, {r4, r5}\n\t"                                                           \
            "mov r12, r4\n\t"                                                                   \
            "mov lr, r5\n\t"                                                                    \
            "movs r3, #1\n\t"                                                                   \
            "lsls r3, r3, #22\n"                                                                 \
            "1:\n\t"                                                                            \
            "ldrsb r4, [r0, r1]\n\t" MCU_PAIR_V6M_STEP##NB                                       \
            "adds r1, r1, #1\n\t"                                                               \
            "bne 1b\n\t"                                                                        \
            "pop {r3}\n\t"                                                                      \
            "mov r4, r8\n\t"                                                                    \
            "mov r5, r9\n\t"                                                                    \
            "mov r6, r10\n\t"                                                                   \
            "mov r7, r11\n\t"                                                                   \
            "stmia r3!, {r4, r5, r6, r7}\n\t"                                                   \
            "mov r4, r12\n\t"                                                                   \
            "mov r5, lr\n\t"                                                                    \
            "stmia r3!, {r4, r5}\n\t"                                                           \
            "movs r0, r2\n\t"                                                                   \
            "pop {r4, r5, r6, r7}\n\t"                                                          \
            "mov r8, r4\n\t"                                                                    \
            "mov r9, r5\n\t"                                                                    \
            "mov r10, r6\n\t"                                                                   \
            "mov r11, r7\n\t"                                                                   \
            "pop {r4, r5, r6, r7, pc}\n\t"                                                      \
            ".syntax divided\n\t");                                                             \
    }

MCU_PAIR_V6M_FUNCTION(3)
MCU_PAIR_V6M_FUNCTION(2)
MCU_PAIR_V6M_FUNCTION(1)
#define MCU_PAIR_V6M 1
#endif

static MCU_PAIR_INLINE void mcu_pairs_blocks_c(mcu_pairs_job_t *job, const int32_t nb)
{
    const int32_t *w = job->w;
    int8_t *out = job->out;
    const int8_t *const x = job->x;
    const int32_t k = (int32_t)(job->x_end - x);
    for (; job->blocks > 0; job->blocks--) {
        uint32_t sb[6] = {0, 0, 0, 0, 0, 0}; /* per pair s, b */
        for (int32_t j = 0; j < nb; j++) {
            const uint32_t lo = (uint32_t)w[2 * j], hi = (uint32_t)w[2 * j + 1];
            sb[2 * j] = lo;
            sb[2 * j + 1] = (lo >> MCU_PAIR_SHIFT) | (hi << (32 - MCU_PAIR_SHIFT));
        }
        w += 2 * nb;
#if defined(MCU_PAIR_V6M)
        if (k > 0) {
            w = nb == 3 ? mcu_pairs_pass_v6m3(job->x_end, -k, w, sb)
                        : (nb == 2 ? mcu_pairs_pass_v6m2(job->x_end, -k, w, sb) : mcu_pairs_pass_v6m1(job->x_end, -k, w, sb));
        }
#else
        for (int32_t i = 0; i < k; i++, w += nb) {
            const int32_t xv = x[i];
            for (int32_t j = 0; j < nb; j++) {
                const int32_t word = w[j];
                sb[2 * j] += (uint32_t)xv * (uint32_t)word;
                sb[2 * j + 1] += (uint32_t)(xv * ((word + (1 << (MCU_PAIR_SHIFT - 1))) >> MCU_PAIR_SHIFT));
            }
        }
#endif
        for (int32_t j = 0; j < nb; j++, w += 9) {
            const uint32_t a = sb[2 * j] - (sb[2 * j + 1] << MCU_PAIR_SHIFT);
            *out++ = mcu_pair_rq(2u * a + (uint32_t)w[0], w + 1);
            *out++ = mcu_pair_rq(2u * sb[2 * j + 1], w + 5);
        }
    }
    job->w = w;
    job->out = out;
}

static void mcu_pairs_blocks3(mcu_pairs_job_t *job)
{
    mcu_pairs_blocks_c(job, 3);
}

static void mcu_pairs_blocks2(mcu_pairs_job_t *job)
{
    mcu_pairs_blocks_c(job, 2);
}

static void mcu_pairs_blocks1(mcu_pairs_job_t *job)
{
    mcu_pairs_blocks_c(job, 1);
}
#endif

void mcu_conv_pairs_pixel(const int32_t *weights, int32_t out_c, int32_t k, int32_t act_min, int32_t act_max,
                          const int8_t *x, int8_t *out)
{
    const int32_t pairs = (out_c + 1) >> 1;
    mcu_pairs_job_t job;
    job.x = x;
    job.x_end = x + k;
    job.x_mid = x + (k & 7);
    job.w = weights;
    job.out = out;
    int32_t full = pairs / 3, rest = pairs - 3 * full; /* blocks of 3 pairs written in place, the rest */
    if (rest == 0 && (out_c & 1)) { /* the padding channel is in the last block */
        full--;
        rest = 3;
    }
    job.blocks = full;
    if (full > 0) {
        mcu_pairs_blocks3(&job);
    }
    if (rest > 0) { /* the last 1 to 3 pairs (with an odd out_c, the padding channel: through a buffer) */
        int8_t tail[6];
        if (out_c & 1) {
            job.out = tail;
        }
        job.blocks = 1;
        if (rest == 3) {
            mcu_pairs_blocks3(&job);
        } else if (rest == 2) {
            mcu_pairs_blocks2(&job);
        } else {
            mcu_pairs_blocks1(&job);
        }
        for (int32_t i = 6 * full; i < out_c && (out_c & 1); i++) {
            out[i] = tail[i - 6 * full];
        }
    }
    if (act_min > MCU_PAIR_INT8_MIN || act_max < MCU_PAIR_INT8_MAX) { /* narrower than the saturation */
        for (int32_t c = 0; c < out_c; c++) {
            out[c] = (int8_t)MCU_CLAMP(out[c], act_min, act_max);
        }
    }
}
#endif /* the pair-word layout */

int32_t mcu_conv_1x1_s8_get_buffer_size(int32_t in_c, int32_t pixels)
{
    /* `pixels` int16 slots of 4 * ceil(in_c / 4) values (pixels = 4: 4 byte rows of as many values; pixels = 1:
       none, the input is read in place) */
    return pixels == 1 ? 0 : (pixels == 4 ? 16 : 8 * pixels) * ((in_c + 3) / 4);
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
#if !defined(__ARM_FEATURE_DSP) && !defined(MCU_CONV_MVE)
    if (p->pixels == 1) { /* the pair-word layout: each pixel's input in place */
        mcu_conv_1x1_pairs_s8(p, input, output, scratch);
        return;
    }
#endif
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

#if !defined(MCU_CONV_MVE)
void mcu_conv_1x1_pairs_s8(const mcu_conv_fast_params_t *p, const int8_t *input, int8_t *output,
                           int16_t *scratch)
{
    (void)scratch; /* none: each pixel's input is read in place */
    const int32_t total = p->batches * p->out_h * p->out_w;
    const int32_t plane = p->out_h * p->out_w;
    for (int32_t i = 0; i < total; i++) {
        const int32_t n = p->reverse ? total - 1 - i : i;
        const int8_t *src;
        if (p->stride_h == 1 && p->stride_w == 1) {
            src = input + n * p->in_c;
        } else {
            const int32_t b = n / plane;
            const int32_t r = n - b * plane;
            const int32_t oy = r / p->out_w;
            const int32_t ox = r - oy * p->out_w;
            src = input + ((b * p->in_h + oy * p->stride_h) * p->in_w + ox * p->stride_w) * p->in_c;
        }
        mcu_conv_pairs_pixel(p->weights, p->out_c, p->in_c, p->act_min, p->act_max, src, output + n * p->out_c);
    }
}
#endif

/* ------------------------------------------------------------------------------------------------
 * mcu_conv_1x1_k8_s8: a 1x1 CONV_2D whose window is 4 or 8 values (in_c = 4 * k_groups) on a core with DSP,
 * one output pixel at a time (the layout of mcu_conv.h, "small window"). The pixel's values, split by SXTB16
 * into int16 pairs, stay in registers for all of its output channels; each channel's stream entry (bias,
 * int16 weight pairs, m2, h, e) is read with two LDM. Per output channel of an 8-value window: 2 LDM, 4 SMLAD,
 * 5 instructions of requantization, a byte store and half a loop test: 13 instructions for 8 MACs, where the
 * blocked product of the larger windows spends about 22 (its per-pair set-up, loop tests and scratch).
 * Used only when the activation range is the whole int8 range (no clamp) and out_c is even.
 * ------------------------------------------------------------------------------------------------ */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__) && defined(__OPTIMIZE__)

/* What the row loop needs (offsets fixed: the assembly reads them). */
typedef struct {
    const int32_t *w;     /*  0: the weight stream */
    const int8_t *in;     /*  4: the first pixel's input */
    int8_t *out;          /*  8: the first pixel's output */
    int32_t in_step;      /* 12: bytes from one pixel's input to the next's */
    int32_t out_step;     /* 16: bytes from the end of one pixel's output to the start of the next's */
    int32_t count;        /* 20: pixels (>= 1) */
    int32_t out_c;        /* 24 */
} mcu_k8_job_t;

typedef char mcu_k8_job_layout_check[(sizeof(void *) == 4 && sizeof(mcu_k8_job_t) == 28) ? 1 : -1];

/* One output channel: r7 the sum (from the bias), r3-r6 the pixel's pairs (x0,x2) (x1,x3) (x4,x6) (x5,x7),
   r8-r11 the weights, then m2, h, e in r8-r10 and r11 the rounding term; the byte goes to [r2], post-incremented. */
#define MCU_K8_CHANNEL_8                                                                        \
    "ldm r0!, {r7, r8, r9, r10, r11}\n\t"                                                       \
    "smlad r7, r3, r8, r7\n\t"                                                                  \
    "smlad r7, r4, r9, r7\n\t"                                                                  \
    "smlad r7, r5, r10, r7\n\t"                                                                 \
    "smlad r7, r6, r11, r7\n\t" MCU_K8_REQUANT_STORE
#define MCU_K8_CHANNEL_4                                                                        \
    "ldm r0!, {r7, r8, r9}\n\t"                                                                 \
    "smlad r7, r3, r8, r7\n\t"                                                                  \
    "smlad r7, r4, r9, r7\n\t" MCU_K8_REQUANT_STORE
#define MCU_K8_REQUANT_STORE                                                                    \
    "ldm r0!, {r8, r9, r10}\n\t"                                                                \
    "add r11, r9, r7\n\t"                                                                       \
    "sub r11, r11, r7, lsr #31\n\t"                                                             \
    "smmlar r7, r7, r8, r11\n\t"                                                                \
    "asr r7, r7, r10\n\t"                                                                       \
    "ssat r7, #8, r7\n\t"                                                                       \
    "strb r7, [r2], #1\n\t"

/* The pixel's values: r3-r6 from the 8 bytes at [r1] (two LDR: the input need not be word-aligned). */
#define MCU_K8_LOAD_8                                                                           \
    "ldr r3, [r1]\n\t"                                                                          \
    "ldr r5, [r1, #4]\n\t"                                                                      \
    "sxtb16 r4, r3, ror #8\n\t"                                                                 \
    "sxtb16 r3, r3\n\t"                                                                         \
    "sxtb16 r6, r5, ror #8\n\t"                                                                 \
    "sxtb16 r5, r5\n\t"
#define MCU_K8_LOAD_4                                                                           \
    "ldr r3, [r1]\n\t"                                                                          \
    "sxtb16 r4, r3, ror #8\n\t"                                                                 \
    "sxtb16 r3, r3\n\t"

/* void f(const mcu_k8_job_t *job): r1 input, r2 output, r12 pixels left, lr the pixel's output end; the job
   pointer at [sp]. Two channels per loop turn (out_c is even). */
#define MCU_K8_BODY(K)                                                                          \
    "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"                                           \
    "sub sp, sp, #4\n\t"                                                                        \
    "str r0, [sp]\n\t"                                                                          \
    "ldrd r1, r2, [r0, #4]\n\t"                                                                 \
    "ldr r12, [r0, #20]\n"                                                                      \
    "1:\n\t"                                                                                    \
    MCU_K8_LOAD_##K                                                                             \
    "ldr r0, [sp]\n\t"                                                                          \
    "ldr lr, [r0, #24]\n\t"                                                                     \
    "ldr r7, [r0, #12]\n\t"                                                                     \
    "add lr, lr, r2\n\t"                                                                        \
    "add r1, r1, r7\n\t"                                                                        \
    "ldr r0, [r0]\n"                                                                            \
    "2:\n\t"                                                                                    \
    MCU_K8_CHANNEL_##K MCU_K8_CHANNEL_##K                                                       \
    "cmp r2, lr\n\t"                                                                            \
    "bne 2b\n\t"                                                                                \
    "ldr r0, [sp]\n\t"                                                                          \
    "ldr r7, [r0, #16]\n\t"                                                                     \
    "add r2, r2, r7\n\t"                                                                        \
    "subs r12, r12, #1\n\t"                                                                     \
    "bne 1b\n\t"                                                                                \
    "add sp, sp, #4\n\t"                                                                        \
    "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"

__attribute__((naked, noinline)) static void mcu_k8_rows_8(const mcu_k8_job_t *job __attribute__((unused)))
{
    __asm__ volatile(MCU_K8_BODY(8));
}

__attribute__((naked, noinline)) static void mcu_k8_rows_4(const mcu_k8_job_t *job __attribute__((unused)))
{
    __asm__ volatile(MCU_K8_BODY(4));
}

/* `count` pixels from `in` (in_step bytes apart) to `out` (out_c + out_step bytes apart) */
static void mcu_k8_run(const mcu_conv_fast_params_t *p, const int8_t *in, int8_t *out, int32_t count,
                       int32_t in_step, int32_t out_step)
{
    mcu_k8_job_t job;
    job.w = p->weights;
    job.in = in;
    job.out = out;
    job.in_step = in_step;
    job.out_step = out_step - p->out_c;
    job.count = count;
    job.out_c = p->out_c;
    if (p->k_groups == 2) {
        mcu_k8_rows_8(&job);
    } else {
        mcu_k8_rows_4(&job);
    }
}

#else /* plain C: the same layout and order */

static void mcu_k8_run(const mcu_conv_fast_params_t *p, const int8_t *in, int8_t *out, int32_t count,
                       int32_t in_step, int32_t out_step)
{
    const int32_t k = 4 * p->k_groups;
    const int32_t entry = 4 + p->k_groups * 2; /* bias, the weight pairs, m2, h, e */
    for (int32_t i = 0; i < count; i++, in += in_step, out += out_step) {
        int32_t x[8];
        for (int32_t j = 0; j < k; j++) {
            x[j] = in[j];
        }
        const int32_t *q = p->weights;
        for (int32_t c = 0; c < p->out_c; c++, q += entry) {
            uint32_t acc = (uint32_t)q[0]; /* wraps as SMLAD does; the generator bounds it */
            for (int32_t g = 0; g < p->k_groups; g++) {
                const int32_t *x4 = x + 4 * g;
                const int32_t w02 = q[1 + 2 * g], w13 = q[2 + 2 * g];
                const int32_t w0 = (int32_t)(((uint32_t)w02 & 0xFFFFu) ^ 0x8000u) - 0x8000, w2 = w02 >> 16;
                const int32_t w1 = (int32_t)(((uint32_t)w13 & 0xFFFFu) ^ 0x8000u) - 0x8000, w3 = w13 >> 16;
                acc += (uint32_t)(x4[0] * w0 + x4[1] * w1 + x4[2] * w2 + x4[3] * w3);
            }
            const int32_t *rq = q + 1 + 2 * p->k_groups;
            const int32_t r = mcu_conv_fast_requant((int32_t)acc, rq[0], rq[1], rq[2]);
            out[c] = (int8_t)MCU_CLAMP(r, p->act_min, p->act_max);
        }
    }
}

#endif

void mcu_conv_1x1_k8_s8(const mcu_conv_fast_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch)
{
    (void)scratch; /* none: each pixel's values are read in place */
    const int32_t oc = p->out_c;
    const int32_t dir = p->reverse ? -1 : 1;
    if (p->stride_h == 1 && p->stride_w == 1) { /* every pixel in one run */
        const int32_t total = p->batches * p->out_h * p->out_w;
        const int32_t first = p->reverse ? total - 1 : 0;
        mcu_k8_run(p, input + first * p->in_c, output + first * oc, total, dir * p->in_c, dir * oc);
        return;
    }
    /* a run per output row */
    const int32_t rows = p->batches * p->out_h;
    for (int32_t i = 0; i < rows; i++) {
        const int32_t r = p->reverse ? rows - 1 - i : i;
        const int32_t b = r / p->out_h, oy = r - b * p->out_h;
        const int32_t first = p->reverse ? p->out_w - 1 : 0;
        const int8_t *src = input + ((b * p->in_h + oy * p->stride_h) * p->in_w + first * p->stride_w) * p->in_c;
        mcu_k8_run(p, src, output + (r * p->out_w + first) * oc, p->out_w, dir * p->stride_w * p->in_c, dir * oc);
    }
}
