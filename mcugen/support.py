"""Operator support check: every problem in the model, listed at once."""
from __future__ import annotations

from .errors import UnsupportedModelError
from .ir import Graph
from .ops import handler, supported_ops


def problems(graph: Graph) -> list[tuple[int, str, str]]:
    """(node index, operator, reason) for every operator mcugen cannot compile."""
    out = []
    for op in graph.operators:
        h = handler(op.op)
        if h is None:
            out.append((op.index, op.op, "operator not supported"))
            continue
        for msg in h.problems(op):
            out.append((op.index, op.op, msg))
    return out


def check_supported(graph: Graph, where: str) -> None:
    found = problems(graph)
    if not found:
        return
    lines = [f"  node {i}: {op}: {msg}" for i, op, msg in found]
    hint = ""
    float_ops = [op for op in graph.operators if any(t is not None and t.dtype == "float32" for t in op.inputs)]
    if float_ops and len(float_ops) >= len(graph.operators) // 2:
        hint = ("\nThis looks like a float32 model. mcugen compiles int8 models: convert it with full-integer "
                "quantization (TFLiteConverter with a representative dataset and "
                "target_spec.supported_ops = [TFLITE_BUILTINS_INT8]).")
    raise UnsupportedModelError(
        f"{where} has {len(found)} problem(s) mcugen cannot compile:\n" + "\n".join(lines)
        + f"\nSupported operators: {', '.join(supported_ops())}." + hint)
