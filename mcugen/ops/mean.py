"""Reductions over constant axes: MEAN and SUM (int8, int16, float32), REDUCE_MAX and REDUCE_MIN (int8,
float32).

Kernels: runtime_c/reduce/mcu_mean_s8.c, mcu_mean_s16.c (MEAN and SUM), mcu_reduce_max_s8.c,
mcu_reduce_f32.c (every float32 reduction).

TFLM's quantized MEAN and SUM (reduce_common.cc -> reference QuantizedMeanOrSum)
always requantize: the int32 sum minus zero_point * count goes through one
MultiplyByQuantizedMultiplier of QuantizeMultiplier(in_scale / out_scale in
double). MEAN folds 1 / count into that multiplier (M' = (M << s) / count,
shift' = shift - s, s = min(floor(log2 count), 32, 31 + shift)); SUM does not.
int8 and int16 follow the same recipe, clamped to the output type's range.
(Older TFLM releases had separate paths for 4-D axes {1, 2} with keep_dims and
for equal input/output quantization; the interpreter mcugen checks against no
longer takes them, even with equal quantization, for int8 or int16.)

REDUCE_MAX / REDUCE_MIN: TFLM has int8 and float32 only; for int8 its Eval fails
unless the input and output scales and zero points are equal; the result is the
raw maximum / minimum of the stored values.

float32: TFLM's reference loops combine the values one at a time in input order
(MEAN then divides by the count in float); mcugen's kernel does the same, so the
results are bit-exact, not merely close.
"""
from __future__ import annotations

import numpy as np

from ..ir import Operator
from ..quant import f64, quantize_multiplier, type_range
from .base import Layer, OpHandler, Sig, need_quant, register

MAX_RANK = 5  # TFLM's reductions index at most 5 dimensions (kMaxNumberOfAxis)
AXES = ("int32",)


def resolved_axes(op: Operator) -> list[int]:
    """The axis tensor's values made non-negative, duplicates dropped (TFLM ResolveAxis)."""
    rank = len(op.inputs[0].shape)
    out: list[int] = []
    for a in np.asarray(op.inputs[1].data).ravel().tolist():
        a = int(a)
        if not -rank <= a < rank:
            raise ValueError(f"axis {a} is out of range for a rank-{rank} input")
        a = a + rank if a < 0 else a
        if a not in out:
            out.append(a)
    return out


def fold_extents(shape: tuple[int, ...], axes: list[int]) -> tuple[int, int, int, int, int, int]:
    """(k0, r0, k1, r1, k2, r2): the input as alternating kept/reduced blocks, aligned to the right.

    Unit dimensions are dropped and neighbours of the same kind merged; a pattern
    ending in a kept block gets a trailing reduced block of 1 so the innermost
    loop runs over kept elements (contiguous sums into the scratch row).
    """
    segs: list[list] = []  # [reduced?, extent]
    for d, n in enumerate(shape):
        if n == 1:
            continue
        red = d in axes
        if segs and segs[-1][0] == red:
            segs[-1][1] *= n
        else:
            segs.append([red, n])
    if not segs or not segs[-1][0]:
        segs.append([True, 1])
    while len(segs) < 6:
        segs.insert(0, [not segs[0][0], 1])
    if len(segs) > 6:
        raise ValueError(f"shape {shape} with axes {axes} does not fold into 3 kept and 3 reduced blocks")
    return tuple(int(n) for _, n in segs)  # type: ignore[return-value]


def mean_multiplier(in_scale: float, out_scale: float, count: int) -> tuple[int, int]:
    """TFLM QuantizedMeanOrSum: QuantizeMultiplier(in/out in double), then fold in 1/count."""
    mult, shift = quantize_multiplier(f64(in_scale) / f64(out_scale))
    s = min(count.bit_length() - 1, 32, 31 + shift)
    return (mult << s) // count, shift - s


def sum_multiplier(in_scale: float, out_scale: float) -> tuple[int, int]:
    """TFLM's quantized SUM: QuantizeMultiplier(in/out in double), no count folded in."""
    return quantize_multiplier(f64(in_scale) / f64(out_scale))


def _wrap32(v: int) -> int:
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


class _Reduce(OpHandler):
    """Rules and folding shared by the reductions over a constant axes tensor."""

    def rule_axes_constant(self, op):
        """The axes are a constant int32 tensor."""
        if len(op.inputs) < 2 or op.inputs[1] is None:
            return "the axes input is missing"
        return None if op.inputs[1].is_const else "the axes tensor must be constant"

    def rule_quantized(self, op):
        """Integer input and output have quantization parameters, per tensor."""
        if op.inputs[0].dtype == "float32":
            return None
        msg = need_quant(op.inputs[0], op.outputs[0])
        if msg:
            return msg
        for t in (op.inputs[0], op.outputs[0]):
            if t.quant.scale.size != 1:
                return f"tensor '{t.name}' is quantized per channel"
        return None

    def rule_axes(self, op):
        """Every axis lies in [-rank, rank) of an input of rank at most 5 with no empty dimension."""
        shape = op.inputs[0].shape
        if len(shape) > MAX_RANK:
            return f"input rank {len(shape)} exceeds {MAX_RANK}"
        if any(d <= 0 for d in shape):
            return f"input shape {shape} has an empty dimension"
        if op.inputs[1].is_const:
            try:
                resolved_axes(op)
            except ValueError as e:
                return str(e)
        return None

    def rule_output_size(self, op):
        """The output holds one element per combination of the kept dimensions (keep_dims true or false)."""
        shape = op.inputs[0].shape
        try:
            axes = resolved_axes(op)
        except (ValueError, TypeError):
            return None  # reported by rule_axes / rule_axes_constant
        want = int(np.prod([n for d, n in enumerate(shape) if d not in axes], dtype=np.int64))
        got = op.outputs[0].size
        return None if got == want else f"output has {got} elements, the reduction gives {want}"

    def _plan(self, op):
        shape = op.inputs[0].shape
        axes = resolved_axes(op)
        count = int(np.prod([shape[a] for a in axes], dtype=np.int64)) if axes else 1
        return fold_extents(shape, axes), count

    def macs(self, op):
        return op.inputs[0].size

    def extent_fields(self, op):
        ext, _ = self._plan(op)
        return [(k, v) for k, v in zip(("k0", "r0", "k1", "r1", "k2", "r2"), ext)]

    code = 0  # MCU_REDUCE_* of the float32 kernel

    def lower_f32(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        _, count = self._plan(op)
        return Layer(op, function="reduce_f32", struct="reduce_f32_params_t",
                     fields=self.extent_fields(op) + [("op", self.code), ("count", count)],
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("reduce/mcu_reduce_f32.c",))


F32 = Sig("f32", (("float32",), AXES), (("float32",),))


class _MeanSum(_Reduce):
    signatures = (Sig("s8", (("int8",), AXES), (("int8",),)),
                  Sig("s16", (("int16",), AXES), (("int16",),)), F32)

    def multiplier(self, op, count):  # pragma: no cover - overridden
        raise NotImplementedError

    def scratch_bytes(self, op, features=frozenset()):
        if self.scheme(op) == "f32":
            return 0
        ext, _ = self._plan(op)
        return 4 * ext[2] * ext[4]

    def _lower(self, op, ctx, scheme):
        x, y = op.inputs[0], op.outputs[0]
        _, count = self._plan(op)
        mult, shift = self.multiplier(op, count)
        fields = self.extent_fields(op) + [
            ("sum_offset", _wrap32(-x.quant.zp * count)),
            ("multiplier", mult), ("shift", shift), ("output_offset", y.quant.zp)]
        return Layer(op, function=f"mean_{scheme}", struct="mean_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(self.scratch_bytes(op), "int32_t")],
                     sources=(f"reduce/mcu_mean_{scheme}.c",))

    def lower_s8(self, op, ctx):
        return self._lower(op, ctx, "s8")

    def lower_s16(self, op, ctx):
        return self._lower(op, ctx, "s16")


@register
class Mean(_MeanSum):
    ops = ("MEAN",)
    code = 1

    def multiplier(self, op, count):
        return mean_multiplier(op.inputs[0].quant.s, op.outputs[0].quant.s, count)


@register
class Sum(_MeanSum):
    ops = ("SUM",)

    def multiplier(self, op, count):
        return sum_multiplier(op.inputs[0].quant.s, op.outputs[0].quant.s)


class _ReduceMaxMin(_Reduce):
    signatures = (Sig("s8", (("int8",), AXES), (("int8",),)), F32)
    is_min = 0

    def rule_same_quantization(self, op):
        """Input and output have the same scale and zero point (TFLM's Eval fails otherwise)."""
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "float32" or x.quant is None or y.quant is None:
            return None
        if np.float32(x.quant.s) != np.float32(y.quant.s) or x.quant.zp != y.quant.zp:
            return (f"input quantization ({x.quant.s:g}, {x.quant.zp}) differs from the output's "
                    f"({y.quant.s:g}, {y.quant.zp})")
        return None

    def lower_s8(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        lo, hi = type_range(y.dtype)
        fields = self.extent_fields(op) + [("is_min", self.is_min), ("init", hi if self.is_min else lo)]
        return Layer(op, function="reduce_max_s8", struct="reduce_max_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("reduce/mcu_reduce_max_s8.c",))


@register
class ReduceMax(_ReduceMaxMin):
    ops = ("REDUCE_MAX",)
    code = 2


@register
class ReduceMin(_ReduceMaxMin):
    ops = ("REDUCE_MIN",)
    is_min = 1
    code = 3
