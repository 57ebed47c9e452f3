/* mcu_pad.c - PAD and PADV2, any element size (see mcu_shape.h). */
#include "mcu_shape.h"

/* Fill nbytes (a multiple of es) with copies of the es-byte element at value. */
static void mcu_pad_fill(uint8_t *dst, int32_t nbytes, const uint8_t *value, int32_t es)
{
    if (nbytes <= 0) {
        return;
    }
    if (es == 1) {
        memset(dst, value[0], (size_t)nbytes);
        return;
    }
    memcpy(dst, value, (size_t)es);
    for (int32_t done = es; done < nbytes;) {
        const int32_t n = done < nbytes - done ? done : nbytes - done;
        memcpy(dst + done, dst, (size_t)n);
        done += n;
    }
}

void mcu_pad_b(const mcu_pad_params_t *p, const void *input, const void *pad_value, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    const uint8_t *value = (const uint8_t *)pad_value;
    uint8_t *out = (uint8_t *)output;
    const int32_t nd = p->dims;
    const int32_t es = p->elem_size;
    /* one output row = the innermost dimension: left padding, input row, right padding */
    const int32_t row = p->out_shape[nd - 1] * es;
    const int32_t left = p->pad_before[nd - 1] * es;
    const int32_t mid = p->in_shape[nd - 1] * es;
    const int32_t right = row - left - mid;
    int32_t idx[MCU_SHAPE_MAX_DIMS] = {0};
    int32_t d;

    for (d = 0; d < nd; d++) {
        if (p->out_shape[d] <= 0) {
            return;
        }
    }
    for (;;) {
        /* which input row (if any) this output row shows */
        int32_t in_row = 0;
        int inside = 1;
        for (d = 0; d < nd - 1; d++) {
            const int32_t i = idx[d] - p->pad_before[d];
            if (i < 0 || i >= p->in_shape[d]) {
                inside = 0;
                break;
            }
            in_row = in_row * p->in_shape[d] + i;
        }
        if (inside) {
            mcu_pad_fill(out, left, value, es);
            memcpy(out + left, in + (size_t)in_row * (size_t)mid, (size_t)mid);
            mcu_pad_fill(out + left + mid, right, value, es);
        } else {
            mcu_pad_fill(out, row, value, es);
        }
        out += row;
        for (d = nd - 2; d >= 0; d--) {
            if (++idx[d] < p->out_shape[d]) {
                break;
            }
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}
