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


def _float_op(op) -> bool:
    return any(t is not None and t.dtype == "float32" for t in list(op.inputs) + list(op.outputs))


def _has_float_kernel(op) -> bool:
    h = handler(op.op)
    return h is not None and any(sig.scheme == "f32" for sig in h.signatures)


def float_warning(graph: Graph, board) -> str | None:
    """The warning `build` prints when a model computes in float32 on a core without an FPU."""
    n = sum(1 for op in graph.operators if _float_op(op))
    if not n or board is None or "fpu" in board.features or board.name == "host":
        return None
    return (f"{n} of {len(graph.operators)} layers compute in float32 and {board.name} has no FPU: they run "
            "in software floating point (correct, but many times slower than on a core with an FPU or as int8).")


def check_supported(graph: Graph, where: str) -> None:
    found = problems(graph)
    if not found:
        return
    lines = [f"  node {i}: {op}: {msg}" for i, op, msg in found]
    hint = ""
    no_float = sorted({op.op for op in graph.operators if _float_op(op) and not _has_float_kernel(op)
                       and any(i == op.index for i, _, _ in found)})
    if no_float:
        hint = (f"\nmcugen has no float32 kernel for {', '.join(no_float)}: quantize the model (TFLiteConverter "
                "with a representative dataset and target_spec.supported_ops = [TFLITE_BUILTINS_INT8]) or "
                "replace these operators.")
    raise UnsupportedModelError(
        f"{where} has {len(found)} problem(s) mcugen cannot compile:\n" + "\n".join(lines)
        + f"\nSupported operators: {', '.join(supported_ops())}." + hint)
