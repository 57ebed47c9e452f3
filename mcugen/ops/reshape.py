"""RESHAPE, SQUEEZE, EXPAND_DIMS: no code; the output aliases the input's bytes."""
from __future__ import annotations

from .base import Layer, OpHandler, register


@register
class Reshape(OpHandler):
    ops = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
    alias = True

    def rule_same_bytes(self, op):
        """Output has the same type and element count as the input (a pure reinterpretation)."""
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype != y.dtype or x.size != y.size:
            return f"input {x.shape} {x.dtype} and output {y.shape} {y.dtype} differ in size or type"
        return None

    def lower(self, op, ctx):
        return Layer(op, alias=True)
