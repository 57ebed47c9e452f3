/* mcu_avgpool_rows_s8.c - a global AVERAGE_POOL_2D, int8, fed in row bands (the band entry point of
 * mcu_avgpool_s8 for --memory min; see mcugen/planner/bands.py).
 *
 * The pool's window is its whole input image (batches 1, out_h = out_w = 1, k_h = in_h, k_w = in_w, no
 * padding). Each call adds rows [first_row, first_row + rows) of the image, at `input`, to the int32 sums
 * per channel in `acc` (set to zero on the call with first_row 0); the call that adds the image's last row
 * writes the averages to `output`: the sum over every pixel rounded half away from zero over their count,
 * then clamped, as mcu_avgpool_s8 does (the integer sum does not depend on the order it is added in). */
#include <stdint.h>

#include "mcu_pooling.h"
#include "mcu_fixedpoint.h"

void mcu_avgpool_rows_s8(const mcu_pool_params_t *p, const int8_t *input, int32_t first_row, int32_t rows,
                         int32_t *acc, int8_t *output);

void mcu_avgpool_rows_s8(const mcu_pool_params_t *p, const int8_t *input, int32_t first_row, int32_t rows,
                         int32_t *acc, int8_t *output)
{
    const int32_t ch = p->channels;
    if (first_row == 0) {
        for (int32_t c = 0; c < ch; c++) {
            acc[c] = 0;
        }
    }
    const int32_t pixels = rows * p->in_w;
    for (int32_t i = 0; i < pixels; i++) {
        const int8_t *px = input + (int64_t)i * ch;
        for (int32_t c = 0; c < ch; c++) {
            acc[c] += px[c];
        }
    }
    if (first_row + rows < p->in_h) {
        return;
    }
    const int32_t count = p->in_h * p->in_w;
    for (int32_t c = 0; c < ch; c++) {
        const int32_t sum = acc[c];
        const int32_t v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
        output[c] = (int8_t)MCU_CLAMP(v, p->act_min, p->act_max);
    }
}
