/* mcu_depthwise_conv_1ch_s8.c - DEPTHWISE_CONV_2D, int8, one input channel (a convolution with one input
 * channel and depth_multiplier outputs: micro_speech's 10x8 filter with multiplier 8 and stride 2).
 *
 * Per pair of output pixels (consecutive in the order of the contract, mcu_conv.h), the two windows are
 * gathered once into a patch of int16 pairs (sign-extended raw inputs; a tap outside the image reads the
 * input zero point pad[0], so it adds exactly zero to the folded bias bias_f), the two pixels' words
 * interleaved; then per group of 4 output channels one pass over the patch: per word one LDRD of the two
 * pixels' words, two LDRD of the 4 channels' weight pairs and 8 SMLAD (16 MACs in 11 instructions). Both
 * windows are read before either pixel is written, so the planner's distances (mcu_conv.h) hold.
 *
 * Patch word order (and `weights`, which the generator packs in the same order: mcugen/ops/conv.py,
 * dw1ch_pairs): k_w a multiple of 4: filter row by row, a row's taps as quads (4q, 4q+2), (4q+1, 4q+3) (what
 * SXTB16 and SXTB16 ROR 8 split a word of 4 input bytes into), W = k_h * k_w / 2 words; otherwise the taps in
 * (ky, kx) order two by two, an odd last one alone (its partner's weight is 0), W = ceil(k_h * k_w / 2).
 * Interior windows are gathered by word loads (quads) or through a per-tap offset table (pairs); rows outside
 * the image are zero-point words; 4- and 8-wide rows cut by the left or right edge go through a zero-point
 * row buffer; anything else tap by tap.
 *   weights (DSP): per group of 4 output channels (the last padded with zero weights), per word k < W, 4 int32
 *            (w[lo tap][c_j], w[hi tap][c_j]) as int16, low half first, j = 0..3 (doubled when fast);
 *   bias:    bias_f per output channel, padded to a multiple of 4 (doubled when fast);
 *   rq:      fast: {M, K, e} per output channel, padded to a multiple of 4; otherwise TFLM's
 *            multiplier/shift.
 * Without the DSP extension `weights` holds the pair-word layout instead (pair words of two channels, one SMLAL
 * per pair on Armv7-M; the weights not doubled, bias and rq as above; see "the pair-word layout" below). */
#include <string.h>

#include "mcu_conv.h"
#include "mcu_fixedpoint.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* Patch words per pixel (W) and filter width at most (mcugen/ops/conv.py DW_1CH_MAX_WORDS, DW_1CH_MAX_KW). */
#define MCU_DW1C_MAX_WORDS 96
#define MCU_DW1C_MAX_KW 64
#define MCU_DW1C_MAX_FLAT 64 /* taps of a filter whose width is not a multiple of 4 (DW_1CH_MAX_FLAT) */

#if defined(__ARM_FEATURE_DSP)
/* (lo, hi) as two int16 halves of a word, lo in the low half. */
static inline int32_t mcu_dw1c_pair(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

/* Bytes 0 and 2 of v sign-extended into the two halves (SXTB16), and bytes 1 and 3 (SXTB16 ROR 8). */
static inline int32_t mcu_dw1c_even(uint32_t v)
{
#if defined(__ARM_FEATURE_DSP)
    return __sxtb16((int32_t)v);
#else
    return mcu_dw1c_pair((int8_t)(uint8_t)v, (int8_t)(uint8_t)(v >> 16));
#endif
}

static inline int32_t mcu_dw1c_odd(uint32_t v)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
#else
    return mcu_dw1c_pair((int8_t)(uint8_t)(v >> 8), (int8_t)(uint8_t)(v >> 24));
#endif
}

/* One filter row's kw input bytes (contiguous at src) as its patch words, every second word of dst. */
static inline __attribute__((always_inline)) int32_t *mcu_dw1c_row(const int8_t *src, int32_t kw, int32_t *dst)
{
    for (int32_t q = kw >> 2; q > 0; q--, src += 4, dst += 4) {
        uint32_t v;
        memcpy(&v, src, 4);
        dst[0] = mcu_dw1c_even(v);
        dst[2] = mcu_dw1c_odd(v);
    }
    switch (kw & 3) {
    case 1:
        dst[0] = mcu_dw1c_pair(src[0], 0);
        return dst + 2;
    case 2:
        dst[0] = mcu_dw1c_pair(src[0], src[1]);
        return dst + 2;
    case 3:
        dst[0] = mcu_dw1c_pair(src[0], src[1]);
        dst[2] = mcu_dw1c_pair(src[2], 0);
        return dst + 4;
    default:
        return dst;
    }
}

/* `rows` filter rows (rows >= 1) of whole quads (quads >= 1), every column inside the image: row r's bytes at
 * src + r * step, into every second word of dst; returns dst past them. */
static int32_t *mcu_dw1c_quad_rows(const int8_t *src, int32_t step, int32_t rows, int32_t quads, int32_t *dst)
{
    do {
        const int8_t *s = src;
        int32_t q = quads;
        if (q & 1) {
            uint32_t v;
            memcpy(&v, s, 4);
            s += 4;
            dst[0] = mcu_dw1c_even(v);
            dst[2] = mcu_dw1c_odd(v);
            dst += 4;
        }
        for (q >>= 1; q > 0; q--, s += 8, dst += 8) {
            uint32_t v, u;
            memcpy(&v, s, 4);
            memcpy(&u, s + 4, 4);
            dst[0] = mcu_dw1c_even(v);
            dst[2] = mcu_dw1c_odd(v);
            dst[4] = mcu_dw1c_even(u);
            dst[6] = mcu_dw1c_odd(u);
        }
        src += step;
    } while (--rows);
    return dst;
}

/* nq >= 1 quads of a window's rows that lie inside the image (every column inside): quad k's 4 bytes at
 * base + (off[k] - sub), into every second word of dst; returns dst past them. */
static __attribute__((noinline)) int32_t *mcu_dw1c_quads(const int8_t *base, const int32_t *off, int32_t nq,
                                                         int32_t sub, int32_t *dst)
{
    const int32_t *const end = off + nq;
    if (nq & 1) {
        uint32_t v;
        memcpy(&v, base + (off[0] - sub), 4);
        off++;
        dst[0] = mcu_dw1c_even(v);
        dst[2] = mcu_dw1c_odd(v);
        dst += 4;
    }
    while (off != end) {
        uint32_t v, u;
        memcpy(&v, base + (off[0] - sub), 4);
        memcpy(&u, base + (off[1] - sub), 4);
        off += 2;
        dst[0] = mcu_dw1c_even(v);
        dst[2] = mcu_dw1c_odd(v);
        dst[4] = mcu_dw1c_even(u);
        dst[6] = mcu_dw1c_odd(u);
        dst += 8;
    }
    return dst;
}

/* `rows` filter rows of zero-point words (row_words each) into every second word of dst; returns dst past them. */
static inline int32_t *mcu_dw1c_zero_rows(int32_t zz, int32_t rows, int32_t row_words, int32_t *dst)
{
    for (int32_t i = rows * row_words; i > 0; i--, dst += 2) {
        *dst = zz;
    }
    return dst;
}

/* The patch words of output pixel n (in contract numbering) into every second word of dst. */
static __attribute__((noinline)) void mcu_dw1c_gather(const mcu_dw_params_t *p, const int8_t *input, int32_t n, int32_t *dst)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, k_h = p->k_h, k_w = p->k_w, dil_h = p->dil_h, dil_w = p->dil_w;
    const int32_t pixels = p->out_h * p->out_w, r = n % pixels;
    const int8_t *const img = input + (n / pixels) * in_h * in_w;
    const int32_t y0 = (r / p->out_w) * p->stride_h - p->pad_top;
    const int32_t x0 = (r % p->out_w) * p->stride_w - p->pad_left;
    const int8_t zp = p->pad[0];
    const int32_t zz = mcu_dw1c_pair(zp, zp);
    const int32_t row_words = (k_w + 1) >> 1;
    if (k_w & 3) { /* flat pairs of taps: every tap checked */
        int32_t t = 0, prev = 0;
        for (int32_t ky = 0, y = y0; ky < k_h; ky++, y += dil_h) {
            const int row_in = y >= 0 && y < in_h;
            for (int32_t kx = 0, x = x0; kx < k_w; kx++, x += dil_w, t++) {
                const int32_t v = row_in && x >= 0 && x < in_w ? img[y * in_w + x] : zp;
                if (t & 1) {
                    *dst = mcu_dw1c_pair(prev, v);
                    dst += 2;
                } else {
                    prev = v;
                }
            }
        }
        if (t & 1) {
            *dst = mcu_dw1c_pair(prev, 0);
        }
        return;
    }
    /* filter rows ky_lo <= ky < ky_hi lie inside the image, the others read the zero point */
    const int32_t ky_lo = y0 < 0 ? (-y0 + dil_h - 1) / dil_h : 0;
    int32_t ky_hi = in_h - y0 <= 0 ? 0 : (in_h - y0 + dil_h - 1) / dil_h;
    ky_hi = ky_hi < k_h ? ky_hi : k_h;
    int32_t ky = 0;
    for (; ky < ky_lo && ky < k_h; ky++) {
        for (int32_t i = 0; i < row_words; i++, dst += 2) {
            *dst = zz;
        }
    }
    if (ky < ky_hi) {
        const int8_t *row = img + (y0 + ky * dil_h) * in_w;
        const int32_t step = dil_h * in_w;
        if (dil_w == 1 && x0 >= 0 && x0 + k_w <= in_w && (k_w & 3) == 0) {
            dst = mcu_dw1c_quad_rows(row + x0, step, ky_hi - ky, k_w >> 2, dst);
            ky = ky_hi;
        }
        const int32_t d = x0 < 0 ? -x0 : x0 + k_w - in_w; /* columns outside (one side only, below) */
        if (dil_w == 1 && (k_w == 8 || k_w == 4) && in_w >= k_w && d > 0 && d < k_w && (x0 < 0 || x0 + k_w > in_w) &&
            !(x0 < 0 && x0 + k_w > in_w)) {
            /* a filter row of 4 or 8 taps, columns outside on one side: the row's k_w inside bytes nearest that
             * side are copied (as words) into a row buffer of zero points, shifted so that the window (buf + 8)
             * holds the row's inside bytes where they belong */
            uint32_t buf[6];
            const uint32_t zp4 = (uint32_t)(uint8_t)zp * 0x01010101u;
            for (int32_t i = 0; i < 6; i++) {
                buf[i] = zp4;
            }
            int8_t *const win = (int8_t *)buf + 8;
            int8_t *const to = x0 < 0 ? win + d : win - d;
            const int32_t src = x0 < 0 ? 0 : in_w - k_w;
            for (; ky < ky_hi; ky++, row += step) {
                uint32_t v;
                memcpy(&v, row + src, 4);
                memcpy(to, &v, 4);
                if (k_w == 8) {
                    memcpy(&v, row + src + 4, 4);
                    memcpy(to + 4, &v, 4);
                }
                v = buf[2];
                dst[0] = mcu_dw1c_even(v);
                dst[2] = mcu_dw1c_odd(v);
                if (k_w == 8) {
                    v = buf[3];
                    dst[4] = mcu_dw1c_even(v);
                    dst[6] = mcu_dw1c_odd(v);
                }
                dst += 2 * row_words;
            }
        }
        int8_t tmp[MCU_DW1C_MAX_KW];
        if (dil_w == 1) {
            /* columns xs <= kx < xe inside the image: tmp holds the zero point in the others */
            const int32_t xs = x0 < 0 ? (-x0 < k_w ? -x0 : k_w) : 0;
            const int32_t xe = in_w - x0 < k_w ? (in_w - x0 > xs ? in_w - x0 : xs) : k_w;
            const int direct = xs == 0 && xe == k_w;
            memset(tmp, zp, (size_t)k_w);
            for (; ky < ky_hi; ky++, row += step) {
                if (direct) {
                    dst = mcu_dw1c_row(row + x0, k_w, dst);
                    continue;
                }
                for (int32_t kx = xs; kx < xe; kx++) {
                    tmp[kx] = row[x0 + kx];
                }
                dst = mcu_dw1c_row(tmp, k_w, dst);
            }
        }
        for (; ky < ky_hi; ky++, row += step) {
            for (int32_t kx = 0, x = x0; kx < k_w; kx++, x += dil_w) {
                tmp[kx] = x >= 0 && x < in_w ? row[x] : zp;
            }
            dst = mcu_dw1c_row(tmp, k_w, dst);
        }
    }
    for (ky = ky > ky_lo ? ky : ky_lo; ky < k_h; ky++) {
        for (int32_t i = 0; i < row_words; i++, dst += 2) {
            *dst = zz;
        }
    }
}
#endif

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(__clang__)
/* One patch word of both pixels against one group's 4 weight pairs: 11 instructions, 16 MACs (gcc: 14
 * registers; clang's allocator and unoptimized builds take the C below). */
#define MCU_DW1C_STEP_ASM                                                                         \
    "ldrd %[xa], %[xb], [%[x]], #8\n\t"                                                           \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "smlad %[a0], %[xa], %[w0], %[a0]\n\t"                                                        \
    "smlad %[b0], %[xb], %[w0], %[b0]\n\t"                                                        \
    "smlad %[a1], %[xa], %[w1], %[a1]\n\t"                                                        \
    "smlad %[b1], %[xb], %[w1], %[b1]\n\t"                                                        \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "smlad %[a2], %[xa], %[w0], %[a2]\n\t"                                                        \
    "smlad %[b2], %[xb], %[w0], %[b2]\n\t"                                                        \
    "smlad %[a3], %[xa], %[w1], %[a3]\n\t"                                                        \
    "smlad %[b3], %[xb], %[w1], %[b3]\n\t"
#define MCU_DW1C_OPERANDS                                                                         \
    [xa] "=&r"(xa_), [xb] "=&r"(xb_), [w0] "=&r"(w0_), [w1] "=&r"(w1_), [a0] "+r"(a0), [a1] "+r"(a1),     \
        [a2] "+r"(a2), [a3] "+r"(a3), [b0] "+r"(b0), [b1] "+r"(b1), [b2] "+r"(b2), [b3] "+r"(b3), [x] "+r"(x), \
        [w] "+r"(w)
/* The whole pass over the patch (x to end, 4 words a multiple of 4): a first 4 words when their count is not a
 * multiple of 8, then 8 words per turn of a loop closed by 3 instructions (the end pointer read from the stack:
 * every register is taken). */
#define MCU_DW1C_PASS()                                                                           \
    do {                                                                                          \
        for (int32_t r_ = wpad & 3; r_ > 0; r_--) {                                               \
            __asm__(MCU_DW1C_STEP_ASM : MCU_DW1C_OPERANDS : : "memory");                          \
        }                                                                                         \
        if (wpad & 4) {                                                                           \
            __asm__(MCU_DW1C_STEP_ASM MCU_DW1C_STEP_ASM MCU_DW1C_STEP_ASM MCU_DW1C_STEP_ASM          \
                    : MCU_DW1C_OPERANDS                                                           \
                    :                                                                             \
                    : "memory");                                                                  \
        }                                                                                         \
        if (x != end) {                                                                           \
            __asm__("1:\n\t" MCU_DW1C_STEP_ASM MCU_DW1C_STEP_ASM MCU_DW1C_STEP_ASM MCU_DW1C_STEP_ASM     \
                    MCU_DW1C_STEP_ASM MCU_DW1C_STEP_ASM MCU_DW1C_STEP_ASM MCU_DW1C_STEP_ASM               \
                    "ldr %[xa], %[e]\n\t"                                                         \
                    "cmp %[x], %[xa]\n\t"                                                         \
                    "bne 1b"                                                                      \
                    : MCU_DW1C_OPERANDS                                                           \
                    : [e] "m"(end)                                                                \
                    : "memory", "cc");                                                            \
        }                                                                                         \
    } while (0)
#elif defined(__ARM_FEATURE_DSP)
#define MCU_DW1C_SMLAD(x, w, a) __smlad((x), (w), (a))
#define MCU_DW1C_STEP()                                                                           \
    do {                                                                                          \
        xa_ = x[0];                                                                               \
        xb_ = x[1];                                                                               \
        w0_ = w[0];                                                                               \
        w1_ = w[1];                                                                               \
        a0 = MCU_DW1C_SMLAD(xa_, w0_, a0);                                                        \
        b0 = MCU_DW1C_SMLAD(xb_, w0_, b0);                                                        \
        a1 = MCU_DW1C_SMLAD(xa_, w1_, a1);                                                        \
        b1 = MCU_DW1C_SMLAD(xb_, w1_, b1);                                                        \
        w0_ = w[2];                                                                               \
        w1_ = w[3];                                                                               \
        a2 = MCU_DW1C_SMLAD(xa_, w0_, a2);                                                        \
        b2 = MCU_DW1C_SMLAD(xb_, w0_, b2);                                                        \
        a3 = MCU_DW1C_SMLAD(xa_, w1_, a3);                                                        \
        b3 = MCU_DW1C_SMLAD(xb_, w1_, b3);                                                        \
        x += 2;                                                                                   \
        w += 4;                                                                                   \
    } while (0)
#define MCU_DW1C_PASS()                                                                           \
    do {                                                                                          \
        MCU_DW1C_STEP();                                                                          \
    } while (x != end)
#endif

#if !defined(__ARM_FEATURE_DSP)
/* Without the DSP extension (the host, Armv6-M, Armv7-M): the pair-word layout (mcugen/ops/conv.py,
 * pack_dw1ch_pair_words). Each pixel's window is gathered as bytes, taps in (ky, kx) order (the zero point
 * outside the image), the second pixel's MCU_DW1C_PB bytes after the first's; then per group of 4 channels one
 * pass over the taps: per tap the two pixels' values and the group's 2 pair words W = w[c] + w[c + 1] * 2^23
 * ((c0, c1), (c2, c3)), and per pixel and pair one 64-bit multiply-accumulate (SMLAL on Armv7-M: 7
 * instructions for 16 MACs) whose sum S = A + B * 2^23 holds A = sum x * w[c] (|A| < 2^22: the generator's
 * bound) and B = sum x * w[c + 1]. The weights are not doubled: the fields are, with the bias added, after. */
#define MCU_DW1C_PB 192       /* the second pixel's patch offset: taps at most (DW_1CH_MAX_TAPS) */
#define MCU_DW1C_PB_ASM "192" /* the same, for the assembly */
#define MCU_DW1C_SHIFT 23

/* The low field A of a pair's sum from the sum's low word (its low 23 bits, sign-extended). */
static inline int32_t mcu_dw1c_lo(uint32_t lo)
{
    return (int32_t)((lo & 0x7FFFFFu) ^ 0x400000u) - 0x400000;
}

/* int32 from its two's complement bits, without an implementation-defined conversion. */
static inline int32_t mcu_dw1c_s32(uint32_t v)
{
    return v <= 0x7FFFFFFFu ? (int32_t)v : -(int32_t)(~v) - 1;
}

/* The fields A (f[0]) and B (f[1]) of a pair's 64-bit sum (lo, hi) = A + B * 2^23, |A| < 2^22: A the low 23
 * bits; floor(S / 2^23) = B - [A < 0]. */
static inline __attribute__((always_inline, unused)) void mcu_dw1c_fields(uint32_t lo, uint32_t hi, int32_t *f)
{
    const int32_t a = mcu_dw1c_lo(lo);
    f[0] = a;
    f[1] = mcu_dw1c_s32(((lo >> MCU_DW1C_SHIFT) | (hi << (32 - MCU_DW1C_SHIFT))) + (a < 0 ? 1u : 0u));
}

/* The window of the pixel whose first tap is (y0, x0) in image img: k_h * k_w bytes, (ky, kx) order, at dst. */
static void mcu_dw1c_bytes(const mcu_dw_params_t *p, const int8_t *img, int32_t y0, int32_t x0, int8_t *dst)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, k_h = p->k_h, k_w = p->k_w, dil_w = p->dil_w;
    const int8_t zp = p->pad[0];
    const uint32_t zp4 = (uint32_t)(uint8_t)zp * 0x01010101u;
    const int inside = dil_w == 1 && x0 >= 0 && x0 + k_w <= in_w;
    if (inside && (k_w & 3) == 0 && y0 >= 0 && y0 + (k_h - 1) * p->dil_h < in_h) {
        /* the whole window inside, rows of whole words: word copies only */
        const int8_t *s = img + y0 * in_w + x0;
        const int32_t step = p->dil_h * in_w;
        if (k_w == 8) {
            for (int32_t ky = k_h; ky > 0; ky--, s += step, dst += 8) {
                uint32_t v, u;
                memcpy(&v, s, 4);
                memcpy(&u, s + 4, 4);
                __asm__("" : "+r"(v), "+r"(u));
                memcpy(dst, &v, 4);
                memcpy(dst + 4, &u, 4);
            }
            return;
        }
        for (int32_t ky = k_h; ky > 0; ky--, s += step) {
            for (int32_t kx = 0; kx < k_w; kx += 4, dst += 4) {
                uint32_t v;
                memcpy(&v, s + kx, 4);
                __asm__("" : "+r"(v));
                memcpy(dst, &v, 4);
            }
        }
        return;
    }
    for (int32_t ky = 0, y = y0; ky < k_h; ky++, y += p->dil_h, dst += k_w) {
        /* (the empty assembly keeps gcc from turning the copies into calls of memcpy and memset) */
        if (y < 0 || y >= in_h) {
            int32_t kx = 0;
            for (; kx + 4 <= k_w; kx += 4) {
                uint32_t v = zp4;
                __asm__("" : "+r"(v));
                memcpy(dst + kx, &v, 4);
            }
            for (; kx < k_w; kx++) {
                dst[kx] = zp;
            }
            continue;
        }
        const int8_t *const row = img + y * in_w;
        if (inside) {
            const int8_t *const s = row + x0;
            int32_t kx = 0;
            for (; kx + 4 <= k_w; kx += 4) {
                uint32_t v;
                memcpy(&v, s + kx, 4);
                __asm__("" : "+r"(v));
                memcpy(dst + kx, &v, 4);
            }
            for (; kx < k_w; kx++) {
                dst[kx] = s[kx];
            }
        } else if (dil_w == 1) { /* columns xs <= kx < xe inside the image, the zero point around them */
            const int32_t xs = x0 < 0 ? (-x0 < k_w ? -x0 : k_w) : 0;
            const int32_t xe = in_w - x0 < k_w ? (in_w - x0 > xs ? in_w - x0 : xs) : k_w;
            int32_t kx = 0;
            for (; kx < xs; kx++) {
                int32_t v = zp;
                __asm__("" : "+r"(v));
                dst[kx] = (int8_t)v;
            }
            for (; kx < xe; kx++) {
                int32_t v = row[x0 + kx];
                __asm__("" : "+r"(v));
                dst[kx] = (int8_t)v;
            }
            for (; kx < k_w; kx++) {
                int32_t v = zp;
                __asm__("" : "+r"(v));
                dst[kx] = (int8_t)v;
            }
        } else {
            for (int32_t kx = 0, x = x0; kx < k_w; kx++, x += dil_w) {
                dst[kx] = x >= 0 && x < in_w ? row[x] : zp;
            }
        }
    }
}

/* One group's pass over `taps` >= 1 taps of both patches at x: the fields (A, B) of each pair's sum, per pixel
 * {A0, B0, A1, B1} (channels c0..c3) into fa (pixel a) and fb (pixel b); returns w past the group's words. */
static inline __attribute__((always_inline)) const int32_t *mcu_dw1c_pass_pairs(const int8_t *x, const int32_t *w,
                                                                                int32_t taps, int32_t fa[4],
                                                                                int32_t fb[4])
{
#if defined(__GNUC__) && defined(__thumb2__) && defined(__OPTIMIZE__) && !defined(__clang__)
    /* Armv7-M, gcc: 14 registers (8 sum words, 2 values, 2 words, 2 pointers); the end pointer on the stack */
    uint32_t a0l = 0, a0h = 0, a1l = 0, a1h = 0, b0l = 0, b0h = 0, b1l = 0, b1h = 0;
    int32_t xa_, xb_, w0_, w1_;
    const int8_t *const end = x + taps;
#define MCU_DW1C_TAP_ASM                                                                          \
    "ldrsb %[xb], [%[x], #" MCU_DW1C_PB_ASM "]\n\t"                                               \
    "ldrsb %[xa], [%[x]], #1\n\t"                                                                 \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                           \
    "smlal %[a0l], %[a0h], %[xa], %[w0]\n\t"                                                      \
    "smlal %[a1l], %[a1h], %[xa], %[w1]\n\t"                                                      \
    "smlal %[b0l], %[b0h], %[xb], %[w0]\n\t"                                                      \
    "smlal %[b1l], %[b1h], %[xb], %[w1]\n\t"
#define MCU_DW1C_TAP_OPERANDS                                                                     \
    [xa] "=&r"(xa_), [xb] "=&r"(xb_), [w0] "=&r"(w0_), [w1] "=&r"(w1_), [a0l] "+r"(a0l), [a0h] "+r"(a0h), \
        [a1l] "+r"(a1l), [a1h] "+r"(a1h), [b0l] "+r"(b0l), [b0h] "+r"(b0h), [b1l] "+r"(b1l),              \
        [b1h] "+r"(b1h), [x] "+r"(x), [w] "+r"(w)
    for (int32_t r = taps & 7; r > 0; r--) {
        __asm__(MCU_DW1C_TAP_ASM : MCU_DW1C_TAP_OPERANDS : : "memory");
    }
    if (x != end) {
        __asm__("1:\n\t" MCU_DW1C_TAP_ASM MCU_DW1C_TAP_ASM MCU_DW1C_TAP_ASM MCU_DW1C_TAP_ASM MCU_DW1C_TAP_ASM
                    MCU_DW1C_TAP_ASM MCU_DW1C_TAP_ASM MCU_DW1C_TAP_ASM
                "ldr %[xa], %[e]\n\t"
                "cmp %[x], %[xa]\n\t"
                "bne 1b"
                : MCU_DW1C_TAP_OPERANDS
                : [e] "m"(end)
                : "memory", "cc");
    }
    (void)xa_, (void)xb_, (void)w0_, (void)w1_;
    /* S = A + B * 2^23, |A| < 2^22: A the low 23 bits; floor(S / 2^23) = B - [A < 0] */
    mcu_dw1c_fields(a0l, a0h, fa);
    mcu_dw1c_fields(a1l, a1h, fa + 2);
    mcu_dw1c_fields(b0l, b0h, fb);
    mcu_dw1c_fields(b1l, b1h, fb + 2);
    return w;
#else
    /* portable C (no 64-bit product): s = S modulo 2^32 from x * W and B itself from x * w[c + 1] ((W + 2^22)
     * >> 23 is w[c + 1] exactly); A = s - B * 2^23 modulo 2^32 */
    uint32_t s[4] = {0, 0, 0, 0};
    int32_t b[4] = {0, 0, 0, 0};
    for (int32_t t = 0; t < taps; t++, w += 2) {
        const int32_t xa = x[t], xb = x[t + MCU_DW1C_PB];
        const int32_t w0 = w[0], w1 = w[1];
        const int32_t h0 = (w0 + (1 << (MCU_DW1C_SHIFT - 1))) >> MCU_DW1C_SHIFT;
        const int32_t h1 = (w1 + (1 << (MCU_DW1C_SHIFT - 1))) >> MCU_DW1C_SHIFT;
        s[0] += (uint32_t)xa * (uint32_t)w0;
        s[1] += (uint32_t)xa * (uint32_t)w1;
        s[2] += (uint32_t)xb * (uint32_t)w0;
        s[3] += (uint32_t)xb * (uint32_t)w1;
        b[0] += xa * h0;
        b[1] += xa * h1;
        b[2] += xb * h0;
        b[3] += xb * h1;
    }
    for (int32_t j = 0; j < 4; j++) {
        const int32_t a = mcu_dw1c_s32(s[j] - ((uint32_t)b[j] << MCU_DW1C_SHIFT));
        int32_t *const f = j < 2 ? fa : fb;
        f[2 * (j & 1)] = a;
        f[2 * (j & 1) + 1] = b[j];
    }
    return w;
#endif
}
#endif

/* Output byte of channel oc from its accumulator, TFLM's requantization (not fast). */
static int8_t mcu_dw1c_output(const mcu_dw_params_t *p, int32_t acc, int32_t oc)
{
    const int32_t v = mcu_requantize(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
    return (int8_t)MCU_CLAMP(v, p->act_min, p->act_max);
}

/* The fast requantization of one doubled accumulator with {m, k, e}: 0..255, before the clamp to span. */
static inline __attribute__((always_inline, unused)) uint32_t mcu_dw1c_fast1(int32_t a, int32_t m, int32_t k, int32_t e)
{
    const int32_t t = (mcu_smmlar(a, m, k) + (a >> 31)) >> e;
#if defined(__ARM_FEATURE_DSP)
    return __usat(t, 8);
#else
    return (uint32_t)MCU_CLAMP(t, 0, 255);
#endif
}

/* Four bytes 0..255: min(byte, span) + act_min, per byte. */
static inline __attribute__((always_inline, unused)) uint32_t mcu_dw1c_clamp4(uint32_t v, uint32_t span4, uint32_t lo4)
{
#if defined(__ARM_FEATURE_DSP)
    uint32_t t;
    __asm__("usub8 %[t], %[v], %[s]\n\t"
            "sel %[v], %[s], %[v]"
            : [t] "=&r"(t), [v] "+r"(v)
            : [s] "r"(span4)
            : "cc");
    (void)t;
    return __uadd8(v, lo4);
#else
    uint32_t r = 0;
    for (int32_t j = 0; j < 4; j++) {
        const uint32_t b = (v >> (8 * j)) & 0xFFu, s = span4 & 0xFFu;
        r |= (((b < s ? b : s) + lo4) & 0xFFu) << (8 * j);
    }
    return r;
#endif
}

/* The n (<= 4) low bytes of word at out. */
static inline __attribute__((always_inline, unused)) void mcu_dw1c_put(int8_t *out, uint32_t word, int32_t n)
{
    if (n == 4) {
        memcpy(out, &word, 4);
    } else {
        for (int32_t j = 0; j < n; j++) {
            out[j] = (int8_t)(uint8_t)(word >> (8 * j));
        }
    }
}

#if defined(__ARM_FEATURE_DSP)
void mcu_depthwise_conv_1ch_s8(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t out_c = p->out_c;
    /* patch words: whole quads row by row (k_w % 4 == 0), else the taps paired in (ky, kx) order */
    const int32_t taps = p->k_h * p->k_w, wpad = (p->k_w & 3) ? (taps + 1) >> 1 : taps >> 1;
    const int32_t total = p->batches * p->out_h * p->out_w;
    const uint32_t span4 = (uint32_t)(p->act_max - p->act_min) * 0x01010101u;
    const uint32_t lo4 = (uint32_t)(uint8_t)p->act_min * 0x01010101u;
    int32_t patch[2 * MCU_DW1C_MAX_WORDS];
    memset(patch, 0, sizeof(int32_t) * 2 * (size_t)wpad);
#if defined(__ARM_FEATURE_DSP)
    const int32_t *const end = patch + 2 * wpad;
#endif
    /* windows whose columns lie inside the image, of whole quads (k_w % 4 == 0, no horizontal dilation): per
     * quad its offset from the window's first byte, qpr quads per filter row; rows outside read the zero point */
    const int32_t in_h = p->in_h, in_w = p->in_w, out_w = p->out_w, pixels = p->out_h * out_w;
    const int32_t k_h = p->k_h, k_w = p->k_w, dil_h = p->dil_h, qpr = k_w >> 2, row_words = (k_w + 1) >> 1;
    const int quads = (k_w & 3) == 0 && p->dil_w == 1, flat = (k_w & 3) != 0;
    const int32_t zz = mcu_dw1c_pair(p->pad[0], p->pad[0]);
    /* quads: per quad its offset in the window; flat: per tap (taps <= MCU_DW1C_MAX_FLAT) */
    int32_t off[MCU_DW1C_MAX_FLAT];
    if (quads) {
        for (int32_t ky = 0, k = 0; ky < k_h; ky++) {
            for (int32_t q = 0; q < qpr; q++) {
                off[k++] = ky * dil_h * in_w + 4 * q;
            }
        }
    } else if (flat) {
        for (int32_t ky = 0, t = 0; ky < k_h; ky++) {
            for (int32_t kx = 0; kx < k_w; kx++) {
                off[t++] = ky * dil_h * in_w + kx * p->dil_w;
            }
        }
    }
    const int32_t span_w = (k_w - 1) * p->dil_w;
    const int32_t out_h = p->out_h, image = in_h * in_w, span_h = (k_h - 1) * dil_h, step = p->reverse ? -1 : 1;
    int32_t n = p->reverse ? total - 1 : 0; /* the next pixel: number, image, row and column */
    const int8_t *img = input + (n / pixels) * image;
    int32_t oy = (n % pixels) / out_w, ox = (n % pixels) % out_w;
    for (int32_t i = 0; i < total; i += 2) {
        const int two = i + 1 < total;
        int32_t at[2];
        for (int32_t j = 0; j < 1 + two; j++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
            at[j] = n;
            if (flat && y0 >= 0 && y0 + span_h < in_h && x0 >= 0 && x0 + span_w < in_w) {
                /* the window inside the image: its taps in pairs through the offset table */
                const int8_t *base = img + y0 * in_w + x0;
                int32_t *d = patch + j;
                int32_t t = 0;
                for (; t + 1 < taps; t += 2, d += 2) {
                    *d = mcu_dw1c_pair(base[off[t]], base[off[t + 1]]);
                }
                if (t < taps) {
                    *d = mcu_dw1c_pair(base[off[t]], 0);
                }
            } else if (quads && x0 >= 0 && x0 + k_w <= in_w) {
                int32_t ky_lo = 0, ky_hi = k_h;
                if (y0 < 0 || y0 + span_h >= in_h) {
                    ky_lo = y0 < 0 ? (-y0 + dil_h - 1) / dil_h : 0;
                    ky_hi = in_h - y0 <= 0 ? 0 : (in_h - y0 + dil_h - 1) / dil_h;
                    ky_hi = ky_hi < k_h ? ky_hi : k_h;
                }
                if (ky_lo >= ky_hi) {
                    mcu_dw1c_zero_rows(zz, k_h, row_words, patch + j);
                } else {
                    int32_t *d = mcu_dw1c_zero_rows(zz, ky_lo, row_words, patch + j);
                    const int8_t *base = img + (y0 + ky_lo * dil_h) * in_w + x0;
                    d = mcu_dw1c_quads(base, off + ky_lo * qpr, (ky_hi - ky_lo) * qpr, off[ky_lo * qpr], d);
                    mcu_dw1c_zero_rows(zz, k_h - ky_hi, row_words, d);
                }
            } else {
                mcu_dw1c_gather(p, input, n, patch + j);
            }
            n += step;
            ox += step;
            if (ox == out_w) {
                ox = 0;
                if (++oy == out_h) {
                    oy = 0;
                    if (n < total) {
                        img += image;
                    }
                }
            } else if (ox < 0) {
                ox = out_w - 1;
                if (--oy < 0) {
                    oy = out_h - 1;
                    if (n >= 0) {
                        img -= image;
                    }
                }
            }
        }
        const int32_t na = at[0], nb = two ? at[1] : at[0];
        int8_t *const oa = output + na * out_c, *const ob = output + nb * out_c;
        const int32_t *w = p->weights;
        for (int32_t c = 0; c < out_c; c += 4) {
            const int32_t n = out_c - c < 4 ? out_c - c : 4;
            int32_t a0 = p->bias[c], a1 = p->bias[c + 1], a2 = p->bias[c + 2], a3 = p->bias[c + 3];
            int32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
#if defined(__ARM_FEATURE_DSP)
            const int32_t *x = patch;
            int32_t xa_, xb_, w0_, w1_;
            MCU_DW1C_PASS();
#endif
            if (p->fast) {
                const int32_t *q = p->rq + 3 * c;
                uint32_t va = mcu_dw1c_fast1(a0, q[0], q[1], q[2]), vb = mcu_dw1c_fast1(b0, q[0], q[1], q[2]);
                va |= mcu_dw1c_fast1(a1, q[3], q[4], q[5]) << 8;
                vb |= mcu_dw1c_fast1(b1, q[3], q[4], q[5]) << 8;
                va |= mcu_dw1c_fast1(a2, q[6], q[7], q[8]) << 16;
                vb |= mcu_dw1c_fast1(b2, q[6], q[7], q[8]) << 16;
                va |= mcu_dw1c_fast1(a3, q[9], q[10], q[11]) << 24;
                vb |= mcu_dw1c_fast1(b3, q[9], q[10], q[11]) << 24;
                mcu_dw1c_put(oa + c, mcu_dw1c_clamp4(va, span4, lo4), n);
                if (two) {
                    mcu_dw1c_put(ob + c, mcu_dw1c_clamp4(vb, span4, lo4), n);
                }
            } else {
                const int32_t a[4] = {a0, a1, a2, a3}, b[4] = {b0, b1, b2, b3};
                for (int32_t j = 0; j < n; j++) {
                    oa[c + j] = mcu_dw1c_output(p, a[j], c + j);
                }
                for (int32_t j = 0; two && j < n; j++) {
                    ob[c + j] = mcu_dw1c_output(p, b[j], c + j);
                }
            }
        }
    }
}

#else /* !__ARM_FEATURE_DSP: the pair-word layout */

/* Output byte j of the group (out + c) from field f[j]: the doubled accumulator a = bias_f (doubled) + 2 f[j]
 * (wrapping), t = (smmlar(a, M, K) + (a >> 31)) >> e, clamped to [0, span], plus act_min (q, bias, c, span,
 * act_min in scope). */
#define MCU_DW1C_FAST_OUT(out, f, j)                                                              \
    do {                                                                                          \
        const int32_t a_ = mcu_dw1c_s32((uint32_t)bias[j] + 2u * (uint32_t)(f)[j]);               \
        const int32_t t_ = (mcu_smmlar(a_, q[3 * (j)], q[3 * (j) + 1]) + (a_ >> 31)) >> q[3 * (j) + 2]; \
        (out)[c + (j)] = (int8_t)(MCU_CLAMP(t_, 0, span) + act_min);                              \
    } while (0)

void mcu_depthwise_conv_1ch_s8(const mcu_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t out_c = p->out_c, taps = p->k_h * p->k_w;
    const int32_t total = p->batches * p->out_h * p->out_w;
    const int32_t span = p->act_max - p->act_min, act_min = p->act_min;
    int8_t patch[2 * MCU_DW1C_PB];
    if (total == 1) { /* a single pixel: the second patch is never gathered */
        memset(patch + MCU_DW1C_PB, 0, (size_t)taps);
    }
    const int32_t in_h = p->in_h, in_w = p->in_w, out_w = p->out_w, out_h = p->out_h, pixels = out_h * out_w;
    const int32_t image = in_h * in_w, step = p->reverse ? -1 : 1;
    int32_t n = p->reverse ? total - 1 : 0; /* the next pixel: number, image, row and column */
    const int8_t *img = input + (n / pixels) * image;
    int32_t oy = (n % pixels) / out_w, ox = (n % pixels) % out_w;
    for (int32_t i = 0; i < total; i += 2) {
        const int two = i + 1 < total;
        int32_t at[2];
        for (int32_t j = 0; j < 1 + two; j++) {
            at[j] = n;
            mcu_dw1c_bytes(p, img, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left,
                           patch + j * MCU_DW1C_PB);
            n += step;
            ox += step;
            if (ox == out_w) {
                ox = 0;
                if (++oy == out_h) {
                    oy = 0;
                    if (n < total) {
                        img += image;
                    }
                }
            } else if (ox < 0) {
                ox = out_w - 1;
                if (--oy < 0) {
                    oy = out_h - 1;
                    if (n >= 0) {
                        img -= image;
                    }
                }
            }
        }
        const int32_t na = at[0], nb = two ? at[1] : at[0];
        int8_t *const oa = output + na * out_c, *const ob = output + nb * out_c;
        const int32_t *w = p->weights;
        for (int32_t c = 0; c < out_c; c += 4) {
            const int32_t cn = out_c - c < 4 ? out_c - c : 4;
            int32_t fa[4], fb[4];
            w = mcu_dw1c_pass_pairs(patch, w, taps, fa, fb);
            if (p->fast) { /* doubled: bias_f (doubled) + 2 * field, then the fast requantization and the clamp */
                const int32_t *q = p->rq + 3 * c;
                const int32_t *bias = p->bias + c;
                if (cn == 4) {
                    MCU_DW1C_FAST_OUT(oa, fa, 0);
                    MCU_DW1C_FAST_OUT(oa, fa, 1);
                    MCU_DW1C_FAST_OUT(oa, fa, 2);
                    MCU_DW1C_FAST_OUT(oa, fa, 3);
                    if (two) {
                        MCU_DW1C_FAST_OUT(ob, fb, 0);
                    MCU_DW1C_FAST_OUT(ob, fb, 1);
                        MCU_DW1C_FAST_OUT(ob, fb, 2);
                    MCU_DW1C_FAST_OUT(ob, fb, 3);
                    }
                } else {
                    for (int32_t j = 0; j < cn; j++) {
                        MCU_DW1C_FAST_OUT(oa, fa, j);
                    }
                    for (int32_t j = 0; two && j < cn; j++) {
                        MCU_DW1C_FAST_OUT(ob, fb, j);
                    }
                }
            } else {
                int32_t a[4], b[4];
                for (int32_t j = 0; j < 4; j++) { /* bias_f + the fields, wrapping */
                    a[j] = mcu_dw1c_s32((uint32_t)p->bias[c + j] + (uint32_t)fa[j]);
                    b[j] = mcu_dw1c_s32((uint32_t)p->bias[c + j] + (uint32_t)fb[j]);
                }
                for (int32_t j = 0; j < cn; j++) {
                    oa[c + j] = mcu_dw1c_output(p, a[j], c + j);
                }
                for (int32_t j = 0; two && j < cn; j++) {
                    ob[c + j] = mcu_dw1c_output(p, b[j], c + j);
                }
            }
        }
    }
}
#endif
