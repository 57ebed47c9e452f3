"""Fusion: a RELU / RELU6 / RELU_N1_TO_1 that follows an int8 or int16 layer with a
fused activation slot folds into that layer's clamp range.

Legal only when the activation's input and output have the same scale and zero
point (then TFLM's standalone activation is exactly a clamp), the producer has
no fused activation yet, and the intermediate tensor has no other reader and is
not a model output.
"""
from __future__ import annotations

from ..ir import Graph

_FUSABLE_PRODUCERS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D",
                      "ADD", "SUB", "MUL")
_FUSABLE_TYPES = ("int8", "int16")  # the clamp range comes from the type (quant.activation_range)
_ACTS = {"RELU": "RELU", "RELU6": "RELU6", "RELU_N1_TO_1": "RELU_N1_TO_1"}


def fuse_activations(graph: Graph) -> None:
    producers = graph.producers()
    consumers = graph.consumers()
    outputs = {id(t) for t in graph.outputs}
    removed = set()
    for op in graph.operators:
        if op.op not in _ACTS:
            continue
        x, y = op.inputs[0], op.outputs[0]
        prod = producers.get(id(x))
        if (prod is None or prod.op not in _FUSABLE_PRODUCERS or id(x) in outputs
                or len(consumers.get(id(x), [])) != 1 or x.quant is None or y.quant is None
                or x.dtype != y.dtype or x.dtype not in _FUSABLE_TYPES
                or (x.quant.s, x.quant.zp) != (y.quant.s, y.quant.zp)
                or prod.options.get("fused_activation_function", "NONE") != "NONE"):
            continue
        prod.options["fused_activation_function"] = _ACTS[op.op]
        prod.outputs = [y]
        removed.add(id(op))
    graph.operators = [op for op in graph.operators if id(op) not in removed]
