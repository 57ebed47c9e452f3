"""CONCATENATION, any element size (kernel: runtime_c/shape/mcu_concat.c).

TFLM's CONCATENATION copies bytes; it never requantizes. Its Prepare wants:
no fused activation, the types int8, int16, int32, int64, float32 or bool (input 0
and output alike), at most 10 inputs, at most 6 dimensions, and for int8
every input's scale and zero point equal to the output's (the scale compared
as float; checked against the pip tflite-micro build, older TFLM sources
skip this check). A negative axis counts from the output's rank. TFLM does not
check the axis range nor the other inputs' shapes and types (its kernel then
reads out of bounds), mcugen does.

Build time: outer = product of the output dimensions before the axis; per
input, the bytes of one outer step (its dims from the axis on). The kernel
copies those runs round-robin.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, OpHandler, register
from .transpose import data_ptr

MAX_INPUTS = 10  # TFLM's kMaxInputNum
MAX_RANK = 6     # TFLM's RuntimeShape::kMaxSmallSize
_TYPES = ("int8", "int16", "int32", "int64", "float32", "bool")


def _axis(op) -> int:
    axis = int(op.options.get("axis", 0))
    return axis + len(op.outputs[0].shape) if axis < 0 else axis


def _inputs(op):
    return [t for t in op.inputs if t is not None]


@register
class Concatenation(OpHandler):
    ops = ("CONCATENATION",)

    def rule_types(self, op):
        """Inputs and output have one type: int8, int16, int32, int64, float32 or bool (TFLM's types)."""
        y = op.outputs[0]
        if y.dtype not in _TYPES:
            return f"output has type {y.dtype}, needs {' or '.join(_TYPES)}"
        bad = [t.dtype for t in _inputs(op) if t.dtype != y.dtype]
        return f"input types {bad} differ from the output's {y.dtype}" if bad else None

    def rule_activation(self, op):
        """No fused activation (TFLM refuses one)."""
        act = op.options.get("fused_activation_function", "NONE")
        return None if act == "NONE" else f"fused activation {act} (TFLM's CONCATENATION takes none)"

    def rule_inputs(self, op):
        """1 to 10 inputs (TFLM's limit)."""
        n = len(op.inputs)
        if any(t is None for t in op.inputs):
            return "an input is missing"
        return None if 1 <= n <= MAX_INPUTS else f"{n} inputs, TFLM takes 1 to {MAX_INPUTS}"

    def rule_quantization(self, op):
        """For int8, every input has the output's scale and zero point (TFLM does not rescale)."""
        y = op.outputs[0]
        if y.dtype != "int8":
            return None

        def sz(t):
            return (t.quant.s, t.quant.zp) if t.quant is not None else (0.0, 0)
        bad = [i for i, t in enumerate(op.inputs) if t is not None and sz(t) != sz(y)]
        return f"input(s) {bad} have a scale or zero point other than the output's" if bad else None

    def rule_geometry(self, op):
        """The axis (negative counts from the end) lies within the output's 1 to 6 dimensions,
        every input has the output's rank and dimensions except along the axis, and those
        add up to the output's."""
        y = op.outputs[0]
        r = len(y.shape)
        if not 1 <= r <= MAX_RANK:
            return f"output has {r} dimensions, TFLM takes 1 to {MAX_RANK}"
        raw = int(op.options.get("axis", 0))
        if not -r <= raw < r:
            return f"axis {raw} is out of range for {r} dimensions"
        axis = _axis(op)
        total = 0
        for i, t in enumerate(_inputs(op)):
            if len(t.shape) != r or any(t.shape[d] != y.shape[d] for d in range(r) if d != axis):
                return f"input {i} shape {t.shape} does not fit output {y.shape} along axis {axis}"
            total += t.shape[axis]
        if total != y.shape[axis]:
            return f"inputs add up to {total} along axis {axis}, output has {y.shape[axis]}"
        return None

    def lower(self, op, ctx):
        y = op.outputs[0]
        axis = _axis(op)
        outer = int(np.prod(y.shape[:axis], dtype=np.int64))
        xs = [t for t in _inputs(op) if t.size > 0]
        in_bytes = np.array([int(np.prod(t.shape[axis:], dtype=np.int64)) * t.itemsize for t in xs], np.int32)
        ptrs = ", ".join(data_ptr(ctx, t) for t in xs)
        fields = [
            ("num_inputs", len(xs)), ("outer", outer),
            ("in_bytes", ctx.const("concat_bytes", in_bytes, "int32_t") if xs else "NULL"),
        ]
        inputs = f"(const void *const[]){{{ptrs}}}" if xs else "NULL"
        return Layer(op, function="concat_b", struct="concat_params_t", fields=fields,
                     args=[inputs, ctx.ptr(y)], sources=("shape/mcu_concat.c",))
