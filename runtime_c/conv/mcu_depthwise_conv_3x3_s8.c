/* mcu_depthwise_conv_3x3_s8.c - DEPTHWISE_CONV_2D, 3x3 filter, depth_multiplier 1 (see mcu_conv.h:
 * mcu_dw_params_t, the packed weights and quant, the folded bias and the fast requantization). */
#include <string.h>

#include "mcu_conv.h"
#include "mcu_fixedpoint.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

#define MCU_DW3_WORDS 18 /* weights per group of 4 channels */
#define MCU_DW3_QUANT 16 /* quant words per group of 4 channels */

#if defined(__ARM_FEATURE_DSP) && defined(__OPTIMIZE__) /* only the DSP path uses it (clang: -Wunused-function) */
/* The first n (1 to 3) bytes at p, zero-filled, as a little-endian word. */
static inline uint32_t mcu_dw3_load_part(const int8_t *p, int32_t n)
{
    uint32_t v = 0;
    for (int32_t j = n - 1; j >= 0; j--) {
        v = (v << 8) | (uint8_t)p[j];
    }
    return v;
}
#endif

#if defined(__ARM_FEATURE_DSP) || !defined(MCU_MUL16) /* the Thumb-1 path stores its own bytes */
/* Output bytes of the n (1 to 4) channels of a group from their accumulators a[0..3]. */
static inline void mcu_dw3_store(const mcu_dw_params_t *p, const int32_t *q, int32_t c, const int32_t *a,
                                 int32_t n, int8_t *out)
{
    const int32_t lo = p->act_min, span = p->act_max - p->act_min;
    uint8_t u[4];
    if (p->fast) {
        for (int32_t j = 0; j < 4; j++) {
            int32_t v = (mcu_smmlar(a[j], q[4 + 2 * j], q[5 + 2 * j]) + (a[j] >> 31)) >> q[12 + j];
            v = MCU_CLAMP(v, 0, span);
            u[j] = (uint8_t)(v + lo);
        }
    } else {
        for (int32_t j = 0; j < n; j++) {
            int32_t v = mcu_requantize(a[j], p->multiplier[c + j], p->shift[c + j]) + p->output_offset;
            v = MCU_CLAMP(v, p->act_min, p->act_max);
            u[j] = (uint8_t)v;
        }
    }
    memcpy(out + c, u, (size_t)n);
}
#endif

#if defined(__ARM_FEATURE_DSP) && defined(__OPTIMIZE__) /* the register-hungry asm needs an optimising build */

/* Taps a and b (channels c .. c+3 of each) into the four accumulators: their words are split by
 * PKHBT/PKHTB into (c0 c1 of a, c0 c1 of b) and (c2 c3 of a, c2 c3 of b), then by SXTB16 into the
 * int16 pairs (a_c0, b_c0) ... (a_c3, b_c3) that meet the packed weights in SMLAD. One asm block so
 * that the compiler cannot hoist the loads of later pairs and run out of registers. */
#define MCU_DW3_PAIR(ta, tb)                                                                      \
    do {                                                                                          \
        uint32_t xa_, xb_, lo_;                                                                   \
        int32_t w0_, w1_;                                                                         \
        __asm__("ldr %[xa], [%[pa], %[c]]\n\t"                                                    \
                "ldr %[xb], [%[pb], %[c]]\n\t"                                                    \
                "pkhbt %[lo], %[xa], %[xb], lsl #16\n\t"                                          \
                "pkhtb %[xb], %[xb], %[xa], asr #16\n\t"                                          \
                "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                               \
                "sxtb16 %[xa], %[lo]\n\t"                                                         \
                "smlad %[a0], %[xa], %[w0], %[a0]\n\t"                                            \
                "sxtb16 %[xa], %[lo], ror #8\n\t"                                                 \
                "smlad %[a1], %[xa], %[w1], %[a1]\n\t"                                            \
                "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                               \
                "sxtb16 %[xa], %[xb]\n\t"                                                         \
                "smlad %[a2], %[xa], %[w0], %[a2]\n\t"                                            \
                "sxtb16 %[xa], %[xb], ror #8\n\t"                                                 \
                "smlad %[a3], %[xa], %[w1], %[a3]"                                                \
                : [xa] "=&r"(xa_), [xb] "=&r"(xb_), [lo] "=&r"(lo_), [w0] "=&r"(w0_), [w1] "=&r"(w1_), \
                  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w)         \
                : [pa] "r"(ta), [pb] "r"(tb), [c] "r"(c)                                          \
                : "memory");                                                                      \
    } while (0)

/* Tap 8 (channels c .. c+3) into the four accumulators. */
#define MCU_DW3_SINGLE(t8)                                                                        \
    do {                                                                                          \
        uint32_t x_, e_;                                                                          \
        int32_t w0_, w1_;                                                                         \
        __asm__("ldr %[x], [%[p], %[c]]\n\t"                                                      \
                "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                               \
                "sxtb16 %[e], %[x]\n\t"                                                           \
                "smlabb %[a0], %[e], %[w0], %[a0]\n\t"                                            \
                "smlatt %[a2], %[e], %[w0], %[a2]\n\t"                                            \
                "sxtb16 %[e], %[x], ror #8\n\t"                                                   \
                "smlabb %[a1], %[e], %[w1], %[a1]\n\t"                                            \
                "smlatt %[a3], %[e], %[w1], %[a3]"                                                \
                : [x] "=&r"(x_), [e] "=&r"(e_), [w0] "=&r"(w0_), [w1] "=&r"(w1_), [a0] "+r"(a0),    \
                  [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w)                          \
                : [p] "r"(t8), [c] "r"(c)                                                         \
                : "memory");                                                                      \
    } while (0)

/* The same two macros for the last, partial group: the words are built byte by byte. */
#define MCU_DW3_PAIR_WORDS(xa, xb)                             \
    do {                                                       \
        const uint32_t xa2_ = (xa), xb2_ = (xb);               \
        const uint32_t lo2_ = mcu_pkhbt(xa2_, xb2_);           \
        const uint32_t hi2_ = mcu_pkhtb(xa2_, xb2_);           \
        a0 = __smlad(__sxtb16((int32_t)lo2_), w[0], a0);       \
        a1 = __smlad(mcu_sxtb16_ror8(lo2_), w[1], a1);         \
        a2 = __smlad(__sxtb16((int32_t)hi2_), w[2], a2);       \
        a3 = __smlad(mcu_sxtb16_ror8(hi2_), w[3], a3);         \
        w += 4;                                                \
    } while (0)

#define MCU_DW3_SINGLE_WORD(x8)                                \
    do {                                                       \
        const uint32_t x2_ = (x8);                             \
        const int32_t e2_ = __sxtb16((int32_t)x2_);            \
        const int32_t o2_ = mcu_sxtb16_ror8(x2_);              \
        a0 = __smlabb(e2_, w[0], a0);                          \
        a2 = __smlatt(e2_, w[0], a2);                          \
        a1 = __smlabb(o2_, w[1], a1);                          \
        a3 = __smlatt(o2_, w[1], a3);                          \
        w += 2;                                                \
    } while (0)

/* Fast requantization of the four accumulators a0..a3 (doubled sums) of one group into four output
 * bytes at `out`: per channel SMMLAR(a, M, K) + (a < 0 ? -1 : 0), shifted right by e, USAT to 0..255,
 * the four packed (PKHBT + ORR), the upper clamp to act_max - act_min on all four bytes at once
 * (USUB8 sets GE where a byte reaches span4's, SEL takes span4's byte there: span 255 changes nothing)
 * and act_min added bytewise (UADD8). q: the group's quant words (mcu_conv.h). volatile: the store is
 * its only effect (its register outputs are dead afterwards). */
#define MCU_DW3_FAST4_STORE(qp, sp4, lw4, dst)                                                   \
    do {                                                                                          \
        int32_t m_, k_;                                                                           \
        __asm__ volatile("ldrd %[m], %[k], [%[q], #16]\n\t"                                                \
                "smmlar %[m], %[a0], %[m], %[k]\n\t"                                              \
                "add %[a0], %[m], %[a0], asr #31\n\t"                                             \
                "ldrd %[m], %[k], [%[q], #24]\n\t"                                                \
                "smmlar %[m], %[a1], %[m], %[k]\n\t"                                              \
                "add %[a1], %[m], %[a1], asr #31\n\t"                                             \
                "ldrd %[m], %[k], [%[q], #32]\n\t"                                                \
                "smmlar %[m], %[a2], %[m], %[k]\n\t"                                              \
                "add %[a2], %[m], %[a2], asr #31\n\t"                                             \
                "ldrd %[m], %[k], [%[q], #40]\n\t"                                                \
                "smmlar %[m], %[a3], %[m], %[k]\n\t"                                              \
                "add %[a3], %[m], %[a3], asr #31\n\t"                                             \
                "ldrd %[m], %[k], [%[q], #48]\n\t"                                                \
                "asr %[a0], %[a0], %[m]\n\t"                                                      \
                "asr %[a1], %[a1], %[k]\n\t"                                                      \
                "ldrd %[m], %[k], [%[q], #56]\n\t"                                                \
                "asr %[a2], %[a2], %[m]\n\t"                                                      \
                "asr %[a3], %[a3], %[k]\n\t"                                                      \
                "usat %[a0], #8, %[a0]\n\t"                                                       \
                "usat %[a1], #8, %[a1]\n\t"                                                       \
                "usat %[a2], #8, %[a2]\n\t"                                                       \
                "usat %[a3], #8, %[a3]\n\t"                                                       \
                "pkhbt %[a0], %[a0], %[a2], lsl #16\n\t"                                          \
                "pkhbt %[a1], %[a1], %[a3], lsl #16\n\t"                                          \
                "orr %[a0], %[a0], %[a1], lsl #8\n\t"                                             \
                "usub8 %[m], %[a0], %[s4]\n\t"                                                    \
                "sel %[a0], %[s4], %[a0]\n\t"                                                     \
                "uadd8 %[a0], %[a0], %[l4]\n\t"                                                   \
                "str %[a0], [%[o]]"                                                               \
                : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [m] "=&r"(m_),      \
                  [k] "=&r"(k_)                                                                   \
                : [q] "r"(qp), [s4] "r"(sp4), [l4] "r"(lw4), [o] "r"(dst)                      \
                : "cc", "memory");                                                                \
    } while (0)

/* The last 1 to 3 channels of a pixel (from channel c; w, q at that group): partial loads. */
static void mcu_dw3_tail(const mcu_dw_params_t *p, const int8_t *const *t, int32_t c, const int32_t *w,
                         const int32_t *q, int8_t *out)
{
    const int32_t n = p->in_c - c;
    int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
    MCU_DW3_PAIR_WORDS(mcu_dw3_load_part(t[0] + c, n), mcu_dw3_load_part(t[1] + c, n));
    MCU_DW3_PAIR_WORDS(mcu_dw3_load_part(t[2] + c, n), mcu_dw3_load_part(t[3] + c, n));
    MCU_DW3_PAIR_WORDS(mcu_dw3_load_part(t[4] + c, n), mcu_dw3_load_part(t[5] + c, n));
    MCU_DW3_PAIR_WORDS(mcu_dw3_load_part(t[6] + c, n), mcu_dw3_load_part(t[7] + c, n));
    MCU_DW3_SINGLE_WORD(mcu_dw3_load_part(t[8] + c, n));
    const int32_t a[4] = {a0, a1, a2, a3};
    mcu_dw3_store(p, q, c, a, n, out);
}

/* Every channel of one output pixel; t[k] points at tap k's input pixel (or at `pad`). */
static __attribute__((noinline)) void mcu_dw3_pixel(const mcu_dw_params_t *p, const int8_t *const *t, int8_t *out)
{
    const int32_t channels = p->in_c, full = channels & ~3;
    const int32_t *w = p->weights;
    const int32_t *q = p->quant;
    const int8_t *t0 = t[0], *t1 = t[1], *t2 = t[2], *t3 = t[3], *t4 = t[4];
    const int8_t *t5 = t[5], *t6 = t[6], *t7 = t[7], *t8 = t[8];
    const uint32_t span4 = (uint32_t)(p->act_max - p->act_min) * 0x01010101u;
    const uint32_t lo4 = (uint32_t)(uint8_t)p->act_min * 0x01010101u;
    int32_t c = 0;
    if (p->fast) {
        for (; c < full; c += 4, q += MCU_DW3_QUANT) {
            int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
            MCU_DW3_PAIR(t0, t1);
            MCU_DW3_PAIR(t2, t3);
            MCU_DW3_PAIR(t4, t5);
            MCU_DW3_PAIR(t6, t7);
            MCU_DW3_SINGLE(t8);
            MCU_DW3_FAST4_STORE(q, span4, lo4, out + c);
        }
    } else {
        for (; c < full; c += 4, q += MCU_DW3_QUANT) {
            int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
            MCU_DW3_PAIR(t0, t1);
            MCU_DW3_PAIR(t2, t3);
            MCU_DW3_PAIR(t4, t5);
            MCU_DW3_PAIR(t6, t7);
            MCU_DW3_SINGLE(t8);
            const int32_t a[4] = {a0, a1, a2, a3};
            mcu_dw3_store(p, q, c, a, 4, out);
        }
    }
    if (c < channels) {
        mcu_dw3_tail(p, t, c, w, q, out);
    }
}

/* Taps a and b (channels c .. c+3 of each, input words xa and xb) into the four accumulators, as
 * MCU_DW3_PAIR does. */
#define MCU_DW3_ASM_TAPS(xa, xb)                                                                  \
    "pkhbt %[lo], " xa ", " xb ", lsl #16\n\t"                                                    \
    "pkhtb %[xb], " xb ", " xa ", asr #16\n\t"                                                    \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "sxtb16 %[xa], %[lo]\n\t"                                                                     \
    "smlad %[a0], %[xa], %[w0], %[a0]\n\t"                                                        \
    "sxtb16 %[xa], %[lo], ror #8\n\t"                                                             \
    "smlad %[a1], %[xa], %[w1], %[a1]\n\t"                                                        \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "sxtb16 %[xa], %[xb]\n\t"                                                                     \
    "smlad %[a2], %[xa], %[w0], %[a2]\n\t"                                                        \
    "sxtb16 %[xa], %[xb], ror #8\n\t"                                                             \
    "smlad %[a3], %[xa], %[w1], %[a3]\n\t"
/* The nine taps of one group of 4 channels of an interior pixel into a0..a3: src points at tap 0's
 * channel c, step_x (a register) is the byte distance of horizontal neighbours in the window, row_mem (a
 * memory operand: 12 registers in all, so that a build keeping a frame pointer has enough) that of
 * vertical ones. One pointer walks the rows, the three taps of a row at +0, +dx, +2dx. */
#define MCU_DW3_INTERIOR(src, step_x, row_mem)                                                    \
    do {                                                                                          \
        uint32_t xa_, xb_, lo_;                                                                   \
        int32_t w0_, w1_;                                                                         \
        const int8_t *s_ = (src);                                                                 \
        __asm__("ldr %[xa], [%[s]]\n\t"                    /* tap 0 */                            \
                "ldr %[xb], [%[s], %[dx]]\n\t"             /* tap 1 */                            \
                MCU_DW3_ASM_TAPS("%[xa]", "%[xb]")                                                \
                "ldr %[xa], [%[s], %[dx], lsl #1]\n\t"     /* tap 2 */                            \
                "ldr %[xb], %[dy]\n\t"                                                            \
                "add %[s], %[s], %[xb]\n\t"                                                       \
                "ldr %[xb], [%[s]]\n\t"                    /* tap 3 */                            \
                MCU_DW3_ASM_TAPS("%[xa]", "%[xb]")                                                \
                "ldr %[xa], [%[s], %[dx]]\n\t"             /* tap 4 */                            \
                "ldr %[xb], [%[s], %[dx], lsl #1]\n\t"     /* tap 5 */                            \
                MCU_DW3_ASM_TAPS("%[xa]", "%[xb]")                                                \
                "ldr %[xa], %[dy]\n\t"                                                            \
                "add %[s], %[s], %[xa]\n\t"                                                       \
                "ldr %[xa], [%[s]]\n\t"                    /* tap 6 */                            \
                "ldr %[xb], [%[s], %[dx]]\n\t"             /* tap 7 */                            \
                MCU_DW3_ASM_TAPS("%[xa]", "%[xb]")                                                \
                "ldr %[xb], [%[s], %[dx], lsl #1]\n\t"     /* tap 8 */                            \
                "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                               \
                "sxtb16 %[xa], %[xb]\n\t"                                                         \
                "smlabb %[a0], %[xa], %[w0], %[a0]\n\t"                                           \
                "smlatt %[a2], %[xa], %[w0], %[a2]\n\t"                                           \
                "sxtb16 %[xa], %[xb], ror #8\n\t"                                                 \
                "smlabb %[a1], %[xa], %[w1], %[a1]\n\t"                                           \
                "smlatt %[a3], %[xa], %[w1], %[a3]"                                               \
                : [xa] "=&r"(xa_), [xb] "=&r"(xb_), [lo] "=&r"(lo_), [w0] "=&r"(w0_), [w1] "=&r"(w1_), \
                  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w),        \
                  [s] "+r"(s_)                                                                    \
                : [dx] "r"(step_x), [dy] "m"(row_mem)                                             \
                : "memory");                                                                      \
    } while (0)

/* Every channel of `count` interior output pixels of one row (each window inside the image): pixel k's
 * tap 0 at s + k * s_step, its output at out + k * o_step (negative steps: the reverse order). Fast
 * requantization only (the others take mcu_dw3_pixel: less code). */
static __attribute__((noinline)) void mcu_dw3_run_interior(const mcu_dw_params_t *p, const int8_t *s,
                                                            int32_t s_step, int32_t dx, int32_t dy, int8_t *out, int32_t o_step, int32_t count)
{
    const int32_t channels = p->in_c, full = channels & ~3;
    const int32_t row_step = dy; /* in memory for MCU_DW3_INTERIOR */
    const uint32_t span4 = (uint32_t)(p->act_max - p->act_min) * 0x01010101u;
    const uint32_t lo4 = (uint32_t)(uint8_t)p->act_min * 0x01010101u;
    for (int32_t k = 0; k < count; k++) {
        const int8_t *src = s + k * s_step;
        int8_t *dst = out + k * o_step;
        const int32_t *w = p->weights;
        const int32_t *q = p->quant;
        int32_t c = 0;
        for (; c < full; c += 4, q += MCU_DW3_QUANT) {
            int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
            MCU_DW3_INTERIOR(src + c, dx, row_step);
            MCU_DW3_FAST4_STORE(q, span4, lo4, dst + c);
        }
        if (c < channels) {
            const int8_t *t[9];
            for (int32_t j = 0; j < 9; j++) {
                t[j] = src + (j / 3) * dy + (j % 3) * dx;
            }
            mcu_dw3_tail(p, t, c, w, q, dst);
        }
    }
}
#define MCU_DW3_HAVE_INTERIOR 1

/* The edge-pixel assembly below needs more registers than clang's allocator finds: gcc only (clang
 * takes mcu_dw3_pixel for those pixels). */
#if defined(__GNUC__) && !defined(__clang__)
/* Left and right edge pixels (the rows inside the image, one column of taps outside): the outside
 * column's taps are the zero-point word z (a register, no load; it adds exactly zero to the folded
 * sum), the others walk from src as in MCU_DW3_INTERIOR. Left (column 0 outside): src at tap 1, the
 * taps 1, 2 of a row at +0, +dx. Right (column 2 outside): src at tap 0, taps 0, 1 at +0, +dx. */
#define MCU_DW3_ASM_SINGLE(x)                                                                     \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "sxtb16 %[xa], " x "\n\t"                                                                     \
    "smlabb %[a0], %[xa], %[w0], %[a0]\n\t"                                                       \
    "smlatt %[a2], %[xa], %[w0], %[a2]\n\t"                                                       \
    "sxtb16 %[xa], " x ", ror #8\n\t"                                                             \
    "smlabb %[a1], %[xa], %[w1], %[a1]\n\t"                                                       \
    "smlatt %[a3], %[xa], %[w1], %[a3]"
#define MCU_DW3_ASM_LEFT                                                                          \
    "ldr %[xb], [%[s]]\n\t"                                /* tap 1 (tap 0: z) */                 \
    MCU_DW3_ASM_TAPS("%[z]", "%[xb]")                                                             \
    "ldr %[xa], [%[s], %[dx]]\n\t"                         /* tap 2 (tap 3: z) */                 \
    MCU_DW3_ASM_TAPS("%[xa]", "%[z]")                                                             \
    "ldr %[xb], %[dy]\n\t"                                                                        \
    "add %[s], %[s], %[xb]\n\t"                                                                   \
    "ldr %[xa], [%[s]]\n\t"                                /* tap 4 */                            \
    "ldr %[xb], [%[s], %[dx]]\n\t"                         /* tap 5 */                            \
    MCU_DW3_ASM_TAPS("%[xa]", "%[xb]")                                                            \
    "ldr %[xb], %[dy]\n\t"                                                                        \
    "add %[s], %[s], %[xb]\n\t"                                                                   \
    "ldr %[xb], [%[s]]\n\t"                                /* tap 7 (tap 6: z) */                 \
    MCU_DW3_ASM_TAPS("%[z]", "%[xb]")                                                             \
    "ldr %[xb], [%[s], %[dx]]\n\t"                         /* tap 8 */                            \
    MCU_DW3_ASM_SINGLE("%[xb]")
#define MCU_DW3_ASM_RIGHT                                                                         \
    "ldr %[xa], [%[s]]\n\t"                                /* tap 0 */                            \
    "ldr %[xb], [%[s], %[dx]]\n\t"                         /* tap 1 */                            \
    MCU_DW3_ASM_TAPS("%[xa]", "%[xb]")                                                            \
    "ldr %[xb], %[dy]\n\t"                                                                        \
    "add %[s], %[s], %[xb]\n\t"                                                                   \
    "ldr %[xb], [%[s]]\n\t"                                /* tap 3 (tap 2: z) */                 \
    MCU_DW3_ASM_TAPS("%[z]", "%[xb]")                                                             \
    "ldr %[xa], [%[s], %[dx]]\n\t"                         /* tap 4 (tap 5: z) */                 \
    MCU_DW3_ASM_TAPS("%[xa]", "%[z]")                                                             \
    "ldr %[xb], %[dy]\n\t"                                                                        \
    "add %[s], %[s], %[xb]\n\t"                                                                   \
    "ldr %[xa], [%[s]]\n\t"                                /* tap 6 */                            \
    "ldr %[xb], [%[s], %[dx]]\n\t"                         /* tap 7 */                            \
    MCU_DW3_ASM_TAPS("%[xa]", "%[xb]")                                                            \
    MCU_DW3_ASM_SINGLE("%[z]")                             /* tap 8: z */
#define MCU_DW3_EDGE(code, src, step_x, row_mem, zp4)                                             \
    do {                                                                                          \
        uint32_t xa_, xb_, lo_;                                                                   \
        int32_t w0_, w1_;                                                                         \
        const int8_t *s_ = (src);                                                                 \
        __asm__(code                                                                              \
                : [xa] "=&r"(xa_), [xb] "=&r"(xb_), [lo] "=&r"(lo_), [w0] "=&r"(w0_), [w1] "=&r"(w1_), \
                  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w),        \
                  [s] "+r"(s_)                                                                    \
                : [dx] "r"(step_x), [dy] "m"(row_mem), [z] "r"(zp4)                               \
                : "memory");                                                                      \
    } while (0)

/* Every channel of one edge pixel (rows inside, column 0 outside when right == 0, else column 2),
 * src as in MCU_DW3_EDGE; fast requantization only (the others take mcu_dw3_pixel: less code). */
static __attribute__((noinline)) void mcu_dw3_edge_pixel(const mcu_dw_params_t *p, const int8_t *src,
                                                          int32_t dx, int32_t dy, int32_t right, int8_t *out)
{
    const int32_t channels = p->in_c, full = channels & ~3;
    const int32_t row_step = dy; /* in memory for MCU_DW3_EDGE */
    const uint32_t span4 = (uint32_t)(p->act_max - p->act_min) * 0x01010101u;
    const uint32_t lo4 = (uint32_t)(uint8_t)p->act_min * 0x01010101u;
    uint32_t z;
    memcpy(&z, p->pad, 4);
    const int32_t *w = p->weights;
    const int32_t *q = p->quant;
    int32_t c = 0;
    if (right) {
        for (; c < full; c += 4, q += MCU_DW3_QUANT) {
            int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
            MCU_DW3_EDGE(MCU_DW3_ASM_RIGHT, src + c, dx, row_step, z);
            MCU_DW3_FAST4_STORE(q, span4, lo4, out + c);
        }
    } else {
        for (; c < full; c += 4, q += MCU_DW3_QUANT) {
            int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
            MCU_DW3_EDGE(MCU_DW3_ASM_LEFT, src + c, dx, row_step, z);
            MCU_DW3_FAST4_STORE(q, span4, lo4, out + c);
        }
    }
    if (c < channels) {
        const int8_t *t[9];
        const int32_t first = right ? 0 : 1; /* the column src is at */
        for (int32_t j = 0; j < 9; j++) {
            const int32_t kx = j % 3;
            const int inside = right ? kx < 2 : kx > 0;
            t[j] = inside ? src + (j / 3) * dy + (kx - first) * dx : p->pad;
        }
        mcu_dw3_tail(p, t, c, w, q, out);
    }
}
#define MCU_DW3_HAVE_EDGE 1
#endif /* gcc */

#else /* plain C */

/* The low / high int16 of a weight word. */
#define MCU_DW3_LO(v) ((int32_t)(int16_t)(v))
#define MCU_DW3_HI(v) ((int32_t)(v) >> 16)

#if defined(MCU_MUL16)
/* Thumb-1 cores (no unaligned loads, eight low registers, no 64-bit product): one channel at a time, each
 * input byte by LDRSB through its tap pointer, each weight half extracted once, one product per MULS, the
 * result stored as a byte. */
static void mcu_dw3_pixel(const mcu_dw_params_t *p, const int8_t *const *t, int8_t *out)
{
    const int32_t channels = p->in_c, lo = p->act_min, span = p->act_max - p->act_min;
    const int32_t *w = p->weights;
    const int32_t *q = p->quant;
    for (int32_t c = 0; c < channels; c += 4, w += MCU_DW3_WORDS, q += MCU_DW3_QUANT) {
        const int32_t n = channels - c < 4 ? channels - c : 4;
        for (int32_t j = 0; j < n; j++) {
            const int32_t o = c + j;
            uint32_t acc = (uint32_t)q[j];
#define MCU_DW3_T1_PAIR(k)                                                                            \
    do {                                                                                              \
        const int32_t wj_ = w[4 * (k) + j];                                                           \
        acc += (uint32_t)(t[2 * (k)][o] * MCU_DW3_LO(wj_)) + (uint32_t)(t[2 * (k) + 1][o] * MCU_DW3_HI(wj_)); \
    } while (0)
            MCU_DW3_T1_PAIR(0); /* unrolled: Thumb-1 has no spare register for a loop counter */
            MCU_DW3_T1_PAIR(1);
            MCU_DW3_T1_PAIR(2);
            MCU_DW3_T1_PAIR(3);
#undef MCU_DW3_T1_PAIR
            const int32_t w8 = w[16 + (j & 1)];
            acc += (uint32_t)(t[8][o] * (j >> 1 ? MCU_DW3_HI(w8) : MCU_DW3_LO(w8)));
            const int32_t a = (int32_t)acc;
            int32_t v;
            if (p->fast) {
                v = (mcu_smmlar(a, q[4 + 2 * j], q[5 + 2 * j]) + (a >> 31)) >> q[12 + j];
                v = MCU_CLAMP(v, 0, span) + lo;
            } else {
                v = mcu_requantize(a, p->multiplier[o], p->shift[o]) + p->output_offset;
                v = MCU_CLAMP(v, p->act_min, p->act_max);
            }
            out[o] = (int8_t)v;
        }
    }
}
#else /* Armv7-M without DSP, the host */

/* Half h (0: low, 1: high) of word v as int16. */
static inline int32_t mcu_dw3_half(uint32_t v, int32_t h)
{
    const uint32_t u = (v >> (16 * h)) & 0xFFFFu;
    return (int32_t)u - (int32_t)((u & 0x8000u) << 1);
}

/* The four input bytes of channels c..c+3 at one tap, as one word (an unaligned load on Armv7-M). */
static inline uint32_t mcu_dw3_word(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Byte j of word v as a signed value (SXTB / SBFX / ASR on Armv7-M). */
#define MCU_DW3_BYTE(v, j) ((j) == 3 ? ((int32_t)(v) >> 24) : (int32_t)(int8_t)((int32_t)(v) >> (8 * (j))))

/* A whole group of 4 channels: per tap pair, the two taps' input words and the four channels' weight
 * words, each input byte and weight half extracted once (no DSP: one MLA per product). Sums modulo 2^32. */
#if defined(__thumb2__) && defined(__OPTIMIZE__)
/* One tap pair on Armv7-M: the two taps' input words (through the tap pointer array), then per channel
 * pair the two weight words; per channel its two input bytes and weight halves, two MLA. */
#define MCU_DW3_ASM_CH(acc, exa, exb, wreg)                 \
    exa "\n\t"                                             \
    "sxth %[r], " wreg "\n\t"                              \
    "mla " acc ", %[p], %[r], " acc "\n\t"                 \
    exb "\n\t"                                             \
    "asr %[r], " wreg ", #16\n\t"                          \
    "mla " acc ", %[p], %[r], " acc "\n\t"
#define MCU_DW3_ASM_PAIR                                                                              \
    "ldr %[xa], [%[t]], #4\n\t"                                                                      \
    "ldr %[xb], [%[t]], #4\n\t"                                                                      \
    "ldr %[xa], [%[xa], %[c]]\n\t"                                                                   \
    "ldr %[xb], [%[xb], %[c]]\n\t"                                                                   \
    "ldrd %[wa], %[wb], [%[w]], #8\n\t"                                                              \
    MCU_DW3_ASM_CH("%[a0]", "sxtb %[p], %[xa]", "sxtb %[p], %[xb]", "%[wa]")                           \
    MCU_DW3_ASM_CH("%[a1]", "sbfx %[p], %[xa], #8, #8", "sbfx %[p], %[xb], #8, #8", "%[wb]")           \
    "ldrd %[wa], %[wb], [%[w]], #8\n\t"                                                              \
    MCU_DW3_ASM_CH("%[a2]", "sbfx %[p], %[xa], #16, #8", "sbfx %[p], %[xb], #16, #8", "%[wa]")         \
    MCU_DW3_ASM_CH("%[a3]", "asr %[p], %[xa], #24", "asr %[p], %[xb], #24", "%[wb]")
#endif

static inline void mcu_dw3_group4(const int8_t *const *t, int32_t c, const int32_t *w, int32_t *a)
{
    uint32_t a0 = (uint32_t)a[0], a1 = (uint32_t)a[1], a2 = (uint32_t)a[2], a3 = (uint32_t)a[3];
#if defined(__thumb2__) && defined(__OPTIMIZE__)
    {
        const int8_t *const *tp = t;
        const int32_t *wp = w;
        uint32_t xa, xb, wa, wb;
        int32_t p, r;
        __asm__(MCU_DW3_ASM_PAIR MCU_DW3_ASM_PAIR MCU_DW3_ASM_PAIR MCU_DW3_ASM_PAIR
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [t] "+r"(tp), [w] "+r"(wp),
                  [xa] "=&r"(xa), [xb] "=&r"(xb), [wa] "=&r"(wa), [wb] "=&r"(wb), [p] "=&r"(p), [r] "=&r"(r)
                : [c] "r"(c)
                : "memory");
    }
#else
    for (int32_t k = 0; k < 4; k++) {
        const uint32_t xa = mcu_dw3_word(t[2 * k] + c), xb = mcu_dw3_word(t[2 * k + 1] + c);
        const uint32_t w0 = (uint32_t)w[4 * k], w1 = (uint32_t)w[4 * k + 1];
        const uint32_t w2 = (uint32_t)w[4 * k + 2], w3 = (uint32_t)w[4 * k + 3];
        a0 += (uint32_t)(MCU_DW3_BYTE(xa, 0) * MCU_DW3_LO(w0)) + (uint32_t)(MCU_DW3_BYTE(xb, 0) * MCU_DW3_HI(w0));
        a1 += (uint32_t)(MCU_DW3_BYTE(xa, 1) * MCU_DW3_LO(w1)) + (uint32_t)(MCU_DW3_BYTE(xb, 1) * MCU_DW3_HI(w1));
        a2 += (uint32_t)(MCU_DW3_BYTE(xa, 2) * MCU_DW3_LO(w2)) + (uint32_t)(MCU_DW3_BYTE(xb, 2) * MCU_DW3_HI(w2));
        a3 += (uint32_t)(MCU_DW3_BYTE(xa, 3) * MCU_DW3_LO(w3)) + (uint32_t)(MCU_DW3_BYTE(xb, 3) * MCU_DW3_HI(w3));
    }
#endif
    /* tap 8: (c0, c2) and (c1, c3) in two words */
    const uint32_t x8 = mcu_dw3_word(t[8] + c), v02 = (uint32_t)w[16], v13 = (uint32_t)w[17];
    a0 += (uint32_t)(MCU_DW3_BYTE(x8, 0) * MCU_DW3_LO(v02));
    a1 += (uint32_t)(MCU_DW3_BYTE(x8, 1) * MCU_DW3_LO(v13));
    a2 += (uint32_t)(MCU_DW3_BYTE(x8, 2) * MCU_DW3_HI(v02));
    a3 += (uint32_t)(MCU_DW3_BYTE(x8, 3) * MCU_DW3_HI(v13));
    a[0] = (int32_t)a0;
    a[1] = (int32_t)a1;
    a[2] = (int32_t)a2;
    a[3] = (int32_t)a3;
}

static void mcu_dw3_pixel(const mcu_dw_params_t *p, const int8_t *const *t, int8_t *out)
{
    const int32_t channels = p->in_c;
    const int32_t *w = p->weights;
    const int32_t *q = p->quant;
    for (int32_t c = 0; c < channels; c += 4, w += MCU_DW3_WORDS, q += MCU_DW3_QUANT) {
        const int32_t n = channels - c < 4 ? channels - c : 4;
        if (n == 4) { /* every tap's 4 bytes lie inside its pixel (or the zero-point pad row) */
            int32_t a[4] = {q[0], q[1], q[2], q[3]};
            mcu_dw3_group4(t, c, w, a);
            mcu_dw3_store(p, q, c, a, 4, out);
            continue;
        }
        int32_t a[4];
        for (int32_t j = 0; j < 4; j++) {
            int32_t acc = q[j];
            if (j < n) {
                for (int32_t k = 0; k < 4; k++) {
                    const uint32_t wj = (uint32_t)w[4 * k + j];
                    acc += t[2 * k][c + j] * mcu_dw3_half(wj, 0) + t[2 * k + 1][c + j] * mcu_dw3_half(wj, 1);
                }
                acc += t[8][c + j] * mcu_dw3_half((uint32_t)w[16 + (j & 1)], j >> 1);
            }
            a[j] = acc;
        }
        mcu_dw3_store(p, q, c, a, n, out);
    }
}
#endif /* MCU_MUL16 */

#endif /* __ARM_FEATURE_DSP */

void mcu_depthwise_conv_3x3_s8(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, channels = p->in_c;
    const int32_t out_w = p->out_w;
    const int32_t pixels = p->out_h * out_w;
    const int32_t total = p->batches * pixels;
    const int32_t image = in_h * in_w * channels;
    const int32_t row = in_w * channels;
    const int32_t dy = p->dil_h * row, dx = p->dil_w * channels;
    const int32_t step = p->reverse ? -1 : 1;
    int32_t n = p->reverse ? total - 1 : 0;
    int32_t b = n / pixels, oy = (n % pixels) / out_w, ox = (n % pixels) % out_w;
#if defined(MCU_DW3_HAVE_INTERIOR)
    /* the output columns whose windows lie inside the image: ox_lo <= ox <= ox_hi (used only when
     * some pixel is, so both divisions see non-negative numerators there) */
    const int32_t ox_lo = (p->pad_left + p->stride_w - 1) / p->stride_w;
    const int32_t ox_hi = MCU_MIN((in_w - 1 - 2 * p->dil_w + p->pad_left) / p->stride_w, out_w - 1);
#endif
    for (int32_t i = 0; i < total; i++, n += step) {
        const int8_t *img = input + b * image;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        const int8_t *t[9];
        if (y0 >= 0 && y0 + 2 * p->dil_h < in_h && x0 >= 0 && x0 + 2 * p->dil_w < in_w) {
            const int8_t *s = img + y0 * row + x0 * channels;
#if defined(MCU_DW3_HAVE_INTERIOR)
            if (!p->fast) {
                goto taps;
            }
            /* this pixel and the next ones of its row (in the order of the contract) that are interior */
            const int32_t run = step > 0 ? ox_hi - ox + 1 : ox - ox_lo + 1;
            mcu_dw3_run_interior(p, s, step * p->stride_w * channels, dx, dy, output + n * channels,
                                 step * channels, run);
            i += run - 1;
            n += step * (run - 1);
            ox += step * (run - 1);
            goto next;
        taps:
#endif
            t[0] = s;
            t[1] = s + dx;
            t[2] = s + 2 * dx;
            s += dy;
            t[3] = s;
            t[4] = s + dx;
            t[5] = s + 2 * dx;
            s += dy;
            t[6] = s;
            t[7] = s + dx;
            t[8] = s + 2 * dx;
        } else {
#if defined(MCU_DW3_HAVE_EDGE)
            const int32_t dh = p->dil_h, dw = p->dil_w;
            if (p->fast && y0 >= 0 && y0 + 2 * dh < in_h && x0 + dw >= 0 && x0 + dw < in_w
                && (x0 < 0) != (x0 + 2 * dw >= in_w)) {
                /* one column of taps outside: the left one (x0 < 0) or the right one */
                const int32_t right = x0 >= 0;
                mcu_dw3_edge_pixel(p, img + y0 * row + (right ? x0 : x0 + dw) * channels, dx, dy, right,
                                   output + n * channels);
                goto next;
            }
#endif
            for (int32_t ky = 0; ky < 3; ky++) {
                const int32_t y = y0 + ky * p->dil_h;
                for (int32_t kx = 0; kx < 3; kx++) {
                    const int32_t x = x0 + kx * p->dil_w;
                    const int inside = y >= 0 && y < in_h && x >= 0 && x < in_w;
                    t[3 * ky + kx] = inside ? img + y * row + x * channels : p->pad;
                }
            }
        }
        mcu_dw3_pixel(p, t, output + n * channels);
#if defined(MCU_DW3_HAVE_INTERIOR)
    next:
#endif
        /* the next pixel in the order of the contract */
        ox += step;
        if (ox == out_w || ox < 0) {
            ox = ox < 0 ? out_w - 1 : 0;
            oy += step;
            if (oy == p->out_h || oy < 0) {
                oy = oy < 0 ? p->out_h - 1 : 0;
                b += step;
            }
        }
    }
}
