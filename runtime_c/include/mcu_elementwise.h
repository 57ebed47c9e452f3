/*
 * mcu_elementwise.h - element-wise binary operators ADD, SUB and MUL, int8 and
 * int16, with NumPy-style broadcasting up to rank 6 (the broadcast loop serves
 * PRELU too: mcu_activation.h).
 *
 * Each of the two inputs and the output has its own scale and zero point.
 * Every constant (offsets, multipliers, shifts, clamp range) is computed at
 * build time exactly as TFLM's Prepare does; the kernels follow TFLM's
 * reference int8 recipes:
 *   ADD/SUB: a' = ((a - za) << left_shift) * Ma * 2^sa   (sa <= 0, mcu_rdbpot(mcu_sat_rdhm()))
 *            b' likewise with Mb, sb;
 *            out = clamp(zo + (a' +/- b') * Mo * 2^so, act_min, act_max)
 *            (SUB subtracts the rescaled values; it is not ADD with a negated
 *            multiplier, whose rounding would differ on exact halves)
 *   MUL:     out = clamp(zo + mcu_requantize((a - za) * (b - zb), M, s), act_min, act_max)
 *
 * Broadcasting: the generator compresses the shapes at build time (dimensions of
 * extent 1 in the output are dropped, neighbouring dimensions with the same
 * broadcast pattern are merged) into an mcu_broadcast_t: output extents,
 * outermost first, and per-input element strides that are 0 along dimensions
 * the input is broadcast over. The output is written contiguously. When
 * neither input is broadcast, rank is 0 and the kernel runs one flat loop.
 *
 * In-place use: the output may occupy the same bytes as an input whose shape
 * equals the output's shape. The no-broadcast (flat) path reads element i of
 * both inputs before writing element i and never reads an element j < i after
 * writing it. The broadcast path is safe too for such an input: its offset
 * always equals the output offset, and it is read before that element is
 * written. The broadcast (smaller) input must not overlap the output.
 */
#ifndef MCU_ELEMENTWISE_H
#define MCU_ELEMENTWISE_H

#include <stdint.h>

#define MCU_ELTWISE_MAX_DIMS 6

typedef struct {
    int32_t rank;                           /* compressed dimensions; 0 = no broadcasting */
    int32_t shape[MCU_ELTWISE_MAX_DIMS];    /* output extents, outermost first */
    int32_t stride1[MCU_ELTWISE_MAX_DIMS];  /* input1 element strides, 0 = broadcast */
    int32_t stride2[MCU_ELTWISE_MAX_DIMS];  /* input2 element strides, 0 = broadcast */
} mcu_broadcast_t;

/* ADD and SUB. */
typedef struct {
    int32_t size;               /* output element count */
    mcu_broadcast_t bcast;
    int32_t input1_offset;      /* -input1 zero point */
    int32_t input2_offset;      /* -input2 zero point */
    int32_t output_offset;      /* output zero point */
    int32_t left_shift;         /* 20 for int8, 15 for int16 */
    int32_t input1_multiplier, input1_shift;   /* shifts are <= 0 (right shifts) */
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
    const int32_t *fast;        /* int8 without broadcasting, or NULL: the one-multiply form (mcu_add_impl.h,
                                 * mcugen/ops/elementwise.py add_fast_table) */
    const int32_t *table;       /* with fast, or NULL: 256 rescaled values of input1 (q = -128..127), then 256
                                 * of input2 (negated for SUB): the table form (mcu_add_impl.h) */
} mcu_add_params_t;

/* MUL. */
typedef struct {
    int32_t size;               /* output element count */
    mcu_broadcast_t bcast;
    int32_t input1_offset;      /* -input1 zero point */
    int32_t input2_offset;      /* -input2 zero point */
    int32_t output_offset;      /* output zero point */
    int32_t output_multiplier, output_shift;   /* shift may be positive */
    int32_t act_min, act_max;
} mcu_mul_params_t;

/* Advance the odometer over all but the innermost dimension after one
 * innermost run; o1/o2 are the element offsets of the next run's inputs. */
static inline void mcu_broadcast_next(const mcu_broadcast_t *bc, int32_t *idx, int32_t *o1, int32_t *o2)
{
    for (int32_t d = bc->rank - 2; d >= 0; d--) {
        *o1 += bc->stride1[d];
        *o2 += bc->stride2[d];
        if (++idx[d] < bc->shape[d]) {
            return;
        }
        idx[d] = 0;
        *o1 -= bc->stride1[d] * bc->shape[d];
        *o2 -= bc->stride2[d] * bc->shape[d];
    }
}

/* The loop of a binary kernel over a broadcast (bc->rank > 0): writes
 * output[0 .. size) from input1 (element type T1, the output's too) and input2
 * (type T2) as OUT(A(x1), B(x2)), and advances `output` (a variable) past them.
 * A and B bring one element of each input to its operand form (an int32); OUT
 * combines the two operands into an output element. A, B and OUT name
 * function-like macros or functions. The operand of an input that is broadcast
 * along the innermost dimension is computed once per run. Element i of each
 * input is read before output element i is written (the in-place rules above).
 * Kernels run rank 0 (no broadcasting) through MCU_FLAT_LOOP and return before
 * this one: kept apart, the flat loop compiles as tightly as it would alone
 * (measured on Cortex-M4: ADD int8 took 1-2% more instructions with both loops
 * in one if/else). */
#define MCU_FLAT_LOOP(size, input1, input2, output, A, B, OUT)                              \
    do {                                                                                    \
        for (int32_t i_ = 0; i_ < (size); i_++) {                                           \
            (output)[i_] = OUT(A((input1)[i_]), B((input2)[i_]));                           \
        }                                                                                   \
    } while (0)

#define MCU_BROADCAST_LOOP(T1, T2, bc, size, input1, input2, output, A, B, OUT)                \
    do {                                                                                    \
        const int32_t n_ = (bc)->shape[(bc)->rank - 1];                                     \
        const int32_t s1_ = (bc)->stride1[(bc)->rank - 1];                                  \
        const int32_t s2_ = (bc)->stride2[(bc)->rank - 1];                                  \
        const int32_t runs_ = (size) / n_;                                                  \
        int32_t idx_[MCU_ELTWISE_MAX_DIMS] = {0};                                           \
        int32_t o1_ = 0, o2_ = 0;                                                           \
        for (int32_t r_ = 0; r_ < runs_; r_++) {                                            \
            const T1 *a_ = (input1) + o1_;                                                  \
            const T2 *b_ = (input2) + o2_;                                                  \
            if (s1_ == 0) {                                                                 \
                const int32_t av_ = A(a_[0]);                                               \
                for (int32_t i_ = 0; i_ < n_; i_++) {                                       \
                    (output)[i_] = OUT(av_, B(b_[i_]));                                     \
                }                                                                           \
            } else if (s2_ == 0) {                                                          \
                const int32_t bv_ = B(b_[0]);                                               \
                for (int32_t i_ = 0; i_ < n_; i_++) {                                       \
                    (output)[i_] = OUT(A(a_[i_]), bv_);                                     \
                }                                                                           \
            } else {                                                                        \
                for (int32_t i_ = 0; i_ < n_; i_++) {                                       \
                    (output)[i_] = OUT(A(a_[i_]), B(b_[i_]));                               \
                }                                                                           \
            }                                                                               \
            (output) += n_;                                                                 \
            mcu_broadcast_next((bc), idx_, &o1_, &o2_);                                     \
        }                                                                                   \
    } while (0)

/* output = input1 + input2 (ADD). No scratch; see the in-place note above. */
void mcu_add_s8(const mcu_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* output = input1 - input2 (SUB). No scratch; see the in-place note above. */
void mcu_sub_s8(const mcu_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* output = input1 * input2 (MUL). No scratch; see the in-place note above. */
void mcu_mul_s8(const mcu_mul_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* int16 versions: the same parameters and recipes (ADD/SUB with left_shift 15;
 * MUL with zero points 0, which TFLM requires for int16). */
void mcu_add_s16(const mcu_add_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void mcu_sub_s16(const mcu_add_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void mcu_mul_s16(const mcu_mul_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output);

/* ---- float32 (TFLM's reference float kernels: Add/Sub/Mul and their Broadcast*6DSlow) ---------------- */

/* ADD, SUB and MUL, float32: out = min(max(a op b, act_min), act_max) (mcu_clamp_f32 in mcu_f32.h), one
 * IEEE operation per element, so the result is TFLM's bit for bit. Broadcasting and in-place use as above. */
typedef struct {
    int32_t size;               /* output element count */
    mcu_broadcast_t bcast;
    float act_min, act_max;     /* the fused activation's float range (-FLT_MAX..FLT_MAX for NONE) */
} mcu_binary_f32_params_t;

/* MCU_BROADCAST_LOOP for float operands: OUT(a, b) combines one float of each input. */
#define MCU_BROADCAST_LOOP_F32(bc, size, input1, input2, output, OUT)                           \
    do {                                                                                    \
        const int32_t n_ = (bc)->shape[(bc)->rank - 1];                                     \
        const int32_t s1_ = (bc)->stride1[(bc)->rank - 1];                                  \
        const int32_t s2_ = (bc)->stride2[(bc)->rank - 1];                                  \
        const int32_t runs_ = (size) / n_;                                                  \
        int32_t idx_[MCU_ELTWISE_MAX_DIMS] = {0};                                           \
        int32_t o1_ = 0, o2_ = 0;                                                           \
        for (int32_t r_ = 0; r_ < runs_; r_++) {                                            \
            const float *a_ = (input1) + o1_;                                               \
            const float *b_ = (input2) + o2_;                                               \
            if (s1_ == 0) {                                                                 \
                const float av_ = a_[0];                                                    \
                for (int32_t i_ = 0; i_ < n_; i_++) {                                       \
                    (output)[i_] = OUT(av_, b_[i_]);                                        \
                }                                                                           \
            } else if (s2_ == 0) {                                                          \
                const float bv_ = b_[0];                                                    \
                for (int32_t i_ = 0; i_ < n_; i_++) {                                       \
                    (output)[i_] = OUT(a_[i_], bv_);                                        \
                }                                                                           \
            } else {                                                                        \
                for (int32_t i_ = 0; i_ < n_; i_++) {                                       \
                    (output)[i_] = OUT(a_[i_], b_[i_]);                                     \
                }                                                                           \
            }                                                                               \
            (output) += n_;                                                                 \
            mcu_broadcast_next((bc), idx_, &o1_, &o2_);                                     \
        }                                                                                   \
    } while (0)

void mcu_add_f32(const mcu_binary_f32_params_t *p, const float *input1, const float *input2, float *output);
void mcu_sub_f32(const mcu_binary_f32_params_t *p, const float *input1, const float *input2, float *output);
void mcu_mul_f32(const mcu_binary_f32_params_t *p, const float *input1, const float *input2, float *output);

#endif /* MCU_ELEMENTWISE_H */
