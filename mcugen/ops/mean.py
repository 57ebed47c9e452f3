"""MEAN over constant axes, int8 (kernel: runtime_c/reduce/mcu_mean_s8.c).

TFLM's int8 MEAN (reduce_common.cc -> reference QuantizedMeanOrSum) always
requantizes: the sum minus zero_point * count goes through one
MultiplyByQuantizedMultiplier whose multiplier folds in_scale / out_scale and
1 / count. (Older TFLM releases had separate paths for 4-D axes {1, 2} with
keep_dims and for equal input/output quantization; the reference interpreter
mcugen checks against no longer takes them, even with equal quantization.)
"""
from __future__ import annotations

import numpy as np

from ..ir import Operator
from ..quant import f64, quantize_multiplier
from .base import Layer, OpHandler, need_quant, need_types, register

MAX_RANK = 5  # TFLM's MEAN indexes at most 5 dimensions (kMaxNumberOfAxis)


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


def _wrap32(v: int) -> int:
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


@register
class Mean(OpHandler):
    ops = ("MEAN",)

    def rule_types(self, op):
        """Input and output are int8 with quantization parameters; the axes are a constant int32 tensor."""
        msg = need_types(op, {0: ("int8",), 1: ("int32",)})
        if msg:
            return msg
        if not op.inputs[1].is_const:
            return "the axes tensor must be constant"
        return need_quant(op.inputs[0], op.outputs[0])

    def rule_per_tensor(self, op):
        """Input and output are quantized per tensor."""
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
            return None  # reported by rule_axes / rule_types
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

    def scratch_bytes(self, op, features=frozenset()):
        ext, _ = self._plan(op)
        return 4 * ext[2] * ext[4]

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        ext, count = self._plan(op)
        mult, shift = mean_multiplier(x.quant.s, y.quant.s, count)
        fields = [(k, v) for k, v in zip(("k0", "r0", "k1", "r1", "k2", "r2"), ext)]
        fields += [("sum_offset", _wrap32(-x.quant.zp * count)),
                   ("multiplier", mult), ("shift", shift), ("output_offset", y.quant.zp)]
        return Layer(op, function="mean_s8", struct="mean_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(self.scratch_bytes(op), "int32_t")],
                     sources=("reduce/mcu_mean_s8.c",))
