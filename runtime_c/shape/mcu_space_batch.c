/* mcu_space_batch.c - SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND, any element size (see mcu_shape.h). */
#include "mcu_shape.h"

void mcu_space_to_batch_b(const mcu_space_batch_params_t *p, const void *input, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const size_t pixel = (size_t)p->pixel_bytes;
    for (int32_t ob = 0; ob < p->out_b; ob++) {
        const int32_t b = ob % p->in_b;
        const int32_t shift_w = (ob / p->in_b) % p->block_w;
        const int32_t shift_h = (ob / p->in_b) / p->block_w;
        for (int32_t oh = 0; oh < p->out_h; oh++) {
            const int32_t ih = oh * p->block_h + shift_h - p->top;
            for (int32_t ow = 0; ow < p->out_w; ow++) {
                const int32_t iw = ow * p->block_w + shift_w - p->left;
                if (ih < 0 || ih >= p->in_h || iw < 0 || iw >= p->in_w) {
                    memset(out, p->pad_byte, pixel);
                } else {
                    memcpy(out, in + (((size_t)b * (size_t)p->in_h + (size_t)ih) * (size_t)p->in_w + (size_t)iw) * pixel,
                           pixel);
                }
                out += pixel;
            }
        }
    }
}

void mcu_batch_to_space_b(const mcu_space_batch_params_t *p, const void *input, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const size_t pixel = (size_t)p->pixel_bytes;
    for (int32_t ib = 0; ib < p->in_b; ib++) {
        const int32_t b = ib % p->out_b;
        const int32_t spatial = ib / p->out_b;
        for (int32_t ih = 0; ih < p->in_h; ih++) {
            const int32_t oh = ih * p->block_h + spatial / p->block_w - p->top;
            if (oh < 0 || oh >= p->out_h) {
                continue;
            }
            for (int32_t iw = 0; iw < p->in_w; iw++) {
                const int32_t ow = iw * p->block_w + spatial % p->block_w - p->left;
                if (ow < 0 || ow >= p->out_w) {
                    continue;
                }
                memcpy(out + (((size_t)b * (size_t)p->out_h + (size_t)oh) * (size_t)p->out_w + (size_t)ow) * pixel,
                       in + (((size_t)ib * (size_t)p->in_h + (size_t)ih) * (size_t)p->in_w + (size_t)iw) * pixel, pixel);
            }
        }
    }
}
