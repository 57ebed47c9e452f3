"""PAD and PADV2, any element size (kernel: runtime_c/shape/mcu_pad.c).

TFLM (pad_common.cc PadPrepare) wants: input and output of one type (int8,
int16, int32 or float32), rank <= 5, a constant int32 `paddings` tensor with
2 * rank entries (read as [rank][2] = before, after), and an output shape of
input + before + after. The pad value is PADV2's scalar `constant_values`
when given (for int8 it must carry the output's scale and zero point; it may
be an activation, TFLM reads it at Eval), otherwise the output zero point for
int8 and 0 for the other types (int16 too). Bytes are copied as they are: the
input's quantization is never compared with the output's.

TFLM does not check that paddings are >= 0; with a negative one its kernel
reads the input sequentially and produces a shifted jumble, so mcugen refuses
negative paddings (as TensorFlow does).

Build time: dimensions of size 1 without padding are dropped and every
dimension without padding is merged into the next outer one, so NHWC padding
of H and W runs as rows of W*C bytes: left fill, one memcpy, right fill.
"""
from __future__ import annotations

import numpy as np

from ..quant import type_range
from .base import Layer, OpHandler, register
from .transpose import MAX_DIMS, c_array, data_ptr, same_type

def _scale_zp(t) -> tuple[float, int]:
    """The (scale, zero point) TFLM sees: 0 and 0 for a tensor without quantization."""
    return (t.quant.s, t.quant.zp) if t.quant is not None else (0.0, 0)


def _constant_values(op):
    return op.inputs[2] if len(op.inputs) > 2 else None


def _paddings(op) -> np.ndarray:
    return np.asarray(op.inputs[1].data, dtype=np.int64).reshape(-1, 2)


def merge_pad_dims(in_shape, before, after):
    """(in_shape, before, after) with unpadded size-1 dimensions dropped and each unpadded
    dimension folded into the next outer one."""
    dims = [(int(n), int(b), int(a)) for n, b, a in zip(in_shape, before, after) if not (n == 1 and b == 0 and a == 0)]
    if not dims:
        dims = [(1, 0, 0)]
    i = len(dims) - 2
    while i >= 0:
        n1, b1, a1 = dims[i + 1]
        if b1 == 0 and a1 == 0:
            n0, b0, a0 = dims[i]
            dims[i:i + 2] = [(n0 * n1, b0 * n1, a0 * n1)]
        i -= 1
    return [d[0] for d in dims], [d[1] for d in dims], [d[2] for d in dims]


@register
class Pad(OpHandler):
    ops = ("PAD", "PADV2")
    types = ("int8", "int16", "int32", "float32")

    def rule_types(self, op):
        """Input and output have the same type: int8, int16, int32 or float32."""
        return same_type(op, self.types)

    def rule_rank(self, op):
        """The input has 1 to 5 dimensions (TFLM's limit)."""
        r = len(op.inputs[0].shape)
        return None if 1 <= r <= 5 else f"input has {r} dimensions, TFLM's PAD takes 1 to 5"

    def rule_paddings(self, op):
        """`paddings` is a constant int32 tensor of 2 x rank values, none negative, and the
        output shape is the input shape plus the paddings."""
        x, y = op.inputs[0], op.outputs[0]
        p = op.inputs[1] if len(op.inputs) > 1 else None
        if p is None:
            return "the paddings input is missing"
        if not p.is_const:
            return "paddings must be a constant tensor"
        if p.dtype != "int32":
            return f"paddings has type {p.dtype}, needs int32"
        if p.size != 2 * len(y.shape):
            return f"paddings has {p.size} values, needs {2 * len(y.shape)} (two per output dimension)"
        if len(x.shape) != len(y.shape):
            return f"input rank {len(x.shape)} differs from output rank {len(y.shape)}"
        pads = _paddings(op)
        if (pads < 0).any():
            return f"negative paddings {pads.tolist()} are not supported"
        want = tuple(int(n + b + a) for n, (b, a) in zip(x.shape, pads))
        return None if tuple(y.shape) == want else f"output shape {y.shape}, expected {want}"

    def rule_constant_values(self, op):
        """PADV2's constant_values, if given, is one element of the input's type; for int8 it
        has the output's scale and zero point. Without it an int8 output's zero point is
        the pad value and must fit in int8."""
        x, y = op.inputs[0], op.outputs[0]
        cv = _constant_values(op)
        if cv is None:
            if x.dtype == "int8":
                lo, hi = type_range(x.dtype)
                if not lo <= _scale_zp(y)[1] <= hi:
                    return f"output zero point {_scale_zp(y)[1]} does not fit in {x.dtype}"
            return None
        if cv.dtype != x.dtype:
            return f"constant_values has type {cv.dtype}, the input {x.dtype}"
        if cv.size != 1:
            return f"constant_values has {cv.size} elements, needs 1"
        if x.dtype == "int8" and _scale_zp(cv) != _scale_zp(y):
            return "constant_values' scale and zero point differ from the output's"
        return None

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        pads = _paddings(op)
        ins, before, after = merge_pad_dims(x.shape, pads[:, 0], pads[:, 1])
        if len(ins) > MAX_DIMS:
            raise ValueError(f"{len(ins)} dimensions after merging, the kernel handles {MAX_DIMS}")
        outs = [n + b + a for n, b, a in zip(ins, before, after)]
        cv = _constant_values(op)
        if cv is not None and not cv.is_const:
            value = ctx.ptr(cv)  # read at run time, like TFLM
        else:
            if cv is not None:
                v = np.asarray(cv.data, dtype=x.dtype).reshape(-1)[:1]
            else:
                v = np.array([_scale_zp(y)[1] if x.dtype == "int8" else 0], dtype=x.dtype)
            # the element's bytes: the kernel copies them, whatever the type
            value = ctx.const("pad_value", np.frombuffer(v.tobytes(), np.uint8), "uint8_t")
        fields = [
            ("dims", len(ins)), ("elem_size", x.itemsize),
            ("in_shape", c_array(ins)), ("out_shape", c_array(outs)), ("pad_before", c_array(before)),
        ]
        return Layer(op, function="pad_b", struct="pad_params_t", fields=fields,
                     args=[data_ptr(ctx, x), value, ctx.ptr(y)], sources=("shape/mcu_pad.c",))
