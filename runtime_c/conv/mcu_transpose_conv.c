/* mcu_transpose_conv.c - TRANSPOSE_CONV, int8 and 16x8 (see mcu_conv.h). Plain C. */
#include <string.h>

#include "mcu_conv.h"

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
                        for (int32_t oc = 0; oc < (p)->out_c; oc++) {                                 \
                            const int8_t *w = (p)->filter +                                           \
                                              (((int64_t)oc * (p)->k_h + ky) * (p)->k_w + kx) * (p)->in_c; \
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
#define MCU_TCONV_ADD_S8(at, x, w)                                                  \
    do {                                                                            \
        uint32_t s = acc[at];                                                       \
        for (int32_t ic = 0; ic < p->in_c; ic++) {                                  \
            s += (uint32_t)(((int32_t)(x)[ic] + p->input_offset) * (int32_t)(w)[ic]); \
        }                                                                           \
        acc[at] = s;                                                                \
    } while (0)
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
#define MCU_TCONV_ADD_S16(at, x, w)                                                 \
    do {                                                                            \
        int64_t s;                                                                  \
        memcpy(&s, scratch + 2 * (at), sizeof s);                                   \
        for (int32_t ic0 = 0; ic0 < p->in_c; ic0 += MCU_S16_CHUNK) {                \
            const int32_t end = p->in_c - ic0 < MCU_S16_CHUNK ? p->in_c : ic0 + MCU_S16_CHUNK; \
            int32_t part = 0;                                                       \
            for (int32_t ic = ic0; ic < end; ic++) {                                \
                part += (int32_t)(x)[ic] * (int32_t)(w)[ic];                        \
            }                                                                       \
            s += part;                                                              \
        }                                                                           \
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
