/*
 * mcu_shape.h - data-movement operators: PAD / PADV2, CONCATENATION and
 * PACK, TRANSPOSE, STRIDED_SLICE and SLICE, SPACE_TO_DEPTH / DEPTH_TO_SPACE
 * (transposes), SPLIT / SPLIT_V / UNPACK, GATHER, RESIZE_NEAREST_NEIGHBOR,
 * SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND.
 *
 * All kernels here are generic over the element type (suffix _b, "bytes"):
 * they move whole elements of `elem_size` bytes and never look at a value,
 * so the same code serves int8, int16, int32 and float32 tensors. No
 * requantization happens anywhere: TFLM copies the bytes of these operators
 * as they are (int8 CONCATENATION even requires every input to share the
 * output's scale and zero point).
 *
 * The generator computes all geometry at build time: it drops dimensions of
 * size 1, merges dimensions that are contiguous, resolves masks, negative
 * indices and clamping, and hands the kernels plain counts and byte strides.
 * Shapes are listed outermost dimension first. Strides and offsets are in
 * bytes. Tensors must be smaller than 2 GiB.
 */
#ifndef MCU_SHAPE_H
#define MCU_SHAPE_H

#include <stdint.h>
#include <string.h>

#define MCU_SHAPE_MAX_DIMS 6

/* ---- PAD / PADV2 --------------------------------------------------------- */

typedef struct {
    int32_t dims;                             /* 1..MCU_SHAPE_MAX_DIMS (after merging) */
    int32_t elem_size;                        /* bytes per element */
    int32_t in_shape[MCU_SHAPE_MAX_DIMS];
    int32_t out_shape[MCU_SHAPE_MAX_DIMS];    /* in_shape + before + after padding */
    int32_t pad_before[MCU_SHAPE_MAX_DIMS];   /* leading padding per dimension, >= 0 */
} mcu_pad_params_t;

/*
 * Writes the output in order: elements outside the input's box get the
 * element at `pad_value` (elem_size bytes: the output zero point for int8
 * PAD, or PADV2's constant_values), the others the input's elements.
 */
void mcu_pad_b(const mcu_pad_params_t *p, const void *input, const void *pad_value, void *output);

/* ---- CONCATENATION ------------------------------------------------------- */

typedef struct {
    int32_t num_inputs;
    int32_t outer;            /* product of the output dimensions before the axis */
    const int32_t *in_bytes;  /* per input: bytes per outer step = dims[axis..] * elem_size */
} mcu_concat_params_t;

/*
 * For each of the `outer` steps, copies in_bytes[i] bytes of every input i in
 * turn. inputs[i] points at input i's data.
 */
void mcu_concat_b(const mcu_concat_params_t *p, const void *const *inputs, void *output);

/* ---- SPLIT, SPLIT_V, UNPACK ----------------------------------------------- */

typedef struct {
    int32_t num_outputs;
    int32_t outer;             /* product of the input dimensions before the axis */
    const int32_t *out_bytes;  /* per output: bytes per outer step = dims[axis..] * elem_size */
} mcu_split_params_t;

/* The inverse of mcu_concat_b: each outer step of the input is dealt out to the outputs in turn. */
void mcu_split_b(const mcu_split_params_t *p, const void *input, void *const *outputs);

/* ---- GATHER with run-time indices ------------------------------------------- */

typedef struct {
    int32_t batches;      /* product of the first batch_dims dimensions */
    int32_t outer;        /* product of the input dimensions between batch_dims and the axis */
    int32_t axis_size;    /* the input's size along the axis */
    int32_t coords;       /* indices per batch */
    int32_t inner_bytes;  /* bytes of one slice after the axis */
} mcu_gather_index_params_t;

/*
 * output[b][o][i] = input[b][o][indices[b][i]] (slices of inner_bytes). An index outside
 * [0, axis_size) gives a zero slice (TFLM fails the invoke instead).
 */
void mcu_gather_index_b(const mcu_gather_index_params_t *p, const void *input, const int32_t *indices,
                        void *output);

/* ---- RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (NHWC) ---------------------- */

typedef struct {
    int32_t batches, in_h, in_w, out_h, out_w;
    int32_t depth;              /* channels */
    int32_t elem_size;          /* bytes per element (nearest neighbour) */
    const int32_t *y_table;     /* nearest: the input row of each output row; bilinear: (y0, y1, w1) each */
    const int32_t *x_table;     /* likewise for columns */
    const float *y_weight;      /* float bilinear: the weight of row y1 per output row (else NULL) */
    const float *x_weight;      /* float bilinear: the weight of column x1 per output column (else NULL) */
} mcu_resize_params_t;

/* Nearest neighbour: every output pixel copies the input pixel the tables name. */
void mcu_resize_nearest_b(const mcu_resize_params_t *p, const void *input, void *output);

/*
 * Bilinear, int8: TFLM's integer arithmetic. The tables hold per output row (y0, y1, w) with the
 * row weight w in 1/1024 (may be negative or exceed 1024 at the borders, as in TFLM); the four
 * products sum in int64 and are divided by 2^20 rounding half away from zero.
 */
void mcu_resize_bilinear_s8(const mcu_resize_params_t *p, const int8_t *input, int8_t *output);

/* Bilinear, float32: TFLM's float expression in its order (weights from the tables). */
void mcu_resize_bilinear_f32(const mcu_resize_params_t *p, const float *input, float *output);

/* ---- SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (NHWC; 3-D inputs as NH1C) ------- */

typedef struct {
    int32_t in_b, in_h, in_w;
    int32_t out_b, out_h, out_w;
    int32_t block_h, block_w;
    int32_t top, left;         /* SPACE_TO_BATCH: leading padding; BATCH_TO_SPACE: leading crop */
    int32_t pixel_bytes;       /* channels * element size */
    int32_t pad_byte;          /* SPACE_TO_BATCH: every byte of a padded pixel (TFLM memsets) */
} mcu_space_batch_params_t;

/* out[(sh * block_w + sw) * in_b + b][oh][ow] = in[b][oh*block_h + sh - top][ow*block_w + sw - left]
 * or padding. */
void mcu_space_to_batch_b(const mcu_space_batch_params_t *p, const void *input, void *output);

/* The inverse: each input pixel lands at its place, the cropped ones are dropped. */
void mcu_batch_to_space_b(const mcu_space_batch_params_t *p, const void *input, void *output);

/* ---- CAST ------------------------------------------------------------------ */

enum { MCU_CAST_INT8 = 0, MCU_CAST_INT16 = 1, MCU_CAST_INT32 = 2, MCU_CAST_FLOAT32 = 3, MCU_CAST_BOOL = 4 };

typedef struct {
    int32_t size;      /* elements */
    int32_t in_type;   /* MCU_CAST_* */
    int32_t out_type;  /* MCU_CAST_* */
} mcu_cast_params_t;

/*
 * TFLM's semantics: integers wrap to a narrower type, float -> integer truncates toward zero and
 * saturates at the type's limits (NaN -> 0), integer -> float rounds to nearest, anything -> bool
 * is (x != 0), bool -> anything 0 or 1.
 */
void mcu_cast_b(const mcu_cast_params_t *p, const void *input, void *output);

/* ---- TRANSPOSE and STRIDED_SLICE: a strided gather ------------------------ */

typedef struct {
    int32_t dims;                            /* 1..MCU_SHAPE_MAX_DIMS loop dimensions */
    int32_t elem_size;                       /* bytes per element */
    int32_t in_offset;                       /* bytes from the input to the first element read */
    int32_t count[MCU_SHAPE_MAX_DIMS];       /* iterations per loop dimension (output shape) */
    int32_t in_stride[MCU_SHAPE_MAX_DIMS];   /* input bytes per step of that dimension, may be < 0 */
} mcu_gather_params_t;

/*
 * output is written sequentially; element (i0, .., i{dims-1}) is read at
 * input + in_offset + sum(i_d * in_stride[d]). Each element (each contiguous run) is read before it
 * is written, so the output may overlap input bytes that no later element reads (the offset
 * transpose.gather_overlap computes).
 */
void mcu_transpose_b(const mcu_gather_params_t *p, const void *input, void *output);
void mcu_strided_slice_b(const mcu_gather_params_t *p, const void *input, void *output);

/* The walk shared by mcu_transpose_b and mcu_strided_slice_b. */
static inline void mcu_gather_b(const mcu_gather_params_t *p, const void *input, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    const int32_t nd = p->dims;
    const int32_t es = p->elem_size;
    const int32_t n = p->count[nd - 1];
    const int32_t step = p->in_stride[nd - 1];
    int32_t idx[MCU_SHAPE_MAX_DIMS] = {0};
    int32_t off = p->in_offset;
    int32_t d;

    for (d = 0; d < nd; d++) {
        if (p->count[d] <= 0) {
            return;
        }
    }
    for (;;) {
        /* the innermost dimension: one run of n elements */
        if (step == es) {
            /* memmove: the planner may place the output over the input's earlier bytes */
            memmove(out, in + off, (size_t)n * (size_t)es);
        } else if (es == 1) {
            for (int32_t i = 0; i < n; i++) {
                out[i] = in[off + i * step];
            }
        } else if (es == 2) {
            for (int32_t i = 0; i < n; i++) {
                memmove(out + 2 * i, in + off + i * step, 2);
            }
        } else if (es == 4) {
            for (int32_t i = 0; i < n; i++) {
                memmove(out + 4 * i, in + off + i * step, 4);
            }
        } else {
            for (int32_t i = 0; i < n; i++) {
                memmove(out + (size_t)i * (size_t)es, in + off + i * step, (size_t)es);
            }
        }
        out += (size_t)n * (size_t)es;
        /* advance the outer dimensions like an odometer */
        for (d = nd - 2; d >= 0; d--) {
            off += p->in_stride[d];
            if (++idx[d] < p->count[d]) {
                break;
            }
            off -= p->in_stride[d] * p->count[d];
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}

#endif /* MCU_SHAPE_H */
