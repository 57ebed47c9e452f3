/*
 * mcu_pool_impl.h - the integer MAX_POOL_2D and AVERAGE_POOL_2D bodies (TFLM's reference pooling), written
 * once for every element type. The including file defines MCU_POOL_T (the element type), MCU_POOL_LOWEST
 * (its minimum) and MCU_MAXPOOL_FN or MCU_AVGPOOL_FN (the function to define), then includes this file;
 * mcu_maxpool_s8.c, mcu_maxpool_s16.c, mcu_avgpool_s8.c and mcu_avgpool_s16.c do. Windows are clipped to
 * the image (padding never counts); the average rounds half away from zero over the clipped count.
 */
#include "mcu_pooling.h"
#include "mcu_fixedpoint.h"

#if defined(MCU_MAXPOOL_FN)
void MCU_MAXPOOL_FN(const mcu_pool_params_t *p, const MCU_POOL_T *input, MCU_POOL_T *output)
#else
void MCU_AVGPOOL_FN(const mcu_pool_params_t *p, const MCU_POOL_T *input, MCU_POOL_T *output)
#endif
{
    const int32_t ch = p->channels;
    for (int32_t b = 0; b < p->batches; b++) {
        const MCU_POOL_T *in_b = input + (int64_t)b * p->in_h * p->in_w * ch;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ys = MCU_MAX(0, -y0), ye = MCU_MIN(p->k_h, p->in_h - y0);
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t xs = MCU_MAX(0, -x0), xe = MCU_MIN(p->k_w, p->in_w - x0);
                for (int32_t c = 0; c < ch; c++) {
#if defined(MCU_MAXPOOL_FN)
                    int32_t v = MCU_POOL_LOWEST;
#else
                    const int32_t count = (ye - ys) * (xe - xs);
                    int32_t sum = 0;
#endif
                    for (int32_t ky = ys; ky < ye; ky++) {
                        const MCU_POOL_T *row = in_b + ((int64_t)(y0 + ky) * p->in_w + x0) * ch + c;
                        for (int32_t kx = xs; kx < xe; kx++) {
#if defined(MCU_MAXPOOL_FN)
                            v = MCU_MAX(v, (int32_t)row[(int64_t)kx * ch]);
#else
                            sum += row[(int64_t)kx * ch];
#endif
                        }
                    }
#if !defined(MCU_MAXPOOL_FN)
                    int32_t v = 0;
                    if (count > 0) {
                        v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                    }
#endif
                    *output++ = (MCU_POOL_T)MCU_CLAMP(v, p->act_min, p->act_max);
                }
            }
        }
    }
}
