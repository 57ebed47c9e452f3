/*
 * mcu_fully_connected.h - FULLY_CONNECTED, int8.
 *
 * Input is read as [batches, depth] (row-major, whatever its declared rank),
 * output is [batches, units]. Quantization per tensor or per output unit.
 *
 * The weights are NOT in the model's [units, depth] order: the generator
 * (mcugen/ops/fully_connected.py, pack_fc_weights) repacks them as 32-bit words
 * that hold two units ("a row pair": unit A = 2k, unit B = 2k + 1) side by side,
 * so that one SMLAD multiplies two inputs by both units' weights at once:
 *   - the depth is cut in groups of 4 (the last one padded with zero weights);
 *     for group g, word 0 holds depths 4g and 4g+2, word 1 holds 4g+1 and 4g+3,
 *     one 16-bit half per depth, low half first;
 *   - a half is the byte (w_A + 128) (unsigned) below the byte w_B (signed), so
 *     as a signed 16-bit number it equals 256 * w_B + w_A + 128;
 *   - an odd unit count gets a zero row B that is never stored;
 *   - row pairs go in blocks of three (six units): per group, the two words of the
 *     block's first pair, then the two of its second, then its third; the last
 *     block may hold fewer pairs.
 * Summed over the input x: S = sum x * half = 256 * sum(x w_B) + T with
 * T = sum x * (w_A + 128), which one more SMLAD on the zero-extended low bytes
 * gives; so sum(x w_B) = (S - T) / 256 (exact while |sum x w_B| < 2^23, i.e. for
 * up to 511 depths at a time) and sum(x w_A) = T - 128 * sum(x).
 *
 * The input offset is folded at build time: bias[u] = bias + input_offset * sum_d w
 * + depth * input_offset * filter_offset, so the kernels multiply raw inputs; the
 * filter offset (per-tensor asymmetric weights) adds filter_offset * sum(x) per batch.
 */
#ifndef MCU_FULLY_CONNECTED_H
#define MCU_FULLY_CONNECTED_H

#include <stdint.h>

typedef struct {
    int32_t batches, depth, units;
    int32_t filter_offset;     /* -filter zero point (0 for symmetric weights) */
    int32_t output_offset;     /* output zero point */
    int32_t act_min, act_max;
    int32_t per_channel;       /* 1: multiplier/shift/rq indexed by unit; 0: entry 0 for all units */
    int32_t fast;              /* 1: accumulators are doubled and requantized through rq (see below) */
    int32_t single_pass;       /* 1: |sum x * w_B| < 2^23 for every unit B and input, so the DSP kernel
                                  takes (S - T) / 256 once over the whole depth (else: plain C path) */
    const int32_t *weights;    /* packed as described above */
    const int32_t *bias;       /* folded bias per unit (times 2 when fast), padded to an even count */
    const int32_t *multiplier; /* TFLM's Q31 multiplier and shift, used when !fast */
    const int32_t *shift;
    /* fast: per unit {M, K, e}; the output is act_min + clamp((SMMLAR(2*acc, M, K) + (acc < 0 ? -1 : 0)) >> e,
     * 0, act_max - act_min) with K = 2^(e-1) + (output_offset - act_min) * 2^e, which the generator proved
     * equal to TFLM's clamped MultiplyByQuantizedMultiplier(acc, M, -e) + output_offset for every reachable acc. */
    const int32_t *rq;
    /* 1: the Helium layout (a board with MVE): `weights` holds the model's [units, depth] int8 rows, each
     * padded with zeros to 4 * ceil(depth / 4) bytes; bias, multipliers and rq as above */
    int32_t mve;
    /* 1: the plain-C layout of a core without the DSP extension: units in blocks of 4 (zero rows pad the
     * last block), per block and per group of 4 inputs one int32 word per unit holding its 4 int8 weights
     * (zero-padded depth); bias padded to a multiple of 4 units */
    int32_t rows4;
    /* 1: batches from the last to the first (a 1x1 convolution run by this kernel whose output the planner
     * placed after its input: each batch row's output lies past every input row it has yet to read) */
    int32_t reverse;
} mcu_fc_params_t;

/* FULLY_CONNECTED, int8 activations and weights, int32 bias. No scratch. */
void mcu_fully_connected_s8(const mcu_fc_params_t *p, const int8_t *input, int8_t *output);

/* FULLY_CONNECTED 16x8: int16 input and output (zero point 0), int8 symmetric weights in the model's
 * [units, depth] order, TFLM's reference arithmetic: acc64 = 1 (int64 bias or none): int64 sum and
 * TFLM's 64-bit requantization (multiplier reduced to 16 bits, mcu_requantize_s64 in mcu_conv.h);
 * acc64 = 0 (int32 bias): int32 wrapping sum and the 32-bit mcu_requantize. No scratch. */
typedef struct {
    int32_t batches, depth, units;
    int32_t per_channel;       /* 1: multiplier/shift indexed by unit; 0: entry 0 for all units */
    int32_t acc64;
    int32_t act_min, act_max;
    const int8_t *weights;     /* [units][depth] */
    const int64_t *bias;       /* per unit, or NULL */
    const int32_t *multiplier; /* reduced to 16 bits when acc64, else Q31 */
    const int32_t *shift;
} mcu_fc_s16_params_t;

void mcu_fully_connected_s16(const mcu_fc_s16_params_t *p, const int16_t *input, int16_t *output);

/* FULLY_CONNECTED, float32: TFLM's reference float FullyConnected (see mcu_f32.h): per output, float total
 * = 0 plus input[d] * weight[u][d] for d = 0 .. depth-1 in order, then + bias (0 without one), then the clamp.
 * The weights are the model's float values grouped by MCU_F32_GROUP (8) units: [ceil(units / 8)][depth][8]
 * (the last group padded with zeros). No scratch. */
typedef struct {
    int32_t batches, depth, units;
    float act_min, act_max;
    const float *weights;
    const float *bias;         /* [units] or NULL */
} mcu_fc_f32_params_t;

void mcu_fully_connected_f32(const mcu_fc_f32_params_t *p, const float *input, float *output);

/* FULLY_CONNECTED with int4 weights and int8 activations (mcu_fully_connected_s4.c): TFLM unpacks the weights
 * to int8 and runs its int8 kernel (per-tensor quantization: TFLM refuses per-channel int4 FULLY_CONNECTED):
 * acc = bias + sum (x - input_zp) * (w + filter_offset), mcu_requantize, + output_zp, clamp. The weights
 * are one row of `row_words` words per unit in the layout of runtime_c/conv/mcu_s4_impl.h; per batch the
 * input minus input_zp is written to `scratch` (8 * row_words int16: mcu_fully_connected_s4_get_buffer_size()
 * bytes). The first `blocked_units` units (a multiple of 4) are stored in blocks of 4 rows interleaved by
 * word (mcu_s4_dot4), the others one row after another. per_channel: one requantization per unit (a
 * per-channel int4 CONV_2D 1x1 on one pixel runs here too; TFLM's FULLY_CONNECTED itself is per tensor). */
typedef struct {
    int32_t batches, depth, units;
    int32_t input_zp, filter_offset, output_zp, act_min, act_max;
    int32_t row_words;
    const int32_t *weights;
    const int32_t *bias;       /* per unit, or NULL */
    const int32_t *multiplier; /* TFLM's (one, or one per unit with per_channel; read only when rq is NULL) */
    const int32_t *shift;
    const int32_t *rq;         /* or NULL: {M, K, e} (per unit with per_channel), the one-multiply
                                * requantization (mcu_s4_impl.h) */
    int32_t blocked_units;
    int32_t per_channel;
} mcu_fc_s4_params_t;

void mcu_fully_connected_s4(const mcu_fc_s4_params_t *p, const int8_t *input, int8_t *output, int16_t *scratch);
int32_t mcu_fully_connected_s4_get_buffer_size(int32_t row_words);

/* FULLY_CONNECTED, hybrid (dynamic range): float32 input and output, int8 weights, float bias, desktop
 * TFLite's EvalHybridDense (mcu_hybrid.h): each batch row is quantized on its own (symmetric, or asymmetric
 * with a zero point when `asymmetric`), dot = sum_d w[u][d] * q[d] in int32 (minus row_sums[u] * zero point
 * when asymmetric), then out = bias + (float)dot * scale with scale = row_scale * weight_scale (per tensor:
 * the product taken once per row; per channel: per unit), then the activation in float. An all-zero row gives
 * act(bias). The weights are packed as for mcu_fully_connected_s8 (pack_fc_weights: row pairs, blocks of
 * three pairs, see the top of this file), so the DSP path takes sum q * w_B = (S - T) / 256 in one pass when
 * `single_pass` (|sum q * w_B| < 2^23 for every unit B). Scratch (4-byte aligned): the quantized row (depth
 * rounded up to 4 int8 values), then units + 6 int32 products. */
typedef struct {
    int32_t batches, depth, units;
    int32_t asymmetric;        /* asymmetric_quantize_inputs */
    int32_t per_channel;       /* the model's weights are quantized per unit (informational: scale is per unit) */
    int32_t single_pass;
    int32_t clamp;             /* 0: activation NONE (no clamp) */
    float act_min, act_max;
    const int32_t *weights;    /* packed (pack_fc_weights) */
    const float *scale;        /* [units] weight scales (a per-tensor scale repeated) */
    const float *bias;         /* [units] (zeros when the model has none: LiteRT starts from 0 too) */
    const int32_t *row_sums;   /* [units] sums of each weight row (asymmetric), or NULL */
} mcu_fc_hybrid_params_t;

void mcu_fully_connected_hybrid(const mcu_fc_hybrid_params_t *p, const float *input, float *output,
                                int8_t *scratch);

#endif /* MCU_FULLY_CONNECTED_H */
