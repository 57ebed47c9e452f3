/*
 * mcu_conv_im2col_s8.c - CONV_2D with any filter, stride, dilation and padding, int8 (see mcu_conv.h).
 *
 * For each block of P = `pixels` output pixels, the input values of each pixel's window are gathered
 * into its slot of the int16 scratch (padded taps as the input zero point), then
 * mcu_conv_fast_gemm (mcu_conv_1x1_s8.c) computes every output channel of the P pixels.
 *
 * Gathering follows K's order (ky, kx, channel) in groups of 4 values:
 *   - with whole or padded filter rows (row_groups > 0, see mcu_conv_im2col_s8_row_groups):
 *       a window inside the image (no dilation across a row) goes row by row straight from the
 *       input (a padded row reads up to 3 values more, which meet zero weights; never past the
 *       input tensor);
 *       otherwise a row outside the image is zero-point words, a row with taps outside goes tap
 *       by tap when in_c is a multiple of 4, else it is first assembled as bytes in the staging
 *       area after the slots;
 *   - else the whole window is assembled as bytes (natural order, zero tail) in the staging area,
 *     then converted.
 * Offsets are int32: tensors are smaller than 2 GB.
 */
#include <string.h>

#include "mcu_conv.h"

#if defined(__GNUC__)
#define MCU_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define MCU_ALWAYS_INLINE inline
#endif

int32_t mcu_conv_im2col_s8_get_buffer_size(int32_t k_h, int32_t k_w, int32_t in_c, int32_t pixels)
{
    /* `pixels` int16 slots of 4 * groups values, then (in_c not a multiple of 4) a staging row of
       4 * groups bytes */
    if (pixels == 1) { /* the pair-word layout: the window's bytes */
        return 4 * ((k_h * k_w * in_c + 3) / 4);
    }
    const int32_t row_groups = mcu_conv_im2col_s8_row_groups(k_w, in_c);
    const int32_t groups = row_groups > 0 ? k_h * row_groups : (k_h * k_w * in_c + 3) / 4;
    return ((pixels == 4 ? 16 : 8 * pixels) + (in_c % 4 != 0 ? 4 : 0)) * groups;
}

/* What gathering needs, computed once per call. */
typedef struct {
    const int8_t *input;
    const int8_t *end;         /* end of the input tensor */
    int8_t *staging;
    int32_t row_bytes;         /* in_w * in_c */
    int32_t row_step;          /* dil_h * in_w * in_c: from one filter row to the next */
    int32_t image_bytes;       /* in_h * in_w * in_c */
    int32_t slot_row;          /* int16 of the scratch per filter row (row_groups > 0) */
} mcu_im2col_t;

/* `count` bytes of value v (short runs: a call to memset costs more). */
static inline int8_t *mcu_fill_bytes(int8_t *d, int32_t count, int8_t v)
{
    for (; count > 0; count--) {
        *d++ = v;
    }
    return d;
}

/* The bytes of one filter row's window at (y, x0) into row[0 .. k_w * in_c): taps outside the image
   (x) or a row outside the image (y) as the zero point; returns the end of the row. */
static int8_t *mcu_row_bytes(const mcu_conv_fast_params_t *p, const mcu_im2col_t *g, const int8_t *image,
                             int32_t y, int32_t x0, int8_t *row)
{
    const int32_t in_c = p->in_c;
    const int8_t zp = (int8_t)p->input_zp;
    if (y < 0 || y >= p->in_h) {
        return mcu_fill_bytes(row, p->k_w * in_c, zp);
    }
    const int8_t *src = image + y * g->row_bytes;
    if (p->dil_w == 1) { /* zero points, one contiguous run, zero points */
        const int32_t k_w = p->k_w;
        const int32_t left = x0 < 0 ? (-x0 < k_w ? -x0 : k_w) : 0;
        const int32_t over = x0 + k_w - p->in_w;
        const int32_t right = over > 0 ? (over < k_w - left ? over : k_w - left) : 0;
        row = mcu_fill_bytes(row, left * in_c, zp);
        const int8_t *s = src + (x0 + left) * in_c;
        for (int32_t i = (k_w - left - right) * in_c; i > 0; i--) {
            *row++ = *s++;
        }
        return mcu_fill_bytes(row, right * in_c, zp);
    }
    for (int32_t kx = 0; kx < p->k_w; kx++) {
        const int32_t x = x0 + kx * p->dil_w;
        if (x < 0 || x >= p->in_w) {
            row = mcu_fill_bytes(row, in_c, zp);
        } else {
            const int8_t *s = src + x * in_c;
            for (int32_t c = in_c; c > 0; c--) {
                *row++ = *s++;
            }
        }
    }
    return row;
}

/* `rows` filter rows of row_groups groups each, straight from the input. */
static MCU_ALWAYS_INLINE void mcu_put_rows(int16_t *slot, const int8_t *src, int32_t rows, int32_t row_groups,
                                           int32_t src_step, int32_t slot_step, const int32_t pixels)
{
    for (; rows > 0; rows--, src += src_step, slot += slot_step) {
        mcu_conv_fast_put(slot, src, row_groups, pixels);
    }
}

/* Output pixel n's window into `slot`, for blocks of np pixels. */
static MCU_ALWAYS_INLINE void mcu_gather(const mcu_conv_fast_params_t *p, const mcu_im2col_t *g, int32_t n,
                                         int16_t *slot, const int32_t np)
{
    const int32_t plane = p->out_h * p->out_w;
    const int32_t b = n / plane;
    const int32_t r = n - b * plane;
    const int32_t oy = r / p->out_w;
    const int32_t ox = r - oy * p->out_w;
    const int32_t in_c = p->in_c;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    const int8_t *image = g->input + b * g->image_bytes;
    const int32_t row_groups = p->row_groups;

    if (row_groups > 0) {
        const int32_t y_last = y0 + (p->k_h - 1) * p->dil_h;
        const int32_t x_inside = p->dil_w == 1 && x0 >= 0 && x0 + p->k_w <= p->in_w;
        if (x_inside && y0 >= 0 && y_last < p->in_h
            && g->end - (image + y_last * g->row_bytes + x0 * in_c) >= 4 * row_groups) {
            /* the whole window inside: each row straight from the input */
            mcu_put_rows(slot, image + y0 * g->row_bytes + x0 * in_c, p->k_h, row_groups, g->row_step, g->slot_row,
                         np);
            return;
        }
        for (int32_t ky = 0; ky < p->k_h; ky++, slot += g->slot_row) {
            const int32_t y = y0 + ky * p->dil_h;
            if (y < 0 || y >= p->in_h) {
                mcu_conv_fast_fill(slot, row_groups, p->input_zp, np);
            } else if (x_inside && g->end - (image + y * g->row_bytes + x0 * in_c) >= 4 * row_groups) {
                mcu_conv_fast_put(slot, image + y * g->row_bytes + x0 * in_c, row_groups, np);
            } else if ((in_c & 3) == 0) { /* whole taps: straight from the input or zero point words */
                const int8_t *src = image + y * g->row_bytes;
                int16_t *s = slot;
                for (int32_t kx = 0; kx < p->k_w; kx++, s += mcu_conv_fast_group_step(np) * (in_c >> 2)) {
                    const int32_t x = x0 + kx * p->dil_w;
                    if (x < 0 || x >= p->in_w) {
                        mcu_conv_fast_fill(s, in_c >> 2, p->input_zp, np);
                    } else {
                        mcu_conv_fast_put(s, src + x * in_c, in_c >> 2, np);
                    }
                }
            } else {
                int8_t *e = mcu_row_bytes(p, g, image, y, x0, g->staging);
                mcu_fill_bytes(e, g->staging + 4 * row_groups - e, 0);
                mcu_conv_fast_put(slot, g->staging, row_groups, np);
            }
        }
        return;
    }
    int8_t *row = g->staging;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        row = mcu_row_bytes(p, g, image, y0 + ky * p->dil_h, x0, row);
    }
    mcu_fill_bytes(row, g->staging + 4 * p->k_groups - row, 0);
    mcu_conv_fast_put(slot, g->staging, p->k_groups, np);
}

/* The kernel for blocks of np pixels (a constant in each of its two copies). */
static MCU_ALWAYS_INLINE void mcu_conv_im2col_run(const mcu_conv_fast_params_t *p, const int8_t *input,
                                                  int8_t *output, int16_t *scratch, const int32_t np)
{
    const int32_t total = p->batches * p->out_h * p->out_w;
    mcu_im2col_t g;
    g.input = input;
    g.row_bytes = p->in_w * p->in_c;
    g.row_step = p->dil_h * g.row_bytes;
    g.image_bytes = p->in_h * g.row_bytes;
    g.end = input + p->batches * g.image_bytes;
    g.staging = (int8_t *)(scratch + (np == 4 ? 8 : 4 * np) * p->k_groups);
    g.slot_row = mcu_conv_fast_group_step(np) * p->row_groups;
    for (int32_t i = 0; i < total; i += np) {
        int32_t n[4] = {0, 0, 0, 0};
        for (int32_t k = 0; k < np; k++) {
            const int32_t j = i + k < total ? i + k : total - 1;
            n[k] = p->reverse ? total - 1 - j : j;
            mcu_gather(p, &g, n[k], scratch + mcu_conv_fast_slot(k, p->k_groups, np), np);
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

#if !defined(__ARM_FEATURE_DSP) && !defined(MCU_CONV_MVE)
/* n bytes from s to d, whole words where the core loads and stores them unaligned (Armv7-M) */
static inline int8_t *mcu_pair_copy(int8_t *d, const int8_t *s, int32_t n)
{
#if defined(__ARM_FEATURE_UNALIGNED)
    for (; n >= 4; n -= 4, d += 4, s += 4) {
        uint32_t v;
        memcpy(&v, s, 4);
        memcpy(d, &v, 4);
    }
#endif
    for (; n > 0; n--) {
        *d++ = *s++;
    }
    return d;
}

/* mcu_row_bytes for the pair-word layout: a row inside the image (no dilation across it) as one copy. */
static int8_t *mcu_pair_row(const mcu_conv_fast_params_t *p, const mcu_im2col_t *g, const int8_t *image,
                            int32_t y, int32_t x0, int8_t *row)
{
    if (p->dil_w == 1 && y >= 0 && y < p->in_h && x0 >= 0 && x0 + p->k_w <= p->in_w) {
        return mcu_pair_copy(row, image + y * g->row_bytes + x0 * p->in_c, p->k_w * p->in_c);
    }
    return mcu_row_bytes(p, g, image, y, x0, row);
}
#endif

void mcu_conv_im2col_s8(const mcu_conv_fast_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch)
{
#if !defined(__ARM_FEATURE_DSP) && !defined(MCU_CONV_MVE)
    if (p->pixels == 1) { /* the pair-word layout: each window gathered as bytes, then every channel */
        mcu_im2col_t g;
        g.input = input;
        g.row_bytes = p->in_w * p->in_c;
        g.image_bytes = p->in_h * g.row_bytes;
        int8_t *window = (int8_t *)(void *)scratch;
        const int32_t total = p->batches * p->out_h * p->out_w;
        const int32_t plane = p->out_h * p->out_w;
        const int32_t k = p->k_h * p->k_w * p->in_c;
        for (int32_t i = 0; i < total; i++) {
            const int32_t n = p->reverse ? total - 1 - i : i;
            const int32_t b = n / plane;
            const int32_t r = n - b * plane;
            const int32_t oy = r / p->out_w;
            const int32_t ox = r - oy * p->out_w;
            const int8_t *image = input + b * g.image_bytes;
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            int8_t *row = window;
            for (int32_t ky = 0; ky < p->k_h; ky++) {
                row = mcu_pair_row(p, &g, image, y0 + ky * p->dil_h, x0, row);
            }
            mcu_conv_pairs_pixel(p->weights, p->out_c, k, p->act_min, p->act_max, window, output + n * p->out_c);
        }
        return;
    }
#endif
#if defined(MCU_CONV_MVE)
    if (p->pixels == 4) {
        mcu_conv_im2col_run(p, input, output, scratch, 4);
        return;
    }
#endif
    if (p->pixels == 3) {
        mcu_conv_im2col_run(p, input, output, scratch, 3);
    } else {
        mcu_conv_im2col_run(p, input, output, scratch, 2);
    }
}
