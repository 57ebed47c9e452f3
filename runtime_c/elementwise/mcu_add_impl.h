/* mcu_add_impl.h - the body of ADD and SUB for one element type, with broadcasting
 * (see mcu_elementwise.h). Included by mcu_add_s8.c and mcu_add_s16.c after they
 * define:
 *   MCU_ADD_T    the element type (int8_t, int16_t)
 *   MCU_ADD_FN   the ADD function's name
 *   MCU_SUB_FN   the SUB function's name
 * The clamp range comes from the parameters (act_min, act_max), so the body needs
 * no type range: |q - zp| <= 65535 for int16, and (q - zp) * 2^left_shift fits in
 * an int32 for both types (left shift 20 for int8, 15 for int16).
 *
 * SUB follows TFLM: it subtracts the two rescaled inputs. (ADD with the second
 * multiplier negated would round exact halves differently: mcu_sat_rdhm rounds
 * them upward.) Both share one body; `sign` is a constant in each caller. */
#include <stddef.h>

#include "mcu_elementwise.h"
#include "mcu_fixedpoint.h"

/* One input on the common scale: ((q + offset) << left_shift) * M * 2^shift, shift <= 0. */
static inline int32_t mcu_add_rescale(int32_t q, int32_t offset, int32_t left_shift, int32_t mult, int32_t shift)
{
    return mcu_rdbpot(mcu_sat_rdhm((q + offset) * (1 << left_shift), mult), -shift);
}

/* The sum on the output scale, offset and clamped. */
static inline MCU_ADD_T mcu_add_output(int32_t sum, int32_t mult, int32_t shift, int32_t offset, int32_t lo, int32_t hi)
{
    const int32_t out = mcu_rdbpot(mcu_sat_rdhm(sum, mult), -shift) + offset;
    return (MCU_ADD_T)MCU_CLAMP(out, lo, hi);
}

#if defined(MCU_ADD_MVE_S8)
#include <arm_mve.h>

/* Helium, int8 without broadcasting: 4 elements per vector, bit-exact with the scalar recipe. VQRDMULH is
 * mcu_sat_rdhm lane by lane (both are floor((a*b + 2^30) / 2^31), saturating only INT32_MIN * INT32_MIN);
 * mcu_rdbpot(x, e) = floor((x + 2^(e-1) - [x < 0]) / 2^e) is VRSHL by -e of x - [x < 0] when e >= 1 (and x
 * itself when e = 0); the values are below 2^29 in magnitude, so x - 1 cannot wrap. A last vector of
 * fewer than 4 elements is predicated. Element i is read before it is written (in place safe). */
static inline __attribute__((always_inline)) int32x4_t mcu_add_mve_rdbpot(int32x4_t x, int32_t neg_e, int32x4_t e_pos)
{
    return vrshlq_n_s32(vaddq_s32(x, vandq_s32(vshrq_n_s32(x, 31), e_pos)), neg_e);
}

/* The scalars as scalar operands (VADD, VSHL, VQRDMULH and VRSHL take a general register), so that only the
   three masks and the clamp stay in Q registers (gcc spilled the vectors of the first version). */
static __attribute__((noinline)) void mcu_add_sub_mve(const mcu_add_params_t *p, const int8_t *input1,
                                                     const int8_t *input2, int8_t *output, const int32_t sign)
{
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset, ls = p->left_shift;
    const int32_t e1 = p->input1_shift, e2 = p->input2_shift, eo = p->output_shift;
    const int32x4_t p1 = vdupq_n_s32(e1 < 0 ? -1 : 0), p2 = vdupq_n_s32(e2 < 0 ? -1 : 0);
    const int32x4_t po = vdupq_n_s32(eo < 0 ? -1 : 0);
    const int32_t m1 = p->input1_multiplier, m2 = p->input2_multiplier, mo = p->output_multiplier;
    const int32_t zo = p->output_offset;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int32_t size = p->size;
    for (int32_t i = 0; i < size; i += 4) {
        const mve_pred16_t pr = vctp32q((uint32_t)(size - i));
        int32x4_t a = vshlq_r_s32(vaddq_n_s32(vldrbq_z_s32(input1 + i, pr), off1), ls);
        int32x4_t b = vshlq_r_s32(vaddq_n_s32(vldrbq_z_s32(input2 + i, pr), off2), ls);
        a = mcu_add_mve_rdbpot(vqrdmulhq_n_s32(a, m1), e1, p1);
        b = mcu_add_mve_rdbpot(vqrdmulhq_n_s32(b, m2), e2, p2);
        int32x4_t s = sign > 0 ? vaddq_s32(a, b) : vsubq_s32(a, b);
        s = vaddq_n_s32(mcu_add_mve_rdbpot(vqrdmulhq_n_s32(s, mo), eo, po), zo);
        vstrbq_p_s32(output + i, vminq_s32(vmaxq_s32(s, lo), hi), pr);
    }
}
#endif

/* int8 without broadcasting, in the one-multiply form that mcugen proved equal to TFLM's recipe for this
 * layer (f = p->fast; mcugen/ops/elementwise.py add_fast_table): per input, with t = q * 2^21 + o,
 * a = (2 SMMLAR(t, M, 0) + 2^e - [t < 0]) >> (e + 1); then out = clamp((SMMLAR(2 (a +- b), Mo, Ko) -
 * [a +- b < 0]) >> eo, 0, span) + act_min. Element i is read before it is written (in place safe). */
#if defined(MCU_ADD_FAST_S8)
static inline __attribute__((always_inline)) void mcu_add_sub_fast(const int32_t *f, int32_t size, int32_t lo,
                                                                 const int8_t *input1, const int8_t *input2,
                                                                 int8_t *output, const int32_t sign)
{
    const int32_t o1 = f[0], m1 = f[1], c1 = f[2], e1 = f[3];
    const int32_t o2 = f[4], m2 = f[5], c2 = f[6], e2 = f[7];
    const int32_t mo = f[8], ko = f[9], eo = f[10], span = f[11];
    for (int32_t i = 0; i < size; i++) {
        const int32_t t1 = input1[i] * (1 << 21) + o1, t2 = input2[i] * (1 << 21) + o2;
        const int32_t a = (mcu_smmulr(t1, m1) * 2 + c1 + (t1 >> 31)) >> e1;
        const int32_t b = (mcu_smmulr(t2, m2) * 2 + c2 + (t2 >> 31)) >> e2;
        const int32_t t = (sign > 0 ? a + b : a - b) * 2;
        int32_t v = (mcu_smmlar(t, mo, ko) + (t >> 31)) >> eo;
        v = MCU_CLAMP(v, 0, span);
        output[i] = (int8_t)(v + lo);
    }
}

/* The table form of the above: 2a and +-2b looked up in p->table (mcugen/ops/elementwise.py add_input_values,
 * the same values doubled), the output stage unchanged. In place safe likewise (each pair of elements is read
 * before it is written). */
static inline __attribute__((always_inline)) int8_t mcu_add_table_out(int32_t t, int32_t mo, int32_t ko, int32_t eo,
                                                                    int32_t span, int32_t lo)
{
    int32_t v = (mcu_smmlar(t, mo, ko) + (t >> 31)) >> eo;
    v = MCU_CLAMP(v, 0, span);
    return (int8_t)(v + lo);
}

static inline __attribute__((always_inline)) void mcu_add_sub_table(const int32_t *f, const int32_t *table,
                                                                  int32_t size, int32_t lo, const int8_t *input1,
                                                                  const int8_t *input2, int8_t *output)
{
    const int32_t mo = f[8], ko = f[9], eo = f[10], span = f[11];
    const int32_t *ta = table + 128, *tb = table + 384;
    const int8_t *end = input1 + (size & ~1);
    while (input1 != end) {
        const int32_t t0 = ta[input1[0]] + tb[input2[0]];
        const int32_t t1 = ta[input1[1]] + tb[input2[1]];
        input1 += 2;
        input2 += 2;
        output[0] = mcu_add_table_out(t0, mo, ko, eo, span, lo);
        output[1] = mcu_add_table_out(t1, mo, ko, eo, span, lo);
        output += 2;
    }
    if (size & 1) {
        *output = mcu_add_table_out(ta[*input1] + tb[*input2], mo, ko, eo, span, lo);
    }
}
#endif

static inline void mcu_add_sub(const mcu_add_params_t *p, const MCU_ADD_T *input1, const MCU_ADD_T *input2,
                               MCU_ADD_T *output, const int32_t sign)
{
#if defined(MCU_ADD_FAST_S8)
    if (p->table != NULL) {
        mcu_add_sub_table(p->fast, p->table, p->size, p->act_min, input1, input2, output);
        return;
    }
    if (p->fast != NULL) {
        if (sign > 0) {
            mcu_add_sub_fast(p->fast, p->size, p->act_min, input1, input2, output, 1);
        } else {
            mcu_add_sub_fast(p->fast, p->size, p->act_min, input1, input2, output, -1);
        }
        return;
    }
#endif
    /* Parameters in locals: stores through the output pointer may alias *p, which would force reloads. */
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset, ls = p->left_shift;
    const int32_t m1 = p->input1_multiplier, sh1 = p->input1_shift;
    const int32_t m2 = p->input2_multiplier, sh2 = p->input2_shift;
    const int32_t mo = p->output_multiplier, sho = p->output_shift, zo = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t size = p->size;
    const mcu_broadcast_t *bc = &p->bcast;
#define MCU_ADD_A(x) mcu_add_rescale((x), off1, ls, m1, sh1)
#define MCU_ADD_B(x) (sign * mcu_add_rescale((x), off2, ls, m2, sh2))
#define MCU_ADD_OUT(a, b) mcu_add_output((a) + (b), mo, sho, zo, lo, hi)
    if (bc->rank == 0) {  /* in place safe: element i is read before it is written */
#if defined(MCU_ADD_MVE_S8)
        mcu_add_sub_mve(p, input1, input2, output, sign);
        return;
#endif
        MCU_FLAT_LOOP(size, input1, input2, output, MCU_ADD_A, MCU_ADD_B, MCU_ADD_OUT);
        return;
    }
    MCU_BROADCAST_LOOP(MCU_ADD_T, MCU_ADD_T, bc, size, input1, input2, output, MCU_ADD_A, MCU_ADD_B, MCU_ADD_OUT);
#undef MCU_ADD_A
#undef MCU_ADD_B
#undef MCU_ADD_OUT
}

void MCU_ADD_FN(const mcu_add_params_t *p, const MCU_ADD_T *input1, const MCU_ADD_T *input2, MCU_ADD_T *output)
{
    mcu_add_sub(p, input1, input2, output, 1);
}

void MCU_SUB_FN(const mcu_add_params_t *p, const MCU_ADD_T *input1, const MCU_ADD_T *input2, MCU_ADD_T *output)
{
    mcu_add_sub(p, input1, input2, output, -1);
}
