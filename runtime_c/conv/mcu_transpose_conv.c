/* mcu_transpose_conv.c - TRANSPOSE_CONV, int8 and 16x8 (see mcu_conv.h). Plain C; on a board with the
 * DSP extension the per-tap dot products over the input channels use SMLAD (same sums, see below). */
#include <string.h>

#include "mcu_conv.h"

/* s + sum of (x[i] + offset) * w[i], i < n, modulo 2^32 (TFLM's int32 sum wraps the same way). DSP: per
 * 4 values SXTB16 splits x and w into (0, 2) and (1, 3) int16 pairs, SADD16 adds the offset to x's
 * halves (x + offset lies in [-255, 255]: no lane wraps), two SMLAD add the four products; SMLAD's
 * result is the sum modulo 2^32, as the plain loop's. */
static inline uint32_t mcu_tconv_dot_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t offset, uint32_t s)
{
#if defined(__ARM_FEATURE_DSP)
    const int32_t off2 = (int32_t)((uint32_t)(uint16_t)offset * 0x00010001u);
    int32_t a = (int32_t)s;
    for (; n >= 4; n -= 4) {
        uint32_t x4, w4;
        memcpy(&x4, x, 4);
        memcpy(&w4, w, 4);
        x += 4;
        w += 4;
        const int32_t xe = __sadd16(__sxtb16(x4), off2), xo = __sadd16(mcu_conv_fast_sxtb16_odd(x4), off2);
        a = __smlad(xe, __sxtb16(w4), a);
        a = __smlad(xo, mcu_conv_fast_sxtb16_odd(w4), a);
    }
    s = (uint32_t)a;
#endif
    for (; n > 0; n--) {
        s += (uint32_t)(((int32_t)*x++ + offset) * (int32_t)*w++);
    }
    return s;
}

/* Calls body(acc_index, input value, weight) for every (input pixel, tap inside the output, output
   channel, input channel) of image `b`, in TFLM's order. */
#define MCU_TCONV_SCATTER(p, input, ADD)                                                              \
    for (int32_t b = 0; b < (p)->batches; b++) {                                                      \
        for (int32_t iy = 0; iy < (p)->in_h; iy++) {                                                  \
            for (int32_t ix = 0; ix < (p)->in_w; ix++) {                                              \
                const int64_t in_at = (((int64_t)b * (p)->in_h + iy) * (p)->in_w + ix) * (p)->in_c;  \
                for (int32_t ky = 0; ky < (p)->k_h; ky++) {                                           \
                    const int32_t oy = iy * (p)->stride_h - (p)->pad_top + ky;                        \
                    if (oy < 0 || oy >= (p)->out_h) {                                                 \
                        continue;                                                                     \
                    }                                                                                 \
                    for (int32_t kx = 0; kx < (p)->k_w; kx++) {                                       \
                        const int32_t ox = ix * (p)->stride_w - (p)->pad_left + kx;                   \
                        if (ox < 0 || ox >= (p)->out_w) {                                             \
                            continue;                                                                 \
                        }                                                                             \
                        const int64_t out_at =                                                        \
                            (((int64_t)b * (p)->out_h + oy) * (p)->out_w + ox) * (p)->out_c;          \
                        const int8_t *w = (p)->filter + ((int64_t)ky * (p)->k_w + kx) * (p)->in_c;   \
                        const int64_t w_step = (int64_t)(p)->k_h * (p)->k_w * (p)->in_c;              \
                        for (int32_t oc = 0; oc < (p)->out_c; oc++, w += w_step) {                    \
                            ADD(out_at + oc, (input) + in_at, w);                                     \
                        }                                                                             \
                    }                                                                                 \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }

void mcu_transpose_conv_s8(const mcu_transpose_conv_params_t *p, const int8_t *input, int8_t *output,
                           int32_t *scratch)
{
    const int64_t total = (int64_t)p->batches * p->out_h * p->out_w * p->out_c;
    uint32_t *acc = (uint32_t *)scratch;
    memset(acc, 0, (size_t)total * sizeof(uint32_t));
#define MCU_TCONV_ADD_S8(at, x, w) acc[at] = mcu_tconv_dot_s8((x), (w), p->in_c, p->input_offset, acc[at])
    MCU_TCONV_SCATTER(p, input, MCU_TCONV_ADD_S8)
#undef MCU_TCONV_ADD_S8
    for (int64_t i = 0; i < total; i++) {
        const int32_t oc = (int32_t)(i % p->out_c);
        uint32_t a = acc[i];
        if (p->bias) {
            a += (uint32_t)p->bias[oc];
        }
        int32_t v = mcu_requantize((int32_t)a, p->multiplier[oc], p->shift[oc]) + p->output_offset;
        output[i] = (int8_t)MCU_CLAMP(v, p->act_min, p->act_max);
    }
}

void mcu_transpose_conv_s16(const mcu_transpose_conv_params_t *p, const int16_t *input, int16_t *output,
                            int32_t *scratch)
{
    const int64_t total = (int64_t)p->batches * p->out_h * p->out_w * p->out_c;
    memset(scratch, 0, (size_t)total * sizeof(int64_t));
    /* mcu_dot_s16: int32 partial sums of at most 508 (DSP) or MCU_S16_CHUNK products added in int64 */
#define MCU_TCONV_ADD_S16(at, x, w)                                                 \
    do {                                                                            \
        int64_t s;                                                                  \
        memcpy(&s, scratch + 2 * (at), sizeof s);                                   \
        s += mcu_dot_s16((x), (w), p->in_c);                                        \
        memcpy(scratch + 2 * (at), &s, sizeof s);                                   \
    } while (0)
    MCU_TCONV_SCATTER(p, input, MCU_TCONV_ADD_S16)
#undef MCU_TCONV_ADD_S16
    for (int64_t i = 0; i < total; i++) {
        const int32_t oc = (int32_t)(i % p->out_c);
        int64_t a;
        memcpy(&a, scratch + 2 * i, sizeof a);
        if (p->bias64) {
            a += p->bias64[oc];
        }
        output[i] = mcu_output_s16(a, 1, p->multiplier[oc], p->shift[oc], p->act_min, p->act_max);
    }
}
