"""STRIDED_SLICE, any element size (kernel: runtime_c/shape/mcu_strided_slice.c).

The start, stop and step of every axis are resolved here at build time with
TFLM's rules (tensorflow/lite/kernels/internal/strided_slice_logic.h as the
reference kernel uses them):

  start: begin[i], plus the axis size if negative, clamped to [0, size] for a
         positive stride or [-1, size-1] for a negative one; begin_mask sets it
         to 0 (stride > 0) or size-1 (stride < 0).
  stop:  for a shrunk axis start+1 (or start when start >= size); otherwise
         end[i], plus the size if negative, clamped like start but to
         [0, size] / [-1, size-1]; end_mask sets it to size / -1.
  count: the iterations of `for (i = start; stride > 0 ? i < stop : i > stop; i += stride)`.

The kernel then just walks counts and byte strides (a strided gather, see
mcu_shape.h). TFLM limits: rank <= 4, int32 begin/end/strides with one entry
per input dimension, non-zero strides; it silently ignores ellipsis_mask,
new_axis_mask and the `offset` option (it treats them as 0), which computes a
different slice from TensorFlow's, so mcugen refuses them instead. It also
accepts a shrunk axis it then never reads (negative stride, or begin past the
end), leaving the output unwritten; mcugen refuses those too.
"""
from __future__ import annotations

from .base import Layer, OpHandler, register
from .transpose import const_int32_vector, data_ptr, elem_strides, gather_fields, gather_overlap, same_type


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else lo if v < lo else v


def axis_plan(op) -> list[tuple[int, int, int, bool]]:
    """(start, count, stride, shrunk) per input axis, as TFLM's reference kernel walks them."""
    x = op.inputs[0]
    begin, end, strides = (op.inputs[i].data for i in (1, 2, 3))
    o = op.options
    bmask, emask, smask = (int(o.get(k, 0) or 0) for k in ("begin_mask", "end_mask", "shrink_axis_mask"))
    out = []
    for i, size in enumerate(x.shape):
        size, stride = int(size), int(strides[i])
        if stride == 0:
            raise ValueError(f"stride of axis {i} is 0")
        start = int(begin[i])
        if start < 0:
            start += size
        start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
        if bmask >> i & 1:
            start = 0 if stride > 0 else size - 1
        shrunk = bool(smask >> i & 1)
        if shrunk:
            stop = start if start >= size else start + 1
        else:
            stop = int(end[i])
            if stop < 0:
                stop += size
            stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
            if emask >> i & 1:
                stop = size if stride > 0 else -1
        count = max(0, -(-(stop - start) // stride))  # ceil division, both signs
        out.append((start, count, stride, shrunk))
    return out


@register
class StridedSlice(OpHandler):
    ops = ("STRIDED_SLICE",)
    types = ("int8", "int16", "int32", "float32", "bool")

    def rule_types(self, op):
        """Input and output have the same type: int8, int16, int32, float32 or bool (TFLM's types)."""
        return same_type(op, self.types)

    def rule_rank(self, op):
        """The input has 1 to 4 dimensions (TFLM's limit)."""
        r = len(op.inputs[0].shape)
        return None if 1 <= r <= 4 else f"input has {r} dimensions, TFLM's STRIDED_SLICE takes 1 to 4"

    def rule_indices(self, op):
        """begin, end and strides are constant int32 vectors with one entry per input
        dimension, and no stride is 0."""
        if len(op.inputs) != 4:
            return f"{len(op.inputs)} inputs, needs 4 (input, begin, end, strides)"
        r = len(op.inputs[0].shape)
        for i, what in ((1, "begin"), (2, "end"), (3, "strides")):
            msg = const_int32_vector(op.inputs[i], what, r)
            if msg:
                return msg
        if any(int(s) == 0 for s in op.inputs[3].data):
            return "a stride is 0"
        return None

    def rule_masks(self, op):
        """ellipsis_mask and new_axis_mask are 0 and `offset` is false (TFLM ignores them,
        which would slice differently from TensorFlow)."""
        o = op.options
        bad = [k for k in ("ellipsis_mask", "new_axis_mask", "offset") if o.get(k)]
        return None if not bad else f"{', '.join(bad)} set; TFLM ignores {'it' if len(bad) == 1 else 'them'}"

    def rule_geometry(self, op):
        """Every shrunk axis selects an element that exists with a positive stride, and the
        output shape is the slice's shape without the shrunk axes."""
        if self.rule_indices(op):
            return None  # reported there
        plan = axis_plan(op)
        for i, (start, count, stride, shrunk) in enumerate(plan):
            if shrunk and (stride < 0 or count != 1):
                return (f"shrunk axis {i} selects nothing (begin {int(op.inputs[1].data[i])}, stride {stride}); "
                        "TFLM would leave the output unwritten")
        want = tuple(c for (_, c, _, s) in plan if not s)
        y = op.outputs[0]
        return None if tuple(y.shape) == want else f"output shape {y.shape}, expected {want}"

    def _gather(self, op):
        x = op.inputs[0]
        plan = axis_plan(op)
        st = elem_strides(x.shape)
        counts = [c for (_, c, _, _) in plan]
        strides = [s * e for (_, _, s, _), e in zip(plan, st)]
        offset = sum(start * e for (start, _, _, _), e in zip(plan, st)) if all(counts) else 0
        return counts, strides, offset

    def overlap(self, op):
        """A slice reads ahead of what it writes: the output may start at (or near) the input's start."""
        return gather_overlap(*self._gather(op), op.inputs[0].itemsize)

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        plan = axis_plan(op)
        st = elem_strides(x.shape)
        counts = [c for (_, c, _, _) in plan]
        strides = [s * e for (_, _, s, _), e in zip(plan, st)]
        offset = sum(start * e for (start, _, _, _), e in zip(plan, st)) if all(counts) else 0
        fields = gather_fields(counts, strides, offset, x.itemsize)
        return Layer(op, function="strided_slice_b", struct="gather_params_t", fields=fields,
                     args=[data_ptr(ctx, x), ctx.ptr(y)], sources=("shape/mcu_strided_slice.c",))
