/* mcu_conv_f32.c - CONV_2D, float32 (TFLM's reference float Conv; layout and order in mcu_conv.h). */
#include <stddef.h>

#include "mcu_conv.h"
#include "mcu_f32.h"

/* First tap index k in [0, taps) with 0 <= origin + k * dil, and one past the last with origin + k * dil < size. */
static inline void mcu_conv_f32_taps(int32_t origin, int32_t dil, int32_t size, int32_t taps, int32_t *lo,
                                     int32_t *hi)
{
    int32_t a, b;
    if (dil == 1) { /* no division */
        a = origin < 0 ? -origin : 0;
        b = size - origin > 0 ? size - origin : 0;
    } else {
        a = origin < 0 ? (-origin + dil - 1) / dil : 0;
        b = size - origin > 0 ? (size - origin + dil - 1) / dil : 0;
    }
    if (b > taps) b = taps;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__thumb2__) && defined(__GNUC__) && defined(__OPTIMIZE__)
#define MCU_CONV_F32_ASM 1
#include <float.h>

/* What one (pixel, group of 8 channels) needs (offsets fixed: the assembly reads them). */
typedef struct {
    const float *x, *w;    /*  0, 4: the first row's first input and its weights */
    int32_t rows;          /*  8: rows of taps inside the image (> 0) */
    int32_t turns, rest;   /* 12, 16: a row's run of inputs: 8 a turn, then one by one */
    int32_t xrow, wrow;    /* 20, 24: bytes from after a row's run to the next row's first input, weights */
    const float *bias;     /* 28: 8 values (zeros without a bias) */
    float *out;            /* 32 */
    float lo, hi;          /* 36, 40 */
    int32_t mode;          /* 44: bit 0: lo is -FLT_MAX, bit 1: hi is FLT_MAX (finite outputs skip that clamp) */
} mcu_conv_f32_job_t;

typedef char mcu_conv_f32_job_layout_check[(sizeof(void *) == 4 && sizeof(mcu_conv_f32_job_t) == 48) ? 1 : -1];

static const float mcu_conv_f32_zeros[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};

#define MCU_CF_MLA8(X)                                                                                  \
    "vldmia r5!, {s8-s15}\n\t"                                                                          \
    "vmla.f32 s0, " X ", s8\n\t"                                                                        \
    "vmla.f32 s1, " X ", s9\n\t"                                                                        \
    "vmla.f32 s2, " X ", s10\n\t"                                                                       \
    "vmla.f32 s3, " X ", s11\n\t"                                                                       \
    "vmla.f32 s4, " X ", s12\n\t"                                                                       \
    "vmla.f32 s5, " X ", s13\n\t"                                                                       \
    "vmla.f32 s6, " X ", s14\n\t"                                                                       \
    "vmla.f32 s7, " X ", s15\n\t"
#define MCU_CF_ADD(I, B) "vadd.f32 s" I ", s" I ", s" B "\n\t"
#define MCU_CF_LO(I) "vcmp.f32 s" I ", s24\n\tvmrs APSR_nzcv, fpscr\n\tit mi\n\tvmovmi.f32 s" I ", s24\n\t"
#define MCU_CF_HI(I) "vcmp.f32 s" I ", s25\n\tvmrs APSR_nzcv, fpscr\n\tit gt\n\tvmovgt.f32 s" I ", s25\n\t"

/* 8 output channels of one pixel: the taps row by row in TFLM's order (each product rounded, then added:
 * VMLA), the bias, the clamp, as mcu_f32_dot8 and mcu_f32_finish8 do, in one call. */
static void mcu_conv_f32_block8(const mcu_conv_f32_job_t *job)
{
    __asm__ volatile(
        "vldmia %[z], {s0-s7}\n\t"
        "ldrd r4, r5, [%[j], #0]\n\t"
        "ldr r8, [%[j], #8]\n"
        "1:\n\t"
        "ldr r6, [%[j], #12]\n\t"
        "cmp r6, #0\n\t"
        "beq 3f\n"
        "2:\n\t"
        "vldmia r4!, {s16-s23}\n\t"
        MCU_CF_MLA8("s16") MCU_CF_MLA8("s17") MCU_CF_MLA8("s18") MCU_CF_MLA8("s19")
        MCU_CF_MLA8("s20") MCU_CF_MLA8("s21") MCU_CF_MLA8("s22") MCU_CF_MLA8("s23")
        "subs r6, r6, #1\n\t"
        "bne 2b\n"
        "3:\n\t"
        "ldr r6, [%[j], #16]\n\t"
        "cmp r6, #0\n\t"
        "beq 5f\n"
        "4:\n\t"
        "vldmia r4!, {s16}\n\t"
        MCU_CF_MLA8("s16")
        "subs r6, r6, #1\n\t"
        "bne 4b\n"
        "5:\n\t"
        "ldrd r6, r9, [%[j], #20]\n\t"
        "add r4, r4, r6\n\t"
        "add r5, r5, r9\n\t"
        "subs r8, r8, #1\n\t"
        "bne 1b\n\t"
        "ldr r4, [%[j], #28]\n\t"
        "vldmia r4, {s8-s15}\n\t"
        MCU_CF_ADD("0", "8") MCU_CF_ADD("1", "9") MCU_CF_ADD("2", "10") MCU_CF_ADD("3", "11")
        MCU_CF_ADD("4", "12") MCU_CF_ADD("5", "13") MCU_CF_ADD("6", "14") MCU_CF_ADD("7", "15")
        "vldr s24, [%[j], #36]\n\t"
        "vldr s25, [%[j], #40]\n\t"
        "ldr r8, [%[j], #44]\n\t"
        "cmp r8, #0\n\t"
        "beq 6f\n\t"
        "vadd.f32 s26, s0, s1\n\t"
        "vadd.f32 s26, s26, s2\n\t"
        "vadd.f32 s26, s26, s3\n\t"
        "vadd.f32 s26, s26, s4\n\t"
        "vadd.f32 s26, s26, s5\n\t"
        "vadd.f32 s26, s26, s6\n\t"
        "vadd.f32 s26, s26, s7\n\t"
        "vsub.f32 s26, s26, s26\n\t"
        "vcmp.f32 s26, #0\n\t"
        "vmrs APSR_nzcv, fpscr\n\t"
        "it ne\n\t"
        "movne r8, #0\n"
        "6:\n\t"
        "tst r8, #1\n\t"
        "bne 7f\n\t"
        MCU_CF_LO("0") MCU_CF_LO("1") MCU_CF_LO("2") MCU_CF_LO("3")
        MCU_CF_LO("4") MCU_CF_LO("5") MCU_CF_LO("6") MCU_CF_LO("7")
        "7:\n\t"
        "tst r8, #2\n\t"
        "bne 8f\n\t"
        MCU_CF_HI("0") MCU_CF_HI("1") MCU_CF_HI("2") MCU_CF_HI("3")
        MCU_CF_HI("4") MCU_CF_HI("5") MCU_CF_HI("6") MCU_CF_HI("7")
        "8:\n\t"
        "ldr r4, [%[j], #32]\n\t"
        "vstmia r4, {s0-s7}\n\t"
        :
        : [j] "r"(job), [z] "r"(mcu_conv_f32_zeros)
        : "r4", "r5", "r6", "r8", "r9", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
          "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26",
          "memory", "cc");
}
#endif

void mcu_conv_f32(const mcu_conv_f32_params_t *p, const float *input, float *output)
{
    const int32_t ic = p->in_c, oc = p->out_c, kw = p->k_w;
    const int32_t pixels = p->out_h * p->out_w, total = p->batches * pixels;
    const int32_t groups = (oc + MCU_F32_GROUP - 1) / MCU_F32_GROUP;
    const int32_t group_size = p->k_h * kw * ic * MCU_F32_GROUP;
    const size_t image = (size_t)p->in_h * (size_t)p->in_w * (size_t)ic;
    const float lo = p->act_min, hi = p->act_max;
#if defined(MCU_CONV_F32_ASM)
    mcu_conv_f32_job_t job; /* the fields that stay */
    job.lo = lo;
    job.hi = hi;
    job.mode = (lo == -FLT_MAX ? 1 : 0) | (hi == FLT_MAX ? 2 : 0);
#endif
    for (int32_t step = 0; step < total; step++) {
        const int32_t q = p->reverse ? total - 1 - step : step;
        const int32_t b = q / pixels, r = q - b * pixels, oy = r / p->out_w, ox = r - oy * p->out_w;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        int32_t fy0, fy1, fx0, fx1;
        mcu_conv_f32_taps(y0, p->dil_h, p->in_h, p->k_h, &fy0, &fy1);
        mcu_conv_f32_taps(x0, p->dil_w, p->in_w, kw, &fx0, &fx1);
        const float *in_b = input + (size_t)b * image;
        float *out = output + (size_t)q * (size_t)oc;
        int32_t g = 0;
#if defined(MCU_CONV_F32_ASM)
        if (p->dil_w == 1 && fy0 < fy1 && fx0 < fx1) { /* whole groups in one call each */
            const int32_t run = (fx1 - fx0) * ic;
            job.rows = fy1 - fy0;
            job.turns = run >> 3;
            job.rest = run & 7;
            job.xrow = (int32_t)sizeof(float) * (p->dil_h * p->in_w * ic - run);
            job.wrow = (int32_t)sizeof(float) * MCU_F32_GROUP * (kw * ic - run);
            const float *x0p = in_b + ((size_t)(y0 + fy0 * p->dil_h) * (size_t)p->in_w + (size_t)(x0 + fx0)) * (size_t)ic;
            const size_t w0 = (size_t)(fy0 * kw + fx0) * (size_t)ic * MCU_F32_GROUP;
            for (; g < oc / MCU_F32_GROUP; g++) {
                job.x = x0p;
                job.w = p->filter + (size_t)g * (size_t)group_size + w0;
                job.bias = p->bias ? p->bias + g * MCU_F32_GROUP : mcu_conv_f32_zeros;
                job.out = out + g * MCU_F32_GROUP;
                mcu_conv_f32_block8(&job);
            }
        }
#endif
        for (; g < groups; g++) {
            const float *wg = p->filter + (size_t)g * (size_t)group_size;
            float acc[MCU_F32_GROUP] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
            for (int32_t fy = fy0; fy < fy1 && fx0 < fx1; fy++) {
                const int32_t iy = y0 + fy * p->dil_h;
                if (p->dil_w == 1) {
                    /* the row's taps are adjacent in the input and in the filter: one run */
                    const float *xp = in_b + ((size_t)iy * (size_t)p->in_w + (size_t)(x0 + fx0)) * (size_t)ic;
                    const float *wp = wg + (size_t)(fy * kw + fx0) * (size_t)ic * MCU_F32_GROUP;
                    mcu_f32_dot8(xp, wp, (fx1 - fx0) * ic, acc);
                    continue;
                }
                for (int32_t fx = fx0; fx < fx1; fx++) {
                    const int32_t ix = x0 + fx * p->dil_w;
                    const float *xp = in_b + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)ic;
                    const float *wp = wg + (size_t)(fy * kw + fx) * (size_t)ic * MCU_F32_GROUP;
                    mcu_f32_dot8(xp, wp, ic, acc);
                }
            }
            const int32_t o = g * MCU_F32_GROUP;
            const int32_t n = oc - o < MCU_F32_GROUP ? oc - o : MCU_F32_GROUP;
            if (n == MCU_F32_GROUP) {
                mcu_f32_finish8(acc, p->bias ? p->bias + o : NULL, lo, hi, out + o);
                continue;
            }
            for (int32_t k = 0; k < n; k++) {
                const float bias = p->bias ? p->bias[o + k] : 0.f;
                out[o + k] = mcu_clamp_f32(acc[k] + bias, lo, hi);
            }
        }
    }
}
