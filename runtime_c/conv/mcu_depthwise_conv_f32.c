/* mcu_depthwise_conv_f32.c - DEPTHWISE_CONV_2D, float32 (TFLM's reference float DepthwiseConv; see mcu_conv.h). */
#include <stddef.h>

#include "mcu_conv.h"
#include "mcu_f32.h"

static inline void mcu_dw_f32_taps(int32_t origin, int32_t dil, int32_t size, int32_t taps, int32_t *lo,
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
#define MCU_DW_F32_ASM 1
#include <float.h>

/* What the 8-channel block needs (offsets fixed: the assembly reads them). */
typedef struct {
    const float *x, *w;   /*  0, 4: first tap's input and weights */
    int32_t ny, nx;       /*  8, 12: rows and columns of taps inside the image */
    int32_t xstep, wstep; /* 16, 20: bytes from one tap to the next in a row */
    int32_t xrow, wrow;   /* 24, 28: bytes from after a row's last tap to the next row's first */
    const float *bias;    /* 32: 8 values (zeros without a bias) */
    float *out;           /* 36 */
    float lo, hi;         /* 40, 44 */
    int32_t mode;         /* 48: bit 0: lo is -FLT_MAX, bit 1: hi is FLT_MAX (finite sums skip that clamp) */
} mcu_dw_f32_job_t;

typedef char mcu_dw_f32_job_layout_check[(sizeof(void *) == 4 && sizeof(mcu_dw_f32_job_t) == 52) ? 1 : -1];

static const float mcu_dw_f32_zeros[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};

#define MCU_DW_MLA(I) "vmla.f32 s" #I ", s" MCU_DW_S8(I) ", s" MCU_DW_S16(I) "\n\t"
#define MCU_DW_S8(I) MCU_DW_S8_##I
#define MCU_DW_S16(I) MCU_DW_S16_##I
#define MCU_DW_S8_0 "8"
#define MCU_DW_S8_1 "9"
#define MCU_DW_S8_2 "10"
#define MCU_DW_S8_3 "11"
#define MCU_DW_S8_4 "12"
#define MCU_DW_S8_5 "13"
#define MCU_DW_S8_6 "14"
#define MCU_DW_S8_7 "15"
#define MCU_DW_S16_0 "16"
#define MCU_DW_S16_1 "17"
#define MCU_DW_S16_2 "18"
#define MCU_DW_S16_3 "19"
#define MCU_DW_S16_4 "20"
#define MCU_DW_S16_5 "21"
#define MCU_DW_S16_6 "22"
#define MCU_DW_S16_7 "23"
#define MCU_DW_ADD(I) "vadd.f32 s" #I ", s" #I ", s" MCU_DW_S8(I) "\n\t"
/* TFLM's clamp: v < lo (ordered: MI) -> lo, then hi < v (ordered: GT) -> hi; NaN passes */
#define MCU_DW_LO(I) "vcmp.f32 s" #I ", s24\n\tvmrs APSR_nzcv, fpscr\n\tit mi\n\tvmovmi.f32 s" #I ", s24\n\t"
#define MCU_DW_HI(I) "vcmp.f32 s" #I ", s25\n\tvmrs APSR_nzcv, fpscr\n\tit gt\n\tvmovgt.f32 s" #I ", s25\n\t"
#define MCU_DW_ALL(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

/* 8 channels of one output pixel: the taps in TFLM's order (each product rounded, then added: VMLA), the
 * bias, the clamp. */
static void mcu_dw_f32_block8(const mcu_dw_f32_job_t *job)
{
    __asm__ volatile(
        "vldmia %[z], {s0-s7}\n\t"
        "ldrd r4, r5, [%[j], #0]\n\t"
        "ldrd r8, r6, [%[j], #8]\n\t"
        "ldrd r9, r10, [%[j], #16]\n\t"
        "cmp r8, #0\n\t"
        "beq 3f\n\t"
        "cmp r6, #0\n\t"
        "beq 3f\n"
        "1:\n\t"
        "ldr r6, [%[j], #12]\n"
        "2:\n\t"
        "vldmia r4, {s8-s15}\n\t"
        "add r4, r4, r9\n\t"
        "vldmia r5, {s16-s23}\n\t"
        "add r5, r5, r10\n\t"
        MCU_DW_ALL(MCU_DW_MLA)
        "subs r6, r6, #1\n\t"
        "bne 2b\n\t"
        "ldrd r11, r6, [%[j], #24]\n\t"
        "add r4, r4, r11\n\t"
        "add r5, r5, r6\n\t"
        "subs r8, r8, #1\n\t"
        "bne 1b\n"
        "3:\n\t"
        "ldr r4, [%[j], #32]\n\t"
        "vldmia r4, {s8-s15}\n\t"
        MCU_DW_ALL(MCU_DW_ADD)
        "vldr s24, [%[j], #40]\n\t"
        "vldr s25, [%[j], #44]\n\t"
        "ldr r8, [%[j], #48]\n\t"
        "cmp r8, #0\n\t"
        "beq 4f\n\t"
        /* all 8 finite (their sum is; an overflow only costs the full clamp): the infinite ends are no-ops */
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
        "4:\n\t"
        "tst r8, #1\n\t"
        "bne 5f\n\t"
        MCU_DW_ALL(MCU_DW_LO)
        "5:\n\t"
        "tst r8, #2\n\t"
        "bne 6f\n\t"
        MCU_DW_ALL(MCU_DW_HI)
        "6:\n\t"
        "ldr r4, [%[j], #36]\n\t"
        "vstmia r4, {s0-s7}\n\t"
        :
        : [j] "r"(job), [z] "r"(mcu_dw_f32_zeros)
        : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
          "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24",
          "s25", "s26", "memory", "cc");
}
#endif

void mcu_depthwise_conv_f32(const mcu_conv_f32_params_t *p, const float *input, float *output)
{
    const int32_t ic = p->in_c, oc = p->out_c, dm = p->depth_multiplier, kw = p->k_w, in_w = p->in_w;
    const int32_t pixels = p->out_h * p->out_w, total = p->batches * pixels;
    const size_t image = (size_t)p->in_h * (size_t)in_w * (size_t)ic;
    const float lo = p->act_min, hi = p->act_max;
    /* channels done four at a time (depth multiplier 1 only); the rest one by one */
    const int32_t wide = dm == 1 ? oc - oc % 4 : 0;
#if defined(MCU_DW_F32_ASM)
    mcu_dw_f32_job_t job; /* the fields that stay */
    job.xstep = (int32_t)sizeof(float) * p->dil_w * ic;
    job.wstep = (int32_t)sizeof(float) * oc;
    job.lo = lo;
    job.hi = hi;
    job.mode = (lo == -FLT_MAX ? 1 : 0) | (hi == FLT_MAX ? 2 : 0);
#endif
    for (int32_t step = 0; step < total; step++) {
        const int32_t q = p->reverse ? total - 1 - step : step;
        const int32_t b = q / pixels, r = q - b * pixels, oy = r / p->out_w, ox = r - oy * p->out_w;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        int32_t fy0, fy1, fx0, fx1;
        mcu_dw_f32_taps(y0, p->dil_h, p->in_h, p->k_h, &fy0, &fy1);
        mcu_dw_f32_taps(x0, p->dil_w, in_w, kw, &fx0, &fx1);
        const float *in_b = input + (size_t)b * image;
        float *out = output + (size_t)q * (size_t)oc;
        int32_t c = 0;
#if defined(MCU_DW_F32_ASM)
        if (dm == 1) {
            const int32_t nx = fx1 - fx0, ny = fy1 - fy0;
            job.ny = ny;
            job.nx = nx;
            job.xrow = (int32_t)sizeof(float) * (p->dil_h * in_w * ic - nx * p->dil_w * ic);
            job.wrow = (int32_t)sizeof(float) * (kw - nx) * oc;
            const float *x0p = nx && ny ? in_b + ((size_t)(y0 + fy0 * p->dil_h) * (size_t)in_w
                                                 + (size_t)(x0 + fx0 * p->dil_w)) * (size_t)ic
                                        : in_b; /* no tap: not read */
            const float *w0p = p->filter + (size_t)(fy0 * kw + fx0) * (size_t)oc;
            for (; c + 8 <= oc; c += 8) {
                job.x = x0p + c;
                job.w = w0p + c;
                job.bias = p->bias ? p->bias + c : mcu_dw_f32_zeros;
                job.out = out + c;
                mcu_dw_f32_block8(&job);
            }
        }
#endif
        for (; c < wide; c += 4) {
            float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;
            for (int32_t fy = fy0; fy < fy1; fy++) {
                const int32_t iy = y0 + fy * p->dil_h;
                for (int32_t fx = fx0; fx < fx1; fx++) {
                    const int32_t ix = x0 + fx * p->dil_w;
                    const float *xp = in_b + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)ic + c;
                    const float *wp = p->filter + (size_t)(fy * kw + fx) * (size_t)oc + c;
                    a0 += xp[0] * wp[0];
                    a1 += xp[1] * wp[1];
                    a2 += xp[2] * wp[2];
                    a3 += xp[3] * wp[3];
                }
            }
            const float acc[4] = {a0, a1, a2, a3};
            for (int32_t k = 0; k < 4; k++) {
                const float bias = p->bias ? p->bias[c + k] : 0.f;
                out[c + k] = mcu_clamp_f32(acc[k] + bias, lo, hi);
            }
        }
        for (int32_t o = wide; o < oc; o++) {
            const int32_t i = o / dm;
            float acc = 0.f;
            for (int32_t fy = fy0; fy < fy1; fy++) {
                const int32_t iy = y0 + fy * p->dil_h;
                for (int32_t fx = fx0; fx < fx1; fx++) {
                    const int32_t ix = x0 + fx * p->dil_w;
                    acc += in_b[((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)ic + (size_t)i]
                           * p->filter[(size_t)(fy * kw + fx) * (size_t)oc + (size_t)o];
                }
            }
            const float bias = p->bias ? p->bias[o] : 0.f;
            out[o] = mcu_clamp_f32(acc + bias, lo, hi);
        }
    }
}
