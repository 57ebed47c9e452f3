"""SPLIT, SPLIT_V and UNPACK, any element size (kernel: runtime_c/shape/mcu_split.c).

All three deal the input out along one axis: per step of the dimensions before
the axis, each output takes its run of bytes (its dims from the axis on) in
turn, the inverse of CONCATENATION. UNPACK is a SPLIT into size-1 pieces whose
axis is then dropped (the same bytes).

TFLM (split.cc, split_v.cc, unpack.cc, checked against the pip interpreter):
types int8, int16, int32 and float32 (uint8, int64 and bool fail at Eval);
SPLIT's axis is input 0 and SPLIT_V's input 2, a constant int32 scalar,
negative counting from the input's rank; SPLIT_V's size_splits is constant and
may hold one -1 (the rest of the axis). UNPACK's `axis` option (negative
counts from the rank) and `num` outputs. Bytes are copied as they are: no
requantization, quantization is not compared.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, OpHandler, register
from .transpose import data_ptr

TYPES = ("int8", "int16", "int32", "float32")
MAX_RANK = 5


def _axis_tensor(op):
    return op.inputs[0] if op.op == "SPLIT" else op.inputs[2]


def _data(op):
    return op.inputs[1] if op.op == "SPLIT" else op.inputs[0]


def split_axis(op) -> int:
    x = _data(op)
    if op.op == "UNPACK":
        a = int(op.options.get("axis", 0))
    else:
        a = int(np.asarray(_axis_tensor(op).data).reshape(-1)[0])
    return a + len(x.shape) if a < 0 else a


def split_sizes(op) -> list[int]:
    """The size of each output along the axis."""
    x = _data(op)
    n = x.shape[split_axis(op)]
    if op.op == "UNPACK":
        return [1] * len(op.outputs)
    if op.op == "SPLIT":
        k = int(op.options.get("num_splits", len(op.outputs)) or len(op.outputs))
        return [n // k] * k
    sizes = [int(v) for v in np.asarray(op.inputs[1].data).reshape(-1)]
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = n - sum(v for v in sizes if v != -1)
    return sizes


def split_layer(op, ctx, x, axis: int, sizes: list[int]) -> Layer:
    """The mcu_split_b layer dealing `x` out along `axis` into op.outputs of `sizes` there."""
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64)) * x.itemsize
    ys = [(y, s) for y, s in zip(op.outputs, sizes) if y.size > 0]
    out_bytes = np.array([s * inner for _, s in ys], np.int32)
    fields = [("num_outputs", len(ys)), ("outer", outer),
              ("out_bytes", ctx.const("split_bytes", out_bytes, "int32_t") if ys else "NULL")]
    ptrs = ", ".join(ctx.ptr(y, "void") for y, _ in ys)
    outputs = f"(void *const[]){{{ptrs}}}" if ys else "NULL"
    return Layer(op, function="split_b", struct="split_params_t", fields=fields,
                 args=[data_ptr(ctx, x), outputs], sources=("shape/mcu_split.c",))


@register
class Split(OpHandler):
    ops = ("SPLIT", "SPLIT_V", "UNPACK")
    def rule_no_empty_output(self, op):
        """No output has a dimension of size 0 (TFLM reads it as a dynamic tensor and refuses the model)."""
        bad = [t.name for t in op.outputs if any(int(d) == 0 for d in t.shape)]
        return f"zero-size output(s) {bad}: TFLM refuses dynamic (0-sized) tensors" if bad else None

    def rule_types(self, op):
        """Input and outputs have one type: int8, int16, int32 or float32 (TFLM's types)."""
        x = _data(op)
        if x.dtype not in TYPES:
            return f"input has type {x.dtype}, needs {' or '.join(TYPES)}"
        bad = [t.dtype for t in op.outputs if t.dtype != x.dtype]
        return f"output types {bad} differ from the input's {x.dtype}" if bad else None

    def rule_axis(self, op):
        """The axis is a constant int32 scalar (SPLIT, SPLIT_V) or the `axis` option (UNPACK),
        within the input's 1 to 5 dimensions (negative counts from the end)."""
        x = _data(op)
        r = len(x.shape)
        if not 1 <= r <= MAX_RANK:
            return f"input has {r} dimensions, needs 1 to {MAX_RANK}"
        if op.op != "UNPACK":
            t = _axis_tensor(op)
            if t is None or not t.is_const:
                return "the axis must be a constant tensor"
            if t.dtype != "int32" or t.size != 1:
                return f"the axis has type {t.dtype} and {t.size} elements, needs one int32"
            a = int(np.asarray(t.data).reshape(-1)[0])
        else:
            a = int(op.options.get("axis", 0))
        return None if -r <= a < r else f"axis {a} is out of range for {r} dimensions"

    def rule_sizes(self, op):
        """SPLIT: num_splits outputs dividing the axis evenly; SPLIT_V: a constant int32
        size_splits with one entry per output, at most one -1, adding up to the axis; UNPACK: `num`
        outputs, the axis' size. Every output has the input's shape with its piece along the axis
        (UNPACK: the axis removed)."""
        if self.rule_axis(op):
            return None
        x = _data(op)
        axis = split_axis(op)
        n = x.shape[axis]
        k = len(op.outputs)
        if op.op == "SPLIT":
            ns = int(op.options.get("num_splits", 0) or 0)
            if ns != k:
                return f"num_splits {ns} differs from the {k} outputs"
            if n % k:
                return f"axis size {n} is not divisible by {k} splits"
        elif op.op == "SPLIT_V":
            t = op.inputs[1]
            if not t.is_const or t.dtype != "int32" or t.size != k:
                return f"size_splits must be a constant int32 vector of {k} entries"
            raw = [int(v) for v in np.asarray(t.data).reshape(-1)]
            if raw.count(-1) > 1 or any(v < -1 for v in raw):
                return f"size_splits {raw}: at most one -1 and no other negative size"
            if raw.count(-1) == 0 and sum(raw) != n or raw.count(-1) == 1 and sum(v for v in raw if v != -1) > n:
                return f"size_splits {raw} do not add up to the axis size {n}"
        else:
            num = int(op.options.get("num", 0) or 0)
            if num != k or k != n:
                return f"UNPACK num {num} with {k} outputs, the axis has {n}"
        for y, s in zip(op.outputs, split_sizes(op)):
            want = list(x.shape)
            if op.op == "UNPACK":
                del want[axis]
            else:
                want[axis] = s
            if tuple(y.shape) != tuple(want):
                return f"output '{y.name}' has shape {y.shape}, expected {tuple(want)}"
        return None

    def lower(self, op, ctx):
        return split_layer(op, ctx, _data(op), split_axis(op), split_sizes(op))
