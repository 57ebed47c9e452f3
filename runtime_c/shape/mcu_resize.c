/* mcu_resize.c - RESIZE_NEAREST_NEIGHBOR (any element size) and RESIZE_BILINEAR (int8, float32)
 * (see mcu_shape.h). */
#include "mcu_shape.h"

void mcu_resize_nearest_b(const mcu_resize_params_t *p, const void *input, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const size_t pixel = (size_t)p->depth * (size_t)p->elem_size;
    const size_t row = (size_t)p->in_w * pixel;
    for (int32_t b = 0; b < p->batches; b++) {
        const uint8_t *image = in + (size_t)b * (size_t)p->in_h * row;
        for (int32_t y = 0; y < p->out_h; y++) {
            const uint8_t *src = image + (size_t)p->y_table[y] * row;
            for (int32_t x = 0; x < p->out_w; x++) {
                memcpy(out, src + (size_t)p->x_table[x] * pixel, pixel);
                out += pixel;
            }
        }
    }
}

void mcu_resize_bilinear_s8(const mcu_resize_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t depth = p->depth;
    const size_t row = (size_t)p->in_w * (size_t)depth;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = input + (size_t)b * (size_t)p->in_h * row;
        for (int32_t y = 0; y < p->out_h; y++) {
            const int32_t *ty = p->y_table + 3 * y;
            const int8_t *r0 = image + (size_t)ty[0] * row;
            const int8_t *r1 = image + (size_t)ty[1] * row;
            const int64_t wy1 = ty[2], wy0 = 1024 - ty[2];
            for (int32_t x = 0; x < p->out_w; x++) {
                const int32_t *tx = p->x_table + 3 * x;
                const size_t c0 = (size_t)tx[0] * (size_t)depth, c1 = (size_t)tx[1] * (size_t)depth;
                const int64_t wx1 = tx[2], wx0 = 1024 - tx[2];
                for (int32_t c = 0; c < depth; c++) {
                    const int64_t acc = r0[c0 + c] * wy0 * wx0 + r1[c0 + c] * wy1 * wx0
                                      + r0[c1 + c] * wy0 * wx1 + r1[c1 + c] * wy1 * wx1;
                    /* TFLM's double rounding: half away from zero, then truncating division */
                    const int64_t round = acc > 0 ? ((int64_t)1 << 19) : -((int64_t)1 << 19);
                    *output++ = (int8_t)((acc + round) / ((int64_t)1 << 20));
                }
            }
        }
    }
}

void mcu_resize_bilinear_f32(const mcu_resize_params_t *p, const float *input, float *output)
{
    const int32_t depth = p->depth;
    const size_t row = (size_t)p->in_w * (size_t)depth;
    for (int32_t b = 0; b < p->batches; b++) {
        const float *image = input + (size_t)b * (size_t)p->in_h * row;
        for (int32_t y = 0; y < p->out_h; y++) {
            const int32_t *ty = p->y_table + 3 * y;
            const float *r0 = image + (size_t)ty[0] * row;
            const float *r1 = image + (size_t)ty[1] * row;
            const float wy1 = p->y_weight[y], wy0 = 1.0f - wy1;
            for (int32_t x = 0; x < p->out_w; x++) {
                const int32_t *tx = p->x_table + 3 * x;
                const size_t c0 = (size_t)tx[0] * (size_t)depth, c1 = (size_t)tx[1] * (size_t)depth;
                const float wx1 = p->x_weight[x], wx0 = 1.0f - wx1;
                for (int32_t c = 0; c < depth; c++) {
                    /* TFLM's order of operations, each product rounded to float */
                    float acc = r0[c0 + c] * wy0 * wx0;
                    acc = acc + r1[c0 + c] * wy1 * wx0;
                    acc = acc + r0[c1 + c] * wy0 * wx1;
                    acc = acc + r1[c1 + c] * wy1 * wx1;
                    *output++ = acc + 0.0f;
                }
            }
        }
    }
}
