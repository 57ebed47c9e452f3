"""`mcugen inspect`: what a model holds and what mcugen makes of it, before building anything."""
from __future__ import annotations

from .frontend.tflite_reader import read_model
from .ir import Tensor
from .ops import handler, supported_ops
from .ops.base import infer_scheme
from .passes import run_passes
from .planner.analysis import analyse, liveness_lower_bound


def _t(t: Tensor | None) -> dict | None:
    if t is None:
        return None
    return {"shape": list(t.shape), "dtype": t.dtype, "const": t.is_const}


def inspect(path) -> dict:
    graph = read_model(path)
    run_passes(graph)
    rows = []
    unsupported = []
    for op in graph.operators:
        h = handler(op.op)
        problems = ["operator not supported"] if h is None else h.problems(op)
        try:
            macs = h.macs(op) if h is not None and not problems else 0
        except Exception:
            macs = 0
        weights = sum(t.nbytes for t in op.inputs if t is not None and t.is_const)
        scheme = (h.scheme(op) if h is not None and h.signatures else None) or infer_scheme(op)
        rows.append({
            "index": op.index, "op": op.op, "inputs": [_t(t) for t in op.inputs],
            "outputs": [_t(t) for t in op.outputs], "macs": macs, "weight_bytes": weights,
            "supported": not problems, "problems": problems, "scheme": scheme,
            "state_bytes": sum(t.nbytes for t in op.inputs if t is not None and t.is_variable),
        })
        if problems:
            unsupported.append({"index": op.index, "op": op.op, "problems": problems,
                                "supported_types": h.supported_types() if h is not None else []})
    scratch = [0] * len(graph.operators)
    return {
        "model": str(path),
        "inputs": [_t(t) | {"name": t.name} for t in graph.inputs],
        "outputs": [_t(t) | {"name": t.name} for t in graph.outputs],
        "operators": rows,
        "total_macs": sum(r["macs"] for r in rows),
        "weight_bytes": sum(t.nbytes for t in graph.tensors if t.is_const),
        "state_bytes": sum(t.nbytes for t in graph.tensors if t.is_variable),
        "liveness_lower_bound": liveness_lower_bound(analyse(graph, scratch)),
        "unsupported": unsupported,
        "supported_operators": supported_ops(),
    }


def format_inspect(info: dict) -> str:
    def shapes(ts):
        return ", ".join("x".join(map(str, t["shape"])) + ("c" if t["const"] else "") + f":{t['dtype']}"
                         for t in ts if t is not None)
    lines = [f"{'#':>4}  {'operator':<20} {'scheme':<7} {'inputs':<44} {'outputs':<22} {'MACs':>11} {'weights':>9}  ok"]
    for r in info["operators"]:
        lines.append(f"{r['index']:>4}  {r['op']:<20} {r['scheme']:<7} {shapes(r['inputs']):<44} {shapes(r['outputs']):<22} "
                     f"{r['macs']:>11,} {r['weight_bytes']:>9,}  {'yes' if r['supported'] else 'NO'}")
    lines.append(f"total: {len(info['operators'])} operators, {info['total_macs']:,} MACs, "
                 f"{info['weight_bytes']:,} constant bytes, activation liveness lower bound "
                 f"{info['liveness_lower_bound']:,} bytes")
    if info.get("state_bytes"):
        lines.append(f"recurrent state: {info['state_bytes']:,} bytes in variable tensors, kept across invocations "
                     f"(MACs are per invocation)")
    if info["unsupported"]:
        lines.append(f"unsupported ({len(info['unsupported'])}):")
        for u in info["unsupported"]:
            lines.append(f"  node {u['index']}: {u['op']}: {'; '.join(u['problems'])}")
            if u.get("supported_types"):
                lines.append(f"    {u['op']} compiles: {'; '.join(u['supported_types'])}")
        lines.append("supported operators: " + ", ".join(info["supported_operators"]))
    else:
        lines.append("every operator is supported")
    return "\n".join(lines)
