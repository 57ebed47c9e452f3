/*
 * mcu_conv.h - convolution kernels (NHWC activations, int8).
 *
 * CONV_2D filters are OHWI, DEPTHWISE_CONV_2D filters are 1HWO with
 * O = input channels * depth_multiplier. Weights are symmetric (zero point 0),
 * per output channel or per tensor (then every channel repeats the same
 * multiplier). Parameters live in a const struct the generator writes to flash.
 *
 * Order contract (the arena planner relies on it to overlap output and input,
 * see mcugen/planner/overlap.py): output pixels are produced one at a time in
 * raster order over (batch, y, x), ascending, or descending when `reverse` is
 * set; every byte of pixel p is written only after reading what pixel p needs,
 * and once pixel p is written no input needed only by earlier pixels in that
 * order is read again.
 */
#ifndef MCU_CONV_H
#define MCU_CONV_H

#include <stdint.h>
#include <string.h>
#include "mcu_fixedpoint.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* Helium (MVE, integer): the fast int8 kernels' vector paths (the generator emits their layouts only for a
   board with the "mve" feature; see mcu_conv_fast_params_t, pixels = 4). */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define MCU_CONV_MVE 1
#include <arm_mve.h>
#endif

typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier;  /* depthwise only */
    int32_t reverse;           /* 1: produce output pixels last to first */
    int32_t input_offset;      /* -input zero point */
    int32_t output_offset;     /* output zero point */
    int32_t act_min, act_max;
    const int8_t *filter;
    const int32_t *bias;       /* may be NULL */
    const int32_t *multiplier; /* per output channel */
    const int32_t *shift;      /* per output channel */
} mcu_conv_params_t;

/* CONV_2D, int8 activations and weights, int32 bias. No scratch. */
void mcu_conv_s8(const mcu_conv_params_t *p, const int8_t *input, int8_t *output);

/* DEPTHWISE_CONV_2D: see mcu_dw_params_t and the depthwise kernels at the end of this header. */

/* ------------------------------------------------------------------------------------------------
 * Fast CONV_2D kernels (mcu_conv_1x1_s8.c, mcu_conv_im2col_s8.c): the generator picks them per
 * layer when their build-time conditions hold (mcugen/ops/conv.py), else mcu_conv_s8.
 *
 * Both process output pixels P = `pixels` (2 or 3) at a time, in the order of the contract above
 * (ascending blocks (p, p+1, ...), or descending (p, p-1, ...) when `reverse` is set; a short last
 * block repeats its last pixel, computed and written twice): the input values of the P pixels'
 * windows are gathered first (im2col) into the int16 scratch, then every output channel of the P
 * pixels is computed and written. P = 3 is faster, P = 2 needs a third less scratch.
 *
 * Layout (all built by the generator). K, the window's values in filter order (ky, kx, channel),
 * is split in k_groups groups of 4 values: filter rows are padded to row_groups groups each when
 * row_groups > 0 (the padding has zero weights), else K is padded at its end.
 *   scratch: per group g, 2P words: for each pixel, the pair words (x0,x2) (x1,x3) (int16 halves,
 *   low half first), the order in which SXTB16 splits four int8 values. Padded taps hold the input
 *   zero point, so they add exactly zero. mcu_conv_im2col_s8 with in_c not a multiple of 4 also
 *   stages bytes in 4 * k_groups bytes after that.
 *   weights: one int32 stream, per pair of output channels (2j, 2j+1) (an odd out_c is padded with
 *   a channel of zero weights that is computed but never written):
 *     bias[2]                 TFLM bias + input_offset * sum(weights): the input offset folded in;
 *     2 * k_groups words      per group g, the four int8 weights of channel 2j, then of 2j+1,
 *                             in memory order (little-endian words);
 *       or, when w16 is set, 4 * k_groups words: per group g, for channel 2j then 2j+1, the
 *                             weights as int16 pairs (w0,w2) (w1,w3) (low half first), the
 *                             order of the scratch;
 *     m2[2], h[2], e[2]       the requantization: e = -shift >= 1, m2 = 2 * multiplier - 2^32
 *                             (mod 2^32), h = 2^(e-1) + output_zp * 2^e, and
 *                             out = clamp(mcu_conv_fast_requant(acc, m2, h, e), act_min, act_max).
 *   A channel whose output is the same for every input (e.g. all weights zero) has zero weights,
 *   bias 0, m2 = -2^31, e = 1 and h = 2 * its output.
 * Helium layout (pixels = 4, only on a board with MVE, where the kernels are built with it): the
 * same K order and padding, but
 *   scratch: 4 rows of 4 * k_groups int8 (row k: pixel k's window), then the staging bytes;
 *   weights: per pair of output channels (an odd out_c padded with a zero channel, computed, never
 *            written): bias[2], then per step of 16 values of K (K padded with zero weights to a multiple
 *            of 16) channel 2j's 16 int8 weights, then 2j+1's; then M[2] (TFLM's multiplier, m2 = 2M - 2^32),
 *            h[2] and -e[2] (as above).
 * ------------------------------------------------------------------------------------------------ */
typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t reverse;           /* 1: produce output pixels last to first */
    int32_t k_groups;          /* groups of 4 values per window (see above) */
    int32_t row_groups;        /* groups per filter row, 0: K padded at its end only */
    int32_t w16;               /* 1: weights stored as int16 pairs (see above) */
    int32_t pixels;            /* output pixels per block: 2 or 3; 4: the Helium layout; 1: pair words (below) */
    int32_t input_zp;          /* input zero point: the value of padded taps */
    int32_t act_min, act_max;
    const int32_t *weights;    /* the stream described above */
} mcu_conv_fast_params_t;

/* CONV_2D with a 1x1 filter (any stride, no padding). Scratch: mcu_conv_1x1_s8_get_buffer_size(). */
void mcu_conv_1x1_s8(const mcu_conv_fast_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch);
int32_t mcu_conv_1x1_s8_get_buffer_size(int32_t in_c, int32_t pixels);

/* CONV_2D with a 1x1 filter over 4 or 8 input channels (in_c = 4 * k_groups, k_groups 1 or 2), any stride, on a
   core with DSP (the generator's choice there; plain C elsewhere, for the host): one output pixel at a time, its
   values in registers for all out_c channels. No scratch. Fields as above but `pixels` and `w16` unused;
   weights: per output channel, 4 + 2 * k_groups words: the bias with the input offset folded in, per group g
   the int16 pairs (w0, w2) (w1, w3) of its four weights (low half first), then m2, h, e as above. */
void mcu_conv_1x1_k8_s8(const mcu_conv_fast_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch);

/* CONV_2D, any filter, stride, dilation and padding. Scratch: mcu_conv_im2col_s8_get_buffer_size(),
   whose groups follow mcu_conv_im2col_s8_row_groups(). */
void mcu_conv_im2col_s8(const mcu_conv_fast_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch);
int32_t mcu_conv_im2col_s8_get_buffer_size(int32_t k_h, int32_t k_w, int32_t in_c, int32_t pixels);

/* Groups per filter row: whole rows when k_w * in_c is a multiple of 4, rows padded to a multiple
   of 4 values when the padded row is at most 1.5 times as long (k_w * in_c = 3, 6, 7, 9, 10, 11,
   ...: then a row inside the image is read straight from the input), else 0 (the window is
   assembled byte by byte, K padded at its end). */
static inline int32_t mcu_conv_im2col_s8_row_groups(int32_t k_w, int32_t in_c)
{
    const int32_t row = k_w * in_c;
    const int32_t groups = (row + 3) / 4;
    return (row % 4 == 0 || 8 * groups <= 3 * row) ? groups : 0;
}

/* The product of the P gathered pixels with every output channel, written to out0, out1 and (P = 3)
   out2, which may repeat. Defined in mcu_conv_1x1_s8.c, used by both kernels. */
void mcu_conv_fast_gemm(const mcu_conv_fast_params_t *p, const int16_t *scratch, int8_t *out0, int8_t *out1,
                        int8_t *out2);

/* Helium (pixels = 4): the product of the 4 gathered rows with every output channel, written to out[0..3]
   (which may repeat). Defined in mcu_conv_1x1_s8.c. */
#if defined(MCU_CONV_MVE)
void mcu_conv_fast_gemm4(const mcu_conv_fast_params_t *p, const int8_t *rows, int8_t *const out[4]);
#endif

/* Cores without DSP or MVE (pixels = 1, the pair-word layout; the generator emits it only for them):
 * one output pixel at a time, its K = k_h * k_w * in_c input values read straight from the input (1x1)
 * or gathered as bytes into the scratch (4 * k_groups bytes, padded taps as the input zero point).
 *   weights: output channels in pairs (2j, 2j+1; an odd out_c padded with a zero channel, computed,
 *   never written), pairs in blocks of 3 (the last block 1 to 3 pairs); per block of nb pairs:
 *     2 * nb words           per pair the 64-bit start value bias_b * 2^23 (low word, high word);
 *     K * nb words           per input value k, per pair of the block W = w_a[k] + w_b[k] * 2^23;
 *     9 * nb words           per pair 2 bias_a, M_a, K_a, e_a, 2^31, M_b, K_b, e_b, 2^31 (biases with
 *                            the input offset folded in; M = TFLM's multiplier, K = h and e as above;
 *                            2^31 the rounding term, loaded with them).
 *   The 64-bit sum S = bias_b * 2^23 + sum x[k] * W[k] is A + B * 2^23 with A = sum x * w_a and
 *   B = bias_b + sum x * w_b; the generator proves |A| < 2^22 for every input (so A is the low 23 bits
 *   of S, sign-extended, and B = (S - A) >> 23). The doubled accumulators a = 2 acc (2A + 2 bias_a, 2B;
 *   the generator proves |acc| < 2^30) give out = (K - [a < 0] + floor((a * M + 2^31) / 2^32)) >> e,
 *   clamped to [act_min, act_max].
 * mcu_conv_pairs_pixel: every output channel of one pixel from its K input values at x. Defined in
 * mcu_conv_1x1_s8.c (also used by mcu_conv_im2col_s8.c and mcu_fully_connected_s8.c). */
#if !defined(MCU_CONV_MVE)
void mcu_conv_pairs_pixel(const int32_t *weights, int32_t out_c, int32_t k, int32_t act_min, int32_t act_max,
                          const int8_t *x, int8_t *out);
/* mcu_conv_1x1_s8 with pixels = 1 on any core without Helium (on cores with DSP, FULLY_CONNECTED's speed
   layout: the DSP build of mcu_conv_1x1_s8 does not link the pair-word code). */
void mcu_conv_1x1_pairs_s8(const mcu_conv_fast_params_t *p, const int8_t *input, int8_t *output,
                           int16_t *scratch);
#endif

/* int16 units of the scratch per group of 4 window values (one pixel's share: 4 bytes when pixels = 4,
   else the 2 * pixels words of the interleaved layout), and the start of pixel k's slot. */
static inline int32_t mcu_conv_fast_group_step(int32_t pixels)
{
    return pixels == 4 ? 2 : 4 * pixels;
}

static inline int32_t mcu_conv_fast_slot(int32_t k, int32_t k_groups, int32_t pixels)
{
    return pixels == 4 ? 2 * k_groups * k : 4 * k;
}

#if defined(__ARM_FEATURE_DSP)
/* The odd int8 of a word (bytes 1 and 3) as two int16: SXTB16 with its free rotation (ACLE has no
   rotation operand; a separate ROR would cost an instruction). */
static inline int32_t mcu_conv_fast_sxtb16_odd(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#endif

/* The int8 values src[0 .. 4 * groups) into a slot of the scratch (slot = scratch + 4 * pixel, in
   int16 units; group g at slot + 4 * pixels * g). */
static inline void mcu_conv_fast_put(int16_t *slot, const int8_t *src, int32_t groups, int32_t pixels)
{
    if (pixels == 4) { /* the Helium layout: the bytes themselves */
#if defined(MCU_CONV_MVE)
        /* predicated vector copies (a call of memcpy costs more than the copy of a short row) */
        int8_t *dst = (int8_t *)(void *)slot;
        const int32_t n = 4 * groups;
        for (int32_t k = 0; k < n; k += 16) {
            const mve_pred16_t pr = vctp8q((uint32_t)(n - k));
            vstrbq_p_s8(dst + k, vldrbq_z_s8(src + k, pr), pr);
        }
#else
        memcpy(slot, src, (size_t)(4 * groups));
#endif
        return;
    }
#if defined(__ARM_FEATURE_DSP)
    uint32_t *dst = (uint32_t *)(void *)slot;
    const int32_t stride = 2 * pixels; /* words per group */
    if (groups & 1) {
        uint32_t v;
        memcpy(&v, src, 4);
        src += 4;
        dst[0] = (uint32_t)__sxtb16(v);
        dst[1] = (uint32_t)mcu_conv_fast_sxtb16_odd(v);
        dst += stride;
    }
    uint32_t n = (uint32_t)groups >> 1;
#if defined(__ARM_FEATURE_UNALIGNED) && defined(__GNUC__)
    /* 5 instructions per group (gcc makes 7 of the C below): post-indexed loads and STRD */
    if (n != 0) {
        uint32_t v, u, a, b;
#define MCU_CONV_FAST_PUT_LOOP(STEP)                                                            \
        __asm__ volatile("1:\n\t"                                                               \
                         "ldr %[v], [%[src]], #4\n\t"                                           \
                         "ldr %[u], [%[src]], #4\n\t"                                           \
                         "sxtb16 %[a], %[v]\n\t"                                                \
                         "sxtb16 %[v], %[v], ror #8\n\t"                                        \
                         "sxtb16 %[b], %[u]\n\t"                                                \
                         "sxtb16 %[u], %[u], ror #8\n\t"                                        \
                         "strd %[a], %[v], [%[dst]], #" STEP "\n\t"                             \
                         "strd %[b], %[u], [%[dst]], #" STEP "\n\t"                             \
                         "subs %[n], %[n], #1\n\t"                                              \
                         "bne 1b"                                                               \
                         : [src] "+r"(src), [dst] "+r"(dst), [n] "+r"(n), [v] "=&r"(v),         \
                           [u] "=&r"(u), [a] "=&r"(a), [b] "=&r"(b)                             \
                         :                                                                      \
                         : "memory", "cc")
        if (pixels == 3) {
            MCU_CONV_FAST_PUT_LOOP("24");
        } else {
            MCU_CONV_FAST_PUT_LOOP("16");
        }
#undef MCU_CONV_FAST_PUT_LOOP
    }
#else
    for (; n != 0; n--) {
        uint32_t v, u;
        memcpy(&v, src, 4);
        memcpy(&u, src + 4, 4);
        src += 8;
        dst[0] = (uint32_t)__sxtb16(v);
        dst[1] = (uint32_t)mcu_conv_fast_sxtb16_odd(v);
        dst[stride] = (uint32_t)__sxtb16(u);
        dst[stride + 1] = (uint32_t)mcu_conv_fast_sxtb16_odd(u);
        dst += 2 * stride;
    }
#endif
#else
    for (int32_t g = 0; g < groups; g++) {
        slot[0] = src[0];
        slot[1] = src[2];
        slot[2] = src[1];
        slot[3] = src[3];
        src += 4;
        slot += 4 * pixels;
    }
#endif
}

/* Every value of `groups` groups of a slot set to `value`. */
static inline void mcu_conv_fast_fill(int16_t *slot, int32_t groups, int32_t value, int32_t pixels)
{
    if (pixels == 4) { /* the Helium layout: bytes */
#if defined(MCU_CONV_MVE)
        int8_t *dst = (int8_t *)(void *)slot;
        const int32_t n = 4 * groups;
        const int8x16_t v = vdupq_n_s8((int8_t)value);
        for (int32_t k = 0; k < n; k += 16) {
            vstrbq_p_s8(dst + k, v, vctp8q((uint32_t)(n - k)));
        }
#else
        memset(slot, value & 0xFF, (size_t)(4 * groups));
#endif
        return;
    }
#if defined(__ARM_FEATURE_DSP)
    uint32_t *dst = (uint32_t *)(void *)slot;
    const uint32_t v = (uint32_t)(uint16_t)value * 0x00010001u;
    for (int32_t g = 0; g < groups; g++) {
        dst[0] = v;
        dst[1] = v;
        dst += 2 * pixels;
    }
#else
    for (int32_t g = 0; g < groups; g++) {
        slot[0] = slot[1] = slot[2] = slot[3] = (int16_t)value;
        slot += 4 * pixels;
    }
#endif
}

/* TFLM's requantization mcu_requantize(acc, M, -e) + output_zp for e >= 1, bit for bit:
 *   v = mcu_sat_rdhm(acc, M) = floor((acc * M + 2^30) / 2^31)    (never saturates: M < 2^31),
 *   mcu_rdbpot(v, e) = floor((v + 2^(e-1) - [v < 0]) / 2^e)     (and [v < 0] may be [acc < 0]:
 *   they differ only when v = 0, where both give 0), so with h = 2^(e-1) + output_zp * 2^e
 *   result = (h + [acc < 0 ? -1 : 0] + v) >> e. One SMMLAR computes h + s + v: its
 *   ((t << 32) + acc * m2 + 2^31) >> 32 with m2 = 2M - 2^32 and t = h + s + acc is
 *   t - acc + floor((2 * acc * M + 2^31) / 2^32) = h + s + v (mod 2^32). Exact when h + s + v
 *   fits int32, which the generator checks per channel from the range of acc. */
static inline int32_t mcu_conv_fast_requant(int32_t acc, int32_t m2, int32_t h, int32_t e)
{
    uint32_t t = (uint32_t)h + (uint32_t)acc + (acc < 0 ? 0xFFFFFFFFu : 0u);
#if defined(__ARM_FEATURE_DSP)
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(acc), "r"(m2), "r"(t));
    return r >> e;
#elif defined(MCU_MUL16)
    const uint32_t hi = t + (uint32_t)mcu_mulhi_round16(acc, m2);
    int32_t r = hi <= 0x7FFFFFFFu ? (int32_t)hi : -(int32_t)(~hi) - 1;
    return r >> e;
#else
    uint64_t sum = ((uint64_t)t << 32) + (uint64_t)((int64_t)acc * (int64_t)m2) + 0x80000000u;
    uint32_t hi = (uint32_t)(sum >> 32);
    int32_t r = hi <= 0x7FFFFFFFu ? (int32_t)hi : -(int32_t)(~hi) - 1;
    return r >> e;
#endif
}

/* ------------------------------------------------------------------------------------------------
 * DEPTHWISE_CONV_2D kernels (mcu_depthwise_conv_s8.c, mcu_depthwise_conv_3x3_s8.c, mcu_depthwise_conv_1ch_s8.c),
 * one parameter struct for all; the generator (DepthwiseConv2D in mcugen/ops/conv.py) picks the kernel per layer.
 * They produce output pixels one at a time (mcu_depthwise_conv_1ch_s8: two consecutive ones at a time, both
 * windows read before either is written) in the order of the contract above, each pixel's channels
 * in groups of four, every group written after its reads: all of a pixel's output lies before (after,
 * in reverse) every input byte that pixel and the later ones read, so the planner's distances hold.
 *
 * Folded bias: the input offset is folded at build time, bias_f = bias + input_offset * sum(w over
 * all taps), so the kernels multiply raw inputs; a tap outside the image reads the input zero point
 * from `pad` (in_c bytes, rounded up to a multiple of 4, all -input_offset) and so adds exactly zero.
 *
 * Fast requantization (fast = 1): weights and bias_f are stored doubled (acc2 = 2 * acc) and
 *   out = act_min + clamp((SMMLAR(acc2, M, K) + (acc2 < 0 ? -1 : 0)) >> e, 0, act_max - act_min)
 * with e = -shift >= 1 and K = 2^(e-1) + (output_offset - act_min) * 2^e, which the generator proved
 * equal to TFLM's clamp(MultiplyByQuantizedMultiplier(acc, M, shift) + output_offset) for every
 * accumulator the layer can produce (fast_requant_table in mcugen/ops/conv.py). fast = 0: TFLM's
 * requantization (mcu_requantize) through multiplier/shift, on the accumulator itself.
 *
 * mcu_depthwise_conv_3x3_s8: k 3x3, depth_multiplier 1; any stride, dilation and padding.
 *   weights: per group of 4 channels (c0..c3, the last group padded with zero weights), 18 int32:
 *     for each tap pair (0,1), (2,3), (4,5), (6,7) (tap = 3 * ky + kx): 4 words, channel c0..c3,
 *     each (w[first tap], w[second tap]) as int16 (low half first); then tap 8 as (w_c0, w_c2),
 *     (w_c1, w_c3). That is the order PKHBT/PKHTB + SXTB16 split two input words in.
 *   quant: per group of 4 channels, 16 int32: bias_f[4], (M, K)[4], e[4] (M, K, e 0 when !fast).
 * mcu_depthwise_conv_s8: any kernel and depth_multiplier; quant per output channel is in `bias`
 *   (bias_f) and `rq` ({M, K, e} per output channel, fast only); weights are the model's int8 1HWO
 *   filter (doubled into int16 `weights16` for the DSP path, see mcu_depthwise_conv_s8.c).
 * ------------------------------------------------------------------------------------------------ */
typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier;
    int32_t reverse;           /* 1: produce output pixels last to first */
    int32_t output_offset;     /* output zero point */
    int32_t act_min, act_max;
    int32_t fast;              /* see above */
    const int8_t *pad;         /* in_c (rounded up to 4) bytes of the input zero point */
    const int8_t *filter;      /* mcu_depthwise_conv_s8: the model's 1HWO int8 filter */
    const int32_t *weights;    /* mcu_depthwise_conv_3x3_s8: packed as above; mcu_depthwise_conv_s8: DSP
                                  layout (see there) or NULL */
    const int32_t *quant;      /* mcu_depthwise_conv_3x3_s8: per group as above; mcu_depthwise_conv_s8: its 1-D
                                  DSP path's stream when set (see there), else NULL */
    const int32_t *bias;       /* mcu_depthwise_conv_s8: bias_f per output channel (times 2 when fast) */
    const int32_t *rq;         /* mcu_depthwise_conv_s8, fast: {M, K, e} per output channel */
    const int32_t *multiplier; /* TFLM's multiplier and shift per output channel (used when !fast) */
    const int32_t *shift;
    int32_t mve;               /* 1: mcu_depthwise_conv_s8's Helium layout (depth_multiplier 1, at most
                                  MCU_DW_MVE_MAX_TAPS taps; a board with MVE): `filter` the model's; per group
                                  of 8 channels (padded), in the order of its even channels c, c+2, c+4, c+6
                                  then its odd ones: `bias` bias_f[8] NOT doubled, and when fast `rq`
                                  {M[8], K[8], -e[8]}.
                                  2: layout 2 (depth_multiplier 1, at most MCU_DW_MVE_MAX_TAPS taps, every
                                  shift <= -1): `weights` per group of 16 channels (padded: zero weights, bias
                                  0, M 2^30, shift -1) 60 + 4 * taps int32: bias_f[16] in the order of the
                                  kernel's accumulators (channels 4i, then 4i+1, 4i+2, 4i+3), the 16 int8
                                  weights of each tap, TFLM's M[16] and shift[16] (same order), act_min x16
                                  and act_max x16 (int8), output zero point x8 (int16).
                                  3: layout 3 (in_c 1, depth_multiplier >= 2, k_w <= 8, dil_w 1): `weights`
                                  per output channel k_h rows of 8 int8 (k_w weights, then zeros); `bias`
                                  TFLM's bias (not folded); `multiplier`, `shift` TFLM's.
                                  4: layout 4 (in_c 1, depth_multiplier >= 2, not layout 3): `filter` the
                                  model's; `bias` bias_f per channel (padded to 4); `rq` per group of 4
                                  channels {M[4], left shift[4], mask[4] (-1 when right shift >= 1),
                                  -right shift[4]}. See mcu_depthwise_conv_s8.c. */
} mcu_dw_params_t;

#define MCU_DW_MVE_MAX_TAPS 64

/* The tap pointers tap[0 .. k_h * k_w - 1] of a depthwise window at (y0, x0) of image `img`: each tap's input
 * pixel, or p->pad where the tap lies outside the image. A macro so that the int8 and int4 kernels' parameter
 * structs (the same field names) share it. */
#define MCU_DW_EDGE_TAPS(p, img, y0, x0, tap)                                                  \
    do {                                                                                       \
        for (int32_t ky_ = 0, t_ = 0; ky_ < (p)->k_h; ky_++) {                                 \
            const int32_t y_ = (y0) + ky_ * (p)->dil_h;                                        \
            for (int32_t kx_ = 0; kx_ < (p)->k_w; kx_++, t_++) {                               \
                const int32_t x_ = (x0) + kx_ * (p)->dil_w;                                    \
                const int in_ = y_ >= 0 && y_ < (p)->in_h && x_ >= 0 && x_ < (p)->in_w;         \
                (tap)[t_] = in_ ? (img) + (y_ * (p)->in_w + x_) * (p)->in_c : (p)->pad;        \
            }                                                                                  \
        }                                                                                      \
    } while (0)

/* DEPTHWISE_CONV_2D, any shape, int8 activations and weights, int32 bias. No scratch. */
void mcu_depthwise_conv_s8(const mcu_dw_params_t *p, const int8_t *input, int8_t *output);

/* DEPTHWISE_CONV_2D with one input channel (any filter and depth_multiplier; mcu_depthwise_conv_1ch_s8.c:
 * `weights` its patch-word layout, `bias` and `rq` padded to a multiple of 4 channels). No scratch. */
void mcu_depthwise_conv_1ch_s8(const mcu_dw_params_t *p, const int8_t *input, int8_t *output);

/* DEPTHWISE_CONV_2D with a 3x3 filter and depth_multiplier 1. No scratch. */
void mcu_depthwise_conv_3x3_s8(const mcu_dw_params_t *p, const int8_t *input, int8_t *output);

/* ------------------------------------------------------------------------------------------------
 * 16x8 kernels (mcu_conv_s16.c, mcu_depthwise_conv_s16.c): int16 activations with zero point 0,
 * symmetric int8 weights, per output channel multipliers (a per-tensor layer repeats its own).
 * Exactly TFLM's reference ConvPerChannel / DepthwiseConvPerChannel for int16:
 *   acc64 = 1 (int64 bias, or none): acc = bias + sum x * w in int64, then mcu_requantize_s64 with
 *     `multiplier` holding TFLM's multiplier reduced to 16 bits (see mcu_requantize_s64);
 *   acc64 = 0 (int32 bias, CONV_2D only): TFLM sums in int32 (wrapping) and requantizes with the
 *     32-bit mcu_requantize; `multiplier` is the Q31 multiplier, the bias is stored widened to int64.
 * Taps outside the image are skipped. Output pixels follow the order contract at the top.
 * ------------------------------------------------------------------------------------------------ */
typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier;  /* depthwise only */
    int32_t reverse;           /* 1: produce output pixels last to first */
    int32_t acc64;             /* see above */
    int32_t act_min, act_max;
    const int8_t *filter;      /* OHWI (CONV_2D) or 1HWO (DEPTHWISE_CONV_2D), the model's */
    const int64_t *bias;       /* may be NULL */
    const int32_t *multiplier; /* per output channel: reduced (acc64) or Q31 */
    const int32_t *shift;      /* per output channel */
    const int32_t *weights;    /* DEPTHWISE_CONV_2D DSP layout (mcu_depthwise_conv_s16.c) or NULL */
    const int16_t *pad;        /* with `weights`: in_c zeros, read by taps outside the image */
    const int32_t *rq;         /* with `weights`: per output channel {C lo, C hi, reduced, 15 - shift},
                                  C = bias * reduced + 2^(14 - shift) mod 2^64 (mcu_requantize_s64) */
} mcu_conv_s16_params_t;

/* scratch: NULL (1x1 filters), or mcu_conv_s16_get_buffer_size() bytes for the im2col window. */
void mcu_conv_s16(const mcu_conv_s16_params_t *p, const int16_t *input, int16_t *output, int16_t *scratch);

/* Scratch bytes of mcu_conv_s16: one window of k_h * k_w * in_c int16 values for filters larger than
 * 1x1 (rounded up to 4 bytes), else 0. The same formula is conv_s16_scratch_bytes in mcugen/ops/conv.py. */
static inline int32_t mcu_conv_s16_get_buffer_size(int32_t k_h, int32_t k_w, int32_t in_c)
{
    return (k_h == 1 && k_w == 1) ? 0 : ((k_h * k_w * in_c * 2 + 3) & ~3);
}
void mcu_depthwise_conv_s16(const mcu_conv_s16_params_t *p, const int16_t *input, int16_t *output);

/* Products x * w of an int16 and an int8 value lie in [-2^22, 2^22]: this many of them always sum
   in int32 without overflow (511 * 2^22 < 2^31), so the kernels add int32 partial sums of at most
   MCU_S16_CHUNK products into their int64 accumulators. */
#define MCU_S16_CHUNK 511

/* sum of x[i] * w[i] for i < n (int16 activations, int8 weights), in int64 through int32 partial sums of
 * at most MCU_S16_CHUNK products. DSP: per 4 values one SMLAD pair, (x0, x2) * (w0, w2) and
 * (x1, x3) * (w1, w3), the weights sign-extended by SXTB16 and the inputs paired by PKHBT/PKHTB; chunks
 * of 508 values keep every partial sum (and SMLAD's intermediate) inside int32. */
static inline int64_t mcu_dot_s16(const int16_t *x, const int8_t *w, int32_t n)
{
    int64_t acc = 0;
#if defined(__ARM_FEATURE_DSP)
    while (n >= 4) {
        const int32_t m = n < 508 ? (n & ~3) : 508;
        int32_t s = 0;
        for (int32_t i = 0; i < m; i += 4) {
            uint32_t x01, x23, w4;
            int32_t x02, x13;
            memcpy(&x01, x + i, 4);
            memcpy(&x23, x + i + 2, 4);
            memcpy(&w4, w + i, 4);
            __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(x02) : "r"(x01), "r"(x23));
            __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(x13) : "r"(x23), "r"(x01));
            s = __smlad(x02, __sxtb16(w4), s);
            s = __smlad(x13, mcu_conv_fast_sxtb16_odd(w4), s);
        }
        acc += s;
        x += m;
        w += m;
        n -= m;
    }
#endif
    while (n > 0) {
        const int32_t m = n < MCU_S16_CHUNK ? n : MCU_S16_CHUNK;
        int32_t s = 0;
        for (int32_t i = 0; i < m; i++) {
            s += (int32_t)x[i] * (int32_t)w[i];
        }
        acc += s;
        x += m;
        w += m;
        n -= m;
    }
    return acc;
}

/* mcu_dot_s16 for four weight rows at once (w, w + stride, w + 2 stride, w + 3 stride) against one x:
 * acc[j] = sum x[i] * w[j * stride + i]. The same int32 partial sums of at most 508 (DSP) or
 * MCU_S16_CHUNK products as mcu_dot_s16, so each acc[j] equals mcu_dot_s16 of its row; x is loaded and
 * paired once for the four rows. */
static inline void mcu_dot4_s16(const int16_t *x, const int8_t *w, int32_t stride, int32_t n, int64_t *acc)
{
    acc[0] = acc[1] = acc[2] = acc[3] = 0;
#if defined(__ARM_FEATURE_DSP)
    while (n >= 4) {
        const int32_t m = n < 508 ? (n & ~3) : 508;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int32_t i = 0; i < m; i += 4) {
            uint32_t x01, x23, w4;
            int32_t x02, x13;
            memcpy(&x01, x + i, 4);
            memcpy(&x23, x + i + 2, 4);
            __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(x02) : "r"(x01), "r"(x23));
            __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(x13) : "r"(x23), "r"(x01));
            memcpy(&w4, w + i, 4);
            s0 = __smlad(x02, __sxtb16(w4), s0);
            s0 = __smlad(x13, mcu_conv_fast_sxtb16_odd(w4), s0);
            memcpy(&w4, w + stride + i, 4);
            s1 = __smlad(x02, __sxtb16(w4), s1);
            s1 = __smlad(x13, mcu_conv_fast_sxtb16_odd(w4), s1);
            memcpy(&w4, w + 2 * stride + i, 4);
            s2 = __smlad(x02, __sxtb16(w4), s2);
            s2 = __smlad(x13, mcu_conv_fast_sxtb16_odd(w4), s2);
            memcpy(&w4, w + 3 * stride + i, 4);
            s3 = __smlad(x02, __sxtb16(w4), s3);
            s3 = __smlad(x13, mcu_conv_fast_sxtb16_odd(w4), s3);
        }
        acc[0] += s0;
        acc[1] += s1;
        acc[2] += s2;
        acc[3] += s3;
        x += m;
        w += m;
        n -= m;
    }
#endif
    while (n > 0) {
        const int32_t m = n < MCU_S16_CHUNK ? n : MCU_S16_CHUNK;
        int32_t s[4] = {0, 0, 0, 0};
        for (int32_t i = 0; i < m; i++) {
            const int32_t v = x[i];
            s[0] += v * (int32_t)w[i];
            s[1] += v * (int32_t)w[stride + i];
            s[2] += v * (int32_t)w[2 * stride + i];
            s[3] += v * (int32_t)w[3 * stride + i];
        }
        for (int32_t j = 0; j < 4; j++) {
            acc[j] += s[j];
        }
        x += m;
        w += m;
        n -= m;
    }
}

/* TFLM's MultiplyByQuantizedMultiplier(int64_t x, M, shift) with reduced = its 16-bit multiplier
 * (M < 0x7FFF0000 ? (M + 2^15) >> 16 : 0x7FFF, computed at build time), shift in [-31, 7]:
 * (x * reduced + 2^(14 - shift)) >> (15 - shift), truncated to int32. Computed modulo 2^64 (TFLM
 * assumes |x| < 2^47, where nothing wraps). */
static inline int32_t mcu_requantize_s64(int64_t x, int32_t reduced, int32_t shift)
{
    const int32_t total = 15 - shift;
    const uint64_t sum = (uint64_t)x * (uint64_t)(int64_t)reduced + ((uint64_t)1 << (total - 1));
    const int64_t v = (int64_t)sum >> total;
    return (int32_t)(uint32_t)(uint64_t)v;
}

/* The int16 output of an accumulator: requantized per acc64 (see mcu_conv_s16_params_t), clamped. */
static inline int16_t mcu_output_s16(int64_t acc, int32_t acc64, int32_t multiplier, int32_t shift,
                                     int32_t act_min, int32_t act_max)
{
    int32_t v;
    if (acc64) {
        v = mcu_requantize_s64(acc, multiplier, shift);
    } else {
        v = mcu_requantize((int32_t)(uint32_t)(uint64_t)acc, multiplier, shift);
    }
    return (int16_t)(v < act_min ? act_min : (v > act_max ? act_max : v));
}

/* ------------------------------------------------------------------------------------------------
 * TRANSPOSE_CONV (mcu_transpose_conv.c), TFLM's reference integer kernels: every input pixel's
 * channels times the OHWI filter are scattered (added) into an accumulator per output element,
 * at out = in * stride - pad + k (taps outside the output skipped); then each accumulator plus the
 * bias is requantized, offset and clamped.
 *   s8:  int32 accumulators (wrapping, as TFLM's int32 adds), (x + input_offset) * w, int32 bias,
 *        mcu_requantize with Q31 multipliers, + output_offset. Scratch: 4 bytes per output element.
 *   s16: int64 accumulators, x * w, int64 bias (an int16 bias is widened at build time),
 *        mcu_requantize_s64 with reduced multipliers, zero points 0. Scratch: 8 bytes per output
 *        element (stored as pairs of int32 words, so 4-byte alignment suffices).
 * ------------------------------------------------------------------------------------------------ */
typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t input_offset;      /* s8: -input zero point */
    int32_t output_offset;     /* s8: output zero point */
    int32_t act_min, act_max;
    const int8_t *filter;      /* OHWI */
    const int32_t *bias;       /* s8, may be NULL */
    const int64_t *bias64;     /* s16, may be NULL */
    const int32_t *multiplier; /* per output channel: Q31 (s8) or reduced to 16 bits (s16) */
    const int32_t *shift;
} mcu_transpose_conv_params_t;

void mcu_transpose_conv_s8(const mcu_transpose_conv_params_t *p, const int8_t *input, int8_t *output,
                           int32_t *scratch);
void mcu_transpose_conv_s16(const mcu_transpose_conv_params_t *p, const int16_t *input, int16_t *output,
                            int32_t *scratch);

/* ---- float32 CONV_2D and DEPTHWISE_CONV_2D (mcu_conv_f32.c, mcu_depthwise_conv_f32.c) ----------------
 * TFLM's reference float kernels' arithmetic (see mcu_f32.h): per output, float total = 0 plus
 * input * filter over the taps inside the image (filter_y, filter_x, then input channel for CONV_2D;
 * filter_y, filter_x for DEPTHWISE_CONV_2D), then + bias (0 without one), then the clamp to
 * [act_min, act_max]. Output pixels in raster order, or last pixel first when `reverse` (the overlap
 * contract of the integer kernels: a pixel is written only while its own window is being read). No scratch.
 *   conv:      filter grouped by MCU_F32_GROUP (8) output channels: [ceil(out_c / 8)][k_h][k_w][in_c][8]
 *              (the model's OHWI values, the last group padded with zeros);
 *   depthwise: filter in the model's order [1][k_h][k_w][out_c], out_c = in_c * depth_multiplier. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, depth_multiplier, reverse;
    float act_min, act_max;
    const float *filter;
    const float *bias;         /* [out_c] or NULL */
} mcu_conv_f32_params_t;

void mcu_conv_f32(const mcu_conv_f32_params_t *p, const float *input, float *output);
void mcu_depthwise_conv_f32(const mcu_conv_f32_params_t *p, const float *input, float *output);

/* ---- float32 TRANSPOSE_CONV (mcu_transpose_conv_f32.c) ----------------------------------------------
 * TFLM's reference float TransposeConv scatters every input value into a zeroed output, input pixel by
 * pixel (in_y, in_x, in_channel), then adds the bias and clamps. This kernel gathers instead: per output
 * value, float total = 0 plus input * filter over the input pixels that reach it in ascending (in_y, in_x,
 * in_channel) order, which is the order the scatter adds them in, so the sums are TFLM's bit for bit;
 * then + bias (when present) and the clamp to [act_min, act_max]. Eight output channels at a time
 * (mcu_f32_dot8: VMLA on a single-precision FPU, the same bits), so the filter is grouped like CONV_2D's:
 * [ceil(out_c / 8)][k_h][k_w][in_c][8], the last group padded with zeros. No scratch; the output must not
 * overlap the input. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
    int32_t stride_h, stride_w, pad_top, pad_left;
    float act_min, act_max;
    const float *filter;
    const float *bias;         /* [out_c] or NULL */
} mcu_transpose_conv_f32_params_t;

void mcu_transpose_conv_f32(const mcu_transpose_conv_f32_params_t *p, const float *input, float *output);

/* ---- int4 weights, int8 activations (mcu_conv_s4.c, mcu_depthwise_conv_s4.c) -------------------------
 * TFLM's arithmetic: it unpacks the int4 filter to int8 and runs its reference int8 kernels, so
 * acc = bias + sum over the taps inside the image of (x - input_zp) * w, then mcu_requantize, + output_zp,
 * clamp. The weights stay packed (two per byte) and are unpacked in registers:
 *   CONV_2D: `filter` holds one row of `row_words` words per output channel in the layout of
 *            mcu_s4_impl.h (the OHWI row, zero-padded to a multiple of 8 values); pixels go in pairs
 *            (consecutive in the contract's order): both windows minus input_zp are gathered into
 *            `scratch` (2 x 8 * row_words int16, padded taps 0: mcu_conv_s4_get_buffer_size() bytes),
 *            then both pixels are written, every weight word unpacked once for the two;
 *   DEPTHWISE_CONV_2D: `filter` is the model's own dense packing of the 1HWO filter (value e = tap *
 *            out_c + channel in the low nibble of byte e / 2 when e is even, else the high nibble),
 *            row_words unused, no scratch (pass NULL).
 * Output pixels follow the order contract at the top of this header. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, depth_multiplier, reverse;
    int32_t input_zp, output_zp, act_min, act_max;
    int32_t row_words;         /* CONV_2D: words per packed filter row */
    const int32_t *filter;     /* CONV_2D: packed rows; DEPTHWISE_CONV_2D: the model's packed bytes */
    const int32_t *bias;       /* per output channel, or NULL */
    const int32_t *multiplier; /* TFLM's, per output channel (read only when rq is NULL) */
    const int32_t *shift;
    const int32_t *rq;         /* or NULL: per output channel {M, K, e}, the one-multiply requantization that
                                  mcugen proved exact for every reachable accumulator (mcu_s4_impl.h) */
    const int8_t *pad;         /* DEPTHWISE_CONV_2D: in_c bytes of input_zp, read by taps outside the image */
    /* DEPTHWISE_CONV_2D DSP path (depth_multiplier 1, at most 64 taps, |acc| < 2^27; mcugen dw_s4_grouped
     * chooses it for boards with the DSP extension), or NULL: per group of 4 channels (the last padded), per
     * pair of taps (an odd last one paired with a zero tap), one word with bytes (a0, a2), (a1, a3), (b0, b2),
     * (b1, b3): channel j's weight of taps a and b, the first of each byte in its high nibble (two's
     * complement), so that the high nibbles and the low ones shifted up give (16 wa, 16 wb) pairs by SXTB16;
     * group_bias = 16 (bias - input_zp * sum of the channel's weights), 4 per group; every tap reads the input
     * (pad, 4 * ceil(in_c / 4) bytes of input_zp, outside the image). `filter` and `bias` are then NULL. */
    const int32_t *group_weights;
    const int32_t *group_bias;
    /* DEPTHWISE_CONV_2D DSP path with rq NULL: per output channel {M, K, l | r << 8 | neg << 16 | e << 24}
     * (mcugen s4_shifted_requant: real multipliers of 0.5 and more), or NULL (then multiplier and shift) */
    const int32_t *rq_shifted;
    /* CONV_2D DSP product (boards with the DSP extension; mcugen plan_s4_gemm), or NULL: per pair of output
     * channels (the last padded), bias16[2] = 16 * (bias - input_zp * sum w), then `groups` words, one per
     * group of 4 window values (value j of channel c at bit (0, 4, 16, 20)[j], of channel c + 1 eight bits
     * higher, each stored as w + 8), then m2[2], h[2], e[2] (mcu_conv_fast_requant). Windows of `pixels`
     * (3 or 2) output pixels are gathered into `scratch` (8 * pixels * groups bytes): per group, the pixels'
     * raw int8 values (16 x0, 16 x2) as int16 pairs, then their (x1, x3) (input_zp outside the image, 0 past
     * the window). The other CONV_2D arrays are then NULL. */
    const int32_t *stream;
    int32_t groups, pixels;
    int32_t odd_shift; /* 12: channel c + 1's values 1, 3 two's complement, its bias16 4096 (bias - ...), see
                          mcu_conv_s4.c; 4: as channel c */
} mcu_conv_s4_params_t;

void mcu_conv_s4(const mcu_conv_s4_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch);
int32_t mcu_conv_s4_get_buffer_size(int32_t row_words);
void mcu_depthwise_conv_s4(const mcu_conv_s4_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch);

/* ---- hybrid CONV_2D and DEPTHWISE_CONV_2D (mcu_conv_hybrid.c, mcu_depthwise_conv_hybrid.c) --------------
 * Float32 input and output, int8 weights, float bias: desktop TFLite's hybrid kernels (mcu_hybrid.h). Each
 * batch image is quantized as a whole; `per_channel` (weight scales that differ between channels) selects
 * LiteRT's EvalHybridPerChannel: asymmetric input quantization, acc = sum w * (q - zp) over the taps inside
 * the image, CONV_2D out = ((float)acc * w_scale[c]) * in_scale + bias, DEPTHWISE_CONV_2D
 * out = (float)acc * (w_scale[c] * in_scale) + bias; otherwise (one scale) EvalHybrid: symmetric input,
 * out = (float)acc * (in_scale * w_scale) + bias. Then the activation in float.
 *   conv:      filter rows of K = k_h * k_w * in_c taps (OHWI order), zero-padded to G = 2 ceil(K / 8)
 *              groups of 4 (an even number) and to an even number of channels, stored per channel pair, per group: w16 = 0:
 *              channel c's 4 int8, then channel c + 1's (2 words); w16 = 1: each channel's int16 pairs
 *              (w0, w2), (w1, w3), channel c first (4 words). Output pixels go in pairs: both windows are
 *              gathered (taps outside the image hold the zero point, so that the row sums remove them) and
 *              widened to int16 pairs (x0, x2), (x1, x3) per group, then each channel pair's 2 x 2 products
 *              run over the groups (SMLAD with the DSP extension).
 *              Scratch (mcugen's hybrid_scratch): the quantized image, two window rows, 16 * G bytes of
 *              int16 pairs, then 3 (out_c + 1) int32 (the pair-interleaved sums of both pixels, the start values)
 *              and out_c + 1 floats (in_scale x w_scale).
 *   depthwise: filter in the model's order [1][k_h][k_w][out_c]. Scratch: the quantized image, then (the
 *              dw_pairs path) in_c bytes of the zero point (what taps outside the image read: their
 *              products cancel against the all-tap sums), then out_c int32 start values, out_c int32 sums
 *              and out_c float scales (the zero-point row rounded to 4 bytes).
 * Output pixels in any order: the whole input is quantized before any output is written. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, depth_multiplier;
    int32_t per_channel;
    int32_t single_pass;       /* unused (0): the blocked conv layout below needs no bound */
    int32_t clamp;             /* 0: activation NONE (no clamp) */
    float act_min, act_max;
    const void *filter;        /* conv: packed int32 words; depthwise: int8 */
    const float *scale;        /* [out_c] weight scales (a per-tensor scale repeated) */
    const float *bias;         /* [out_c] (LiteRT requires one) */
    const int32_t *row_sums;   /* conv: [out_c] sums of each filter row; else NULL */
    int32_t w16;               /* conv: filter in the blocked layout below with int16 weights (else int8) */
    const int32_t *dw_pairs;   /* depthwise with the DSP extension (depth multiplier 1, out_c % 4 == 0, at most
                                  MCU_DW_HYBRID_MAX_TAPS taps), or NULL: per tap, per 4 channels c..c+3, the
                                  int16 pairs (w[c], w[c+2]), (w[c+1], w[c+3]); row_sums then holds each
                                  channel's sum over all taps */
} mcu_conv_hybrid_params_t;

#define MCU_DW_HYBRID_MAX_TAPS 64

void mcu_conv_hybrid(const mcu_conv_hybrid_params_t *p, const float *input, float *output, int8_t *scratch);
void mcu_depthwise_conv_hybrid(const mcu_conv_hybrid_params_t *p, const float *input, float *output,
                               int8_t *scratch);

#endif /* MCU_CONV_H */
