"""SELECT_V2 with three-way broadcasting: out = condition ? x : y, for int8, int16 and float32 values
(kernel: runtime_c/math/mcu_select.c).

TFLM (select.cc) requires a bool condition and x, y of one type among int8,
int16 and float32; the values are copied as stored (quantization is not looked
at). TFLM's micro kernels register SELECT_V2 only; SELECT (v1) fails to prepare.
"""
from __future__ import annotations

from .base import Layer, Sig, register
from .math_common import MAX_RANK, BinaryMath, shape_problem

TYPES = ("int8", "int16", "float32")
DIMS = 6  # MCU_ELTWISE_MAX_DIMS


def select_plan(shapes: list[tuple[int, ...]], out: tuple[int, ...]):
    """(rank, shape, strides per input), outermost first: dimensions of extent 1 dropped, neighbours with the
    same broadcast pattern merged; rank 0 when no input is broadcast."""
    r = len(out)
    full = [(1,) * (r - len(s)) + tuple(s) for s in shapes]
    dims: list[list] = []  # innermost first: [extent, present per input]
    for d in reversed(range(r)):
        n = int(out[d])
        if n == 1:
            continue
        key = tuple(f[d] == n for f in full)
        if dims and dims[-1][1] == key:
            dims[-1][0] *= n
        else:
            dims.append([n, key])
    if not dims or (len(dims) == 1 and all(dims[0][1])):
        return 0, [], [[] for _ in shapes]
    shape, strides = [], [[] for _ in shapes]
    acc = [1] * len(shapes)
    for n, key in dims:
        shape.append(n)
        for i, present in enumerate(key):
            strides[i].append(acc[i] if present else 0)
            acc[i] *= n if present else 1
    return len(dims), shape[::-1], [s[::-1] for s in strides]


def _pad(v, fill):
    return [int(x) for x in v] + [fill] * (DIMS - len(v))


@register
class SelectV2(BinaryMath):
    ops = ("SELECT_V2",)
    signatures = tuple(Sig("any", (("bool",), (t,), (t,)), ((t,),)) for t in TYPES)

    def rule_shapes(self, op):
        """Condition, x and y broadcast (NumPy rules) to the output's shape; ranks are at most 6; no dimension
        is 0."""
        return shape_problem(op.inputs[:3], op.outputs[0], MAX_RANK)

    def overlap(self, op):
        """x or y with the output's shape may be overwritten in place: element k is read before it is written."""
        y = op.outputs[0]
        return {i: (0, None) for i in (1, 2) if tuple(op.inputs[i].shape) == tuple(y.shape)}

    def lower_any(self, op, ctx):
        c, x, yv, out = op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0]
        rank, shape, (sc, sx, sy) = select_plan([c.shape, x.shape, yv.shape], out.shape)
        fields = [("size", out.size), ("elem_size", out.itemsize), ("rank", rank), ("shape", _pad(shape, 1)),
                  ("stride_c", _pad(sc, 0)), ("stride_x", _pad(sx, 0)), ("stride_y", _pad(sy, 0))]
        return Layer(op, function="select", struct="select_params_t", fields=fields,
                     args=[ctx.ptr(c), ctx.ptr(x), ctx.ptr(yv), ctx.ptr(out)], sources=("math/mcu_select.c",))
