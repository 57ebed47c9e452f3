"""SPACE_TO_DEPTH and DEPTH_TO_SPACE: transposes (kernel: runtime_c/shape/mcu_transpose.c).

SPACE_TO_DEPTH moves each block_size x block_size patch of an NHWC input into
the channels: the input seen as (N, H/b, b, W/b, b, C) is written as
(N, H/b, W/b, b, b, C). DEPTH_TO_SPACE is the inverse: (N, H, W, b, b, C/b^2)
written as (N, H, b, W, b, C/b^2). TFLM (checked against the pip interpreter):
4-D int8 or float32 only, block_size > 0 dividing H and W (SPACE_TO_DEPTH) or
b^2 dividing the depth (DEPTH_TO_SPACE). Bytes are copied as they are.
"""
from __future__ import annotations

from .base import Layer, OpHandler, register
from .transpose import data_ptr, elem_strides, gather_fields, gather_overlap, same_type

TYPES = ("int8", "float32")


@register
class DepthSpace(OpHandler):
    ops = ("SPACE_TO_DEPTH", "DEPTH_TO_SPACE")

    def rule_types(self, op):
        """Input and output have the same type: int8 or float32 (TFLM's types)."""
        return same_type(op, TYPES)

    def rule_geometry(self, op):
        """The input is 4-D NHWC, block_size >= 1 divides its height and width (SPACE_TO_DEPTH)
        or its square divides the depth (DEPTH_TO_SPACE), and the output has the moved shape."""
        x, y = op.inputs[0], op.outputs[0]
        if len(x.shape) != 4:
            return f"input has {len(x.shape)} dimensions, needs 4 (NHWC)"
        b = int(op.options.get("block_size", 0) or 0)
        if b < 1:
            return f"block_size {b} must be at least 1"
        n, h, w, c = x.shape
        if op.op == "SPACE_TO_DEPTH":
            if h % b or w % b:
                return f"block_size {b} does not divide height {h} and width {w}"
            want = (n, h // b, w // b, c * b * b)
        else:
            if c % (b * b):
                return f"block_size {b} squared does not divide depth {c}"
            want = (n, h * b, w * b, c // (b * b))
        return None if tuple(y.shape) == want else f"output shape {y.shape}, expected {want}"

    def _view(self, op):
        b = int(op.options["block_size"])
        n, h, w, c = op.inputs[0].shape
        if op.op == "SPACE_TO_DEPTH":
            return (n, h // b, b, w // b, b, c)
        return (n, h, w, b, b, c // (b * b))

    def overlap(self, op):
        """A transpose: the output may start over the input where no later element's source is
        overwritten."""
        view, perm = self._view(op), (0, 1, 3, 2, 4, 5)
        st = elem_strides(view)
        return gather_overlap([view[p] for p in perm], [st[p] for p in perm], 0, op.inputs[0].itemsize)

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        b = int(op.options["block_size"])
        n, h, w, c = x.shape
        if op.op == "SPACE_TO_DEPTH":
            view = (n, h // b, b, w // b, b, c)
        else:
            view = (n, h, w, b, b, c // (b * b))
        perm = (0, 1, 3, 2, 4, 5)
        st = elem_strides(view)
        fields = gather_fields([view[p] for p in perm], [st[p] for p in perm], 0, x.itemsize)
        return Layer(op, function="transpose_b", struct="gather_params_t", fields=fields,
                     args=[data_ptr(ctx, x), ctx.ptr(y)], sources=("shape/mcu_transpose.c",))
