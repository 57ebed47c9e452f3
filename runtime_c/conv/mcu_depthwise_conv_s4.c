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

#if defined(MCU_S4_DSP_LAYOUTS)
/* ---- the DSP path (group_weights, mcu_conv.h): 4 channels x 2 output pixels, taps in pairs -------------
 * Per group and tap pair one weight word gives the four int16 pairs (16 wa, 16 wb) of the channels (AND,
 * LSL + AND, 4 SXTB16), shared by the two pixels; each pixel's two tap words become the pairs (xa, xb) as
 * in the int8 kernel (PKHBT, PKHTB, 4 SXTB16) and meet them in 4 SMLAD. The sums are 16 acc. */

/* The first n (1 to 3) bytes at p, zero-filled, as a little-endian word. */
static inline uint32_t mcu_dw_s4_part(const int8_t *p, int32_t n)
{
    uint32_t v = 0;
    for (int32_t j = n - 1; j >= 0; j--) {
        v = (v << 8) | (uint8_t)p[j];
    }
    return v;
}

static inline uint32_t mcu_dw_s4_load(const int8_t *p, int32_t n)
{
    uint32_t v;
    if (n == 4) {
        memcpy(&v, p, 4);
        return v;
    }
    return mcu_dw_s4_part(p, n);
}

/* The output byte of channel c from its sum acc16 = 16 acc. */
static inline int8_t mcu_dw_s4_out16(const mcu_conv_s4_params_t *p, int32_t acc16, int32_t c)
{
    if (p->rq_shifted) { /* acc * 2^(left + 1), then SMMLAR (mcu_conv.h: rq_shifted) */
        const int32_t *q = p->rq_shifted + 3 * c;
        const uint32_t sh = (uint32_t)q[2];
        const int32_t a = (int32_t)((uint32_t)acc16 << (sh & 0xFFu)) >> ((sh >> 8) & 0xFFu);
        int32_t v = (mcu_smmlar(a, q[0], q[1]) - (int32_t)((sh >> 16) & (uint32_t)(a < 0))) >> (sh >> 24);
        v = MCU_CLAMP(v, 0, p->act_max - p->act_min);
        return (int8_t)(v + p->act_min);
    }
    if (p->rq) { /* 2 acc into the one-multiply requantization */
        const int32_t a = acc16 >> 3;
        const int32_t *rq = p->rq + 3 * c;
        int32_t v = (mcu_smmlar(a, rq[0], rq[1]) + (a >> 31)) >> rq[2];
        v = MCU_CLAMP(v, 0, p->act_max - p->act_min);
        return (int8_t)(v + p->act_min);
    }
    return mcu_s4_output(acc16 >> 4, p->multiplier[c], p->shift[c], p->output_zp, p->act_min, p->act_max);
}

/* The assembly blocks below hold 14 registers at once; clang's register allocator gives up on them (Thumb-2
 * keeps r7 for the frame), so under clang the layout's portable loop below runs instead (bit-exact, slower). */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(__clang__)

/* Taps a and b, channels c .. c+3: 20 instructions for 8 MACs. The weight word's high nibbles give (16 wa,
 * 16 wb) of channels c, c+1 by SXTB16 (ror 0, 8), its low nibbles (shifted up) those of c+2, c+3; the two
 * tap words are split by PKHBT / PKHTB and SXTB16 into the matching (xa, xb) pairs. One asm block so that
 * the compiler keeps the four sums in registers. */
#define MCU_DW_S4_PAIR(ta, tb)                                                                    \
    do {                                                                                          \
        uint32_t v_, t_, ww_, xa_, xb_, l_;                                                       \
        __asm__("ldr %[v], [%[w]], #4\n\t"                                                        \
                "ldr %[xa], [%[pa], %[c]]\n\t"                                                    \
                "ldr %[xb], [%[pb], %[c]]\n\t"                                                    \
                "pkhbt %[l], %[xa], %[xb], lsl #16\n\t"                                           \
                "pkhtb %[xb], %[xb], %[xa], asr #16\n\t"                                          \
                "and %[t], %[v], #0xF0F0F0F0\n\t"                                                 \
                "sxtb16 %[ww], %[t]\n\t"                                                          \
                "sxtb16 %[xa], %[l]\n\t"                                                          \
                "smlad %[a0], %[xa], %[ww], %[a0]\n\t"                                            \
                "sxtb16 %[t], %[t], ror #8\n\t"                                                   \
                "sxtb16 %[xa], %[l], ror #8\n\t"                                                  \
                "smlad %[a1], %[xa], %[t], %[a1]\n\t"                                             \
                "lsl %[v], %[v], #4\n\t"                                                          \
                "and %[v], %[v], #0xF0F0F0F0\n\t"                                                 \
                "sxtb16 %[ww], %[v]\n\t"                                                          \
                "sxtb16 %[xa], %[xb]\n\t"                                                         \
                "smlad %[a2], %[xa], %[ww], %[a2]\n\t"                                            \
                "sxtb16 %[v], %[v], ror #8\n\t"                                                   \
                "sxtb16 %[xa], %[xb], ror #8\n\t"                                                 \
                "smlad %[a3], %[xa], %[v], %[a3]"                                                 \
                : [v] "=&r"(v_), [t] "=&r"(t_), [ww] "=&r"(ww_), [xa] "=&r"(xa_), [xb] "=&r"(xb_),      \
                  [l] "=&r"(l_), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w) \
                : [pa] "r"(ta), [pb] "r"(tb), [c] "r"(c)                                          \
                : "memory");                                                                      \
    } while (0)

/* The last tap of an odd count (its pair's second tap has weight 0): the bottom halves of the same weight
 * pairs against (x0, x2), (x1, x3) in SMLABB / SMLATB; 15 instructions for 4 MACs. */
#define MCU_DW_S4_SINGLE(ta)                                                                      \
    do {                                                                                          \
        uint32_t v_, t_, ww_, x_, e_;                                                             \
        __asm__("ldr %[v], [%[w]], #4\n\t"                                                        \
                "ldr %[x], [%[pa], %[c]]\n\t"                                                     \
                "and %[t], %[v], #0xF0F0F0F0\n\t"                                                 \
                "lsl %[v], %[v], #4\n\t"                                                          \
                "and %[v], %[v], #0xF0F0F0F0\n\t"                                                 \
                "sxtb16 %[e], %[x]\n\t"                                                           \
                "sxtb16 %[x], %[x], ror #8\n\t"                                                   \
                "sxtb16 %[ww], %[t]\n\t"                                                          \
                "smlabb %[a0], %[e], %[ww], %[a0]\n\t"                                            \
                "sxtb16 %[t], %[t], ror #8\n\t"                                                   \
                "smlabb %[a1], %[x], %[t], %[a1]\n\t"                                             \
                "sxtb16 %[ww], %[v]\n\t"                                                          \
                "smlatb %[a2], %[e], %[ww], %[a2]\n\t"                                            \
                "sxtb16 %[v], %[v], ror #8\n\t"                                                   \
                "smlatb %[a3], %[x], %[v], %[a3]"                                                 \
                : [v] "=&r"(v_), [t] "=&r"(t_), [ww] "=&r"(ww_), [x] "=&r"(x_), [e] "=&r"(e_),        \
                  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w)           \
                : [pa] "r"(ta), [c] "r"(c)                                                        \
                : "memory");                                                                      \
    } while (0)

/* The four sums 16 acc of channels c..c+3 as one word of output bytes. */
static inline uint32_t mcu_dw_s4_out4(const mcu_conv_s4_params_t *p, int32_t c, int32_t a0, int32_t a1,
                                      int32_t a2, int32_t a3)
{
    if (!p->rq) { /* rq_shifted or TFLM's multipliers */
        return (uint32_t)(uint8_t)mcu_dw_s4_out16(p, a0, c) | ((uint32_t)(uint8_t)mcu_dw_s4_out16(p, a1, c + 1) << 8) |
               ((uint32_t)(uint8_t)mcu_dw_s4_out16(p, a2, c + 2) << 16) |
               ((uint32_t)(uint8_t)mcu_dw_s4_out16(p, a3, c + 3) << 24);
    }
    const int32_t *q = p->rq + 3 * c, span = p->act_max - p->act_min;
    a0 >>= 3, a1 >>= 3, a2 >>= 3, a3 >>= 3; /* 2 acc */
    int32_t v0 = (mcu_smmlar(a0, q[0], q[1]) + (a0 >> 31)) >> q[2];
    int32_t v1 = (mcu_smmlar(a1, q[3], q[4]) + (a1 >> 31)) >> q[5];
    int32_t v2 = (mcu_smmlar(a2, q[6], q[7]) + (a2 >> 31)) >> q[8];
    int32_t v3 = (mcu_smmlar(a3, q[9], q[10]) + (a3 >> 31)) >> q[11];
    v0 = __usat(v0, 8);
    v1 = __usat(v1, 8);
    v2 = __usat(v2, 8);
    v3 = __usat(v3, 8);
    if (span < UINT8_MAX) { /* USAT gave [0, 255] */
        v0 = MCU_MIN(v0, span);
        v1 = MCU_MIN(v1, span);
        v2 = MCU_MIN(v2, span);
        v3 = MCU_MIN(v3, span);
    }
    const uint32_t word = (uint32_t)v0 | ((uint32_t)v1 << 8) | ((uint32_t)v2 << 16) | ((uint32_t)v3 << 24);
    return __uadd8(word, (uint32_t)(uint8_t)p->act_min * 0x01010101u);
}

/* One channel's sum 16 acc (A) into its byte: 2 acc, {M, K, e} from q, the one-multiply
 * requantization, USAT; 7 instructions. */
#define MCU_DW_S4_RQ1(A)                                                                          \
    "ldrd %[m], %[k], [%[q]], #8\n\t"                                                             \
    "ldr %[e], [%[q]], #4\n\t"                                                                    \
    "asr " A ", " A ", #3\n\t"                                                                    \
    "smmlar %[m], " A ", %[m], %[k]\n\t"                                                          \
    "add %[m], %[m], " A ", asr #31\n\t"                                                          \
    "asr %[m], %[m], %[e]\n\t"                                                                    \
    "usat " A ", #8, %[m]\n\t"

/* The four sums of channels c..c+3 into one word of output bytes: act_min-relative bytes, min(span) by
   USUB8 / SEL, + act_min (UADD8). q advances by 4 channels. */
#define MCU_DW_S4_RQ4(q, span4, lo4)                                                              \
    do {                                                                                          \
        uint32_t m_, k_, e_;                                                                      \
        __asm__(MCU_DW_S4_RQ1("%[a0]") MCU_DW_S4_RQ1("%[a1]") MCU_DW_S4_RQ1("%[a2]")             \
                MCU_DW_S4_RQ1("%[a3]")                                                            \
                "orr %[a0], %[a0], %[a1], lsl #8\n\t"                                             \
                "orr %[a0], %[a0], %[a2], lsl #16\n\t"                                            \
                "orr %[a0], %[a0], %[a3], lsl #24\n\t"                                            \
                "usub8 %[m], %[a0], %[s4]\n\t"                                                    \
                "sel %[a0], %[s4], %[a0]\n\t"                                                     \
                "uadd8 %[a0], %[a0], %[l4]"                                                       \
                : [m] "=&r"(m_), [k] "=&r"(k_), [e] "=&r"(e_), [a0] "+r"(a0), [a1] "+r"(a1),         \
                  [a2] "+r"(a2), [a3] "+r"(a3), [q] "+r"(q)                                        \
                : [s4] "r"(span4), [l4] "r"(lo4)                                                  \
                : "memory", "cc");                                                                \
    } while (0)

/* The same with rq_shifted ({M, K, l | r << 8 | neg << 16 | e << 24}, real multipliers of 0.5 and more): the
 * packed shifts taken byte by byte (register shifts read the bottom byte), 12 instructions. */
#define MCU_DW_S4_RQ1_SHIFTED(A)                                                                  \
    "ldrd %[m], %[k], [%[q]], #8\n\t"                                                             \
    "ldr %[e], [%[q]], #4\n\t"                                                                    \
    "lsl " A ", " A ", %[e]\n\t"                                                                  \
    "ror %[e], %[e], #8\n\t"                                                                      \
    "asr " A ", " A ", %[e]\n\t"                                                                  \
    "smmlar %[m], " A ", %[m], %[k]\n\t"                                                          \
    "ror %[e], %[e], #8\n\t"                                                                      \
    "and %[k], %[e], " A ", lsr #31\n\t"                                                          \
    "sub %[m], %[m], %[k]\n\t"                                                                    \
    "ror %[e], %[e], #8\n\t"                                                                      \
    "asr %[m], %[m], %[e]\n\t"                                                                    \
    "usat " A ", #8, %[m]\n\t"

#define MCU_DW_S4_RQ4_WITH(RQ1, q, span4, lo4)                                                    \
    do {                                                                                          \
        uint32_t m_, k_, e_;                                                                      \
        __asm__(RQ1("%[a0]") RQ1("%[a1]") RQ1("%[a2]") RQ1("%[a3]")                               \
                "orr %[a0], %[a0], %[a1], lsl #8\n\t"                                             \
                "orr %[a0], %[a0], %[a2], lsl #16\n\t"                                            \
                "orr %[a0], %[a0], %[a3], lsl #24\n\t"                                            \
                "usub8 %[m], %[a0], %[s4]\n\t"                                                    \
                "sel %[a0], %[s4], %[a0]\n\t"                                                     \
                "uadd8 %[a0], %[a0], %[l4]"                                                       \
                : [m] "=&r"(m_), [k] "=&r"(k_), [e] "=&r"(e_), [a0] "+r"(a0), [a1] "+r"(a1),         \
                  [a2] "+r"(a2), [a3] "+r"(a3), [q] "+r"(q)                                        \
                : [s4] "r"(span4), [l4] "r"(lo4)                                                  \
                : "memory", "cc");                                                                \
    } while (0)

/* Every whole group of 4 channels of a 3x3 pixel from its nine tap pointers, with rq; returns the channels
   done. */
static int32_t mcu_dw_s4_3x3(const mcu_conv_s4_params_t *p, const int8_t *t0, const int8_t *t1, const int8_t *t2,
                             const int8_t *t3, const int8_t *t4, const int8_t *t5, const int8_t *t6,
                             const int8_t *t7, const int8_t *t8, int8_t *out)
{
    const int32_t full = p->out_c & ~3;
    const int32_t *bias = p->group_bias;
    const int32_t *w = p->group_weights;
    const int32_t *q = p->rq;
    const uint32_t span4 = (uint32_t)(p->act_max - p->act_min) * 0x01010101u;
    const uint32_t lo4 = (uint32_t)(uint8_t)p->act_min * 0x01010101u;
    int32_t c = 0;
    for (; c < full; c += 4) {
        int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
        MCU_DW_S4_PAIR(t0, t1);
        MCU_DW_S4_PAIR(t2, t3);
        MCU_DW_S4_PAIR(t4, t5);
        MCU_DW_S4_PAIR(t6, t7);
        MCU_DW_S4_SINGLE(t8);
        MCU_DW_S4_RQ4(q, span4, lo4);
        memcpy(out + c, &a0, 4);
    }
    return c;
}

/* A 3x3 pixel inside the image: tap (ky, kx) at t0 + ky dy + kx dx. */
static void mcu_dw_s4_3x3_inside(const mcu_conv_s4_params_t *p, const int8_t *t0, int32_t dx, int32_t dy, int8_t *out)
{
    const int8_t *t3 = t0 + dy, *t6 = t3 + dy;
    (void)mcu_dw_s4_3x3(p, t0, t0 + dx, t0 + 2 * dx, t3, t3 + dx, t3 + 2 * dx, t6, t6 + dx, t6 + 2 * dx, out);
}

/* Every whole group of 4 channels of one pixel (tap[]: its tap pointers); returns the channels done. */
static int32_t mcu_dw_s4_groups_fast(const mcu_conv_s4_params_t *p, const int8_t *const *tap, int32_t taps,
                                     int8_t *out)
{
    const int32_t pairs = taps >> 1, words = (taps + 1) >> 1, full = p->out_c & ~3;
    const int32_t *bias = p->group_bias;
    const int32_t *w = p->group_weights;
    int32_t c = 0;
    if (taps == 9 && p->rq) { /* 3x3: the tap pointers once per pixel; the requantization in registers */
        return mcu_dw_s4_3x3(p, tap[0], tap[1], tap[2], tap[3], tap[4], tap[5], tap[6], tap[7], tap[8], out);
    }
    if (taps == 9 && p->rq_shifted) {
        const int8_t *t0 = tap[0], *t1 = tap[1], *t2 = tap[2], *t3 = tap[3], *t4 = tap[4];
        const int8_t *t5 = tap[5], *t6 = tap[6], *t7 = tap[7], *t8 = tap[8];
        const int32_t *q = p->rq_shifted;
        const uint32_t span4 = (uint32_t)(p->act_max - p->act_min) * 0x01010101u;
        const uint32_t lo4 = (uint32_t)(uint8_t)p->act_min * 0x01010101u;
        for (; c < full; c += 4) {
            int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
            MCU_DW_S4_PAIR(t0, t1);
            MCU_DW_S4_PAIR(t2, t3);
            MCU_DW_S4_PAIR(t4, t5);
            MCU_DW_S4_PAIR(t6, t7);
            MCU_DW_S4_SINGLE(t8);
            MCU_DW_S4_RQ4_WITH(MCU_DW_S4_RQ1_SHIFTED, q, span4, lo4);
            memcpy(out + c, &a0, 4);
        }
        return c;
    }
    for (; c < full; c += 4) {
        int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
        for (int32_t k = 0; k < pairs; k++) {
            MCU_DW_S4_PAIR(tap[2 * k], tap[2 * k + 1]);
        }
        if (words != pairs) {
            MCU_DW_S4_SINGLE(tap[taps - 1]);
        }
        const uint32_t word = mcu_dw_s4_out4(p, c, a0, a1, a2, a3);
        memcpy(out + c, &word, 4);
    }
    return c;
}
#define MCU_DW_S4_HAVE_FAST 1
#endif

/* Channels c .. c+n-1 (n <= 4) of one pixel (tap[]: its tap pointers, taps rounded up to even: the extra
   one has weight 0) into out[0 .. n). */
static void mcu_dw_s4_group(const mcu_conv_s4_params_t *p, const int8_t *const *tap, int32_t pairs, int32_t c,
                            int32_t n, int8_t *out)
{
    const int32_t *w = p->group_weights + (c >> 2) * pairs;
    const int32_t *bias = p->group_bias + c;
#if defined(__ARM_FEATURE_DSP)
    int32_t acc[4] = {bias[0], bias[1], bias[2], bias[3]};
    for (int32_t k = 0; k < pairs; k++) {
        const uint32_t v = (uint32_t)w[k];
        const uint32_t hi = v & 0xF0F0F0F0u, lo = (v << 4) & 0xF0F0F0F0u;
        const uint32_t xa = mcu_dw_s4_load(tap[2 * k] + c, n), xb = mcu_dw_s4_load(tap[2 * k + 1] + c, n);
        const uint32_t l = mcu_pkhbt(xa, xb), h = mcu_pkhtb(xa, xb);
        acc[0] = __smlad(__sxtb16((int32_t)l), __sxtb16((int32_t)hi), acc[0]);
        acc[1] = __smlad(mcu_sxtb16_ror8(l), mcu_sxtb16_ror8(hi), acc[1]);
        acc[2] = __smlad(__sxtb16((int32_t)h), __sxtb16((int32_t)lo), acc[2]);
        acc[3] = __smlad(mcu_sxtb16_ror8(h), mcu_sxtb16_ror8(lo), acc[3]);
    }
#else
    uint32_t acc[4];
    for (int32_t j = 0; j < 4; j++) {
        acc[j] = (uint32_t)bias[j];
    }
    for (int32_t k = 0; k < pairs; k++) {
        const uint32_t v = (uint32_t)w[k];
        for (int32_t j = 0; j < n; j++) {
            /* channel j: tap a's nibble in byte j & 1 (the high nibble for j < 2), tap b's two bytes higher */
            const int32_t sh = 8 * (j & 1) + ((j < 2) ? 4 : 0);
            const int32_t wa = 16 * MCU_S4_VALUE(v, sh), wb = 16 * MCU_S4_VALUE(v, sh + 16);
            acc[j] += (uint32_t)(tap[2 * k][c + j] * wa + tap[2 * k + 1][c + j] * wb);
        }
    }
#endif
    for (int32_t j = 0; j < n; j++) {
        out[j] = mcu_dw_s4_out16(p, (int32_t)acc[j], c + j);
    }
}

/* Every channel of one pixel. */
static void mcu_dw_s4_pixel_dsp(const mcu_conv_s4_params_t *p, const int8_t *const *tap, int32_t taps, int8_t *out)
{
    const int32_t pairs = (taps + 1) >> 1;
    int32_t c = 0;
#if defined(MCU_DW_S4_HAVE_FAST)
    c = mcu_dw_s4_groups_fast(p, tap, taps, out);
#endif
    for (; c < p->out_c; c += 4) {
        const int32_t n = p->out_c - c < 4 ? p->out_c - c : 4;
        mcu_dw_s4_group(p, tap, pairs, c, n, out + c);
    }
}

/* The tap pointers of pixel (oy, ox) of image img: p->pad outside the image; an odd count gets one more
   (p->pad, weight 0). */
static void mcu_dw_s4_taps(const mcu_conv_s4_params_t *p, const int8_t *img, int32_t oy, int32_t ox,
                           const int32_t *off, const int8_t **tap)
{
    const int32_t taps = p->k_h * p->k_w;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    if (y0 >= 0 && y0 + span_h < p->in_h && x0 >= 0 && x0 + span_w < p->in_w) {
        const int8_t *base = img + (y0 * p->in_w + x0) * p->in_c;
        for (int32_t t = 0; t < taps; t++) {
            tap[t] = base + off[t];
        }
    } else {
        MCU_DW_EDGE_TAPS(p, img, y0, x0, tap);
    }
    tap[taps] = p->pad;
}

static void mcu_dw_s4_run_groups(const mcu_conv_s4_params_t *p, const int8_t *input, int8_t *output,
                                 const int32_t *off)
{
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t total = p->batches * pixels;
    const int32_t image = p->in_h * p->in_w * p->in_c;
    const int32_t taps = p->k_h * p->k_w;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
#if defined(MCU_DW_S4_HAVE_FAST)
    const int32_t dx = p->dil_w * p->in_c, dy = p->dil_h * p->in_w * p->in_c;
    const int fast3 = taps == 9 && p->k_w == 3 && p->rq != NULL && (p->out_c & 3) == 0;
#else
    const int fast3 = 0;
#endif
    const int8_t *tap[MCU_DW_S4_MAX_TAPS + 1];
    for (int32_t i = 0; i < total; i++) {
        const int32_t n = p->reverse ? total - 1 - i : i;
        const int32_t b = n / pixels, r = n - b * pixels;
        const int32_t oy = r / p->out_w, ox = r - oy * p->out_w;
        const int8_t *img = input + b * image;
        int8_t *out = output + n * p->out_c;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        if (fast3 && y0 >= 0 && y0 + span_h < p->in_h && x0 >= 0 && x0 + span_w < p->in_w) {
#if defined(MCU_DW_S4_HAVE_FAST)
            mcu_dw_s4_3x3_inside(p, img + (y0 * p->in_w + x0) * p->in_c, dx, dy, out);
#endif
            continue;
        }
        mcu_dw_s4_taps(p, img, oy, ox, off, tap);
        mcu_dw_s4_pixel_dsp(p, tap, taps, out);
    }
}

#endif /* MCU_S4_DSP_LAYOUTS */

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
#if defined(MCU_S4_DSP_LAYOUTS)
    if (p->group_weights) {
        mcu_dw_s4_run_groups(p, input, output, off);
        return;
    }
#endif
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
        mcu_dw_s4_pixel_pairs(p, tap, taps, output + n * p->out_c);
    }
}
