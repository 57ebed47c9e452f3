"""Aliasing: reshape-like operators (RESHAPE, SQUEEZE, EXPAND_DIMS) copy nothing.

Their output is marked as an alias of their input: the planner gives both one
buffer, and the code generator emits no code for the operator. The shape
operand of RESHAPE is dropped so it is not placed in flash.
"""
from __future__ import annotations

from ..ir import Graph
from ..ops import handler


def alias_reshapes(graph: Graph) -> None:
    for op in graph.operators:
        h = handler(op.op)
        if h is not None and h.alias and op.inputs and op.inputs[0] is not None and not op.inputs[0].is_const:
            x, y = op.inputs[0], op.outputs[0]
            if x.dtype == y.dtype and x.size == y.size:
                y.alias_of = x
                op.inputs = [x]
