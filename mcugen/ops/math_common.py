"""Shared pieces of the element-wise math handlers (MAXIMUM/MINIMUM, comparisons, SELECT_V2,
SQUARED_DIFFERENCE, the unary math): shape rules and the C element types."""
from __future__ import annotations

from ..ir import Operator
from .base import OpHandler
from .elementwise import broadcast_field, broadcast_shape

MAX_RANK = 6  # TFLM's broadcasting helpers and RuntimeShape hold at most 6 dimensions

#: the kernel suffix of each raw element type
TYPE_SUFFIX = {"int8": "s8", "int16": "s16", "int32": "s32", "int64": "s64", "float32": "f32", "bool": "b8"}


def shape_problem(inputs, y, max_rank: int = MAX_RANK) -> str | None:
    """The inputs broadcast (NumPy rules) to y's shape, ranks <= max_rank, no empty dimension."""
    for t in (*inputs, y):
        if len(t.shape) > max_rank:
            return f"tensor '{t.name}' has rank {len(t.shape)}, at most {max_rank} is supported"
        if any(d <= 0 for d in t.shape):
            return f"tensor '{t.name}' has an empty dimension {t.shape}"
    want: tuple[int, ...] | None = ()
    for t in inputs:
        want = broadcast_shape(want, t.shape)
        if want is None:
            return "input shapes " + " and ".join(str(t.shape) for t in inputs) + " do not broadcast"
    if tuple(want) != tuple(y.shape):
        return f"output shape {y.shape} is not the broadcast shape {want}"
    return None


class BinaryMath(OpHandler):
    """A two-input element-wise operator with NumPy broadcasting (mcu_broadcast_t)."""

    def rule_shapes(self, op):
        """The two inputs broadcast against each other (NumPy rules) to the output's shape; ranks are at most
        6; no dimension is 0."""
        return shape_problem(op.inputs[:2], op.outputs[0])

    def overlap(self, op):
        """An input with the output's shape and element size may be overwritten in place: element i of both
        inputs is read before output element i is written (mcu_math.h)."""
        y = op.outputs[0]
        return {i: (0, None) for i in (0, 1)
                if tuple(op.inputs[i].shape) == tuple(y.shape) and op.inputs[i].itemsize == y.itemsize}

    @staticmethod
    def base_fields(op: Operator) -> list:
        return [("size", op.outputs[0].size), ("bcast", broadcast_field(op))]
