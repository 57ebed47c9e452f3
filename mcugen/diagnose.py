"""Find the first layer whose output differs from TFLM.

The model is compiled again with every activation tensor as an output (a
"probe" build) and run on the failing input. Then each layer is cut out as a
single-operator model, run in TFLM on the probe's own values of that layer's
inputs, and compared with the probe's value of its output. The first layer that
differs is where the generated code goes wrong.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from .backend import make_runner
from .boards import Board
from .codegen import write_project
from .compiler import compile_graph, load, model_name
from .ir import Operator, Tensor
from .oracle import tflm
from .passes import run_passes
from .testing.builder import TensorSpec, single_op_model


def _spec(t: Tensor) -> TensorSpec:
    q = t.quant
    return TensorSpec(
        shape=tuple(t.shape), dtype=t.dtype, scale=[float(s) for s in q.scale] if q else None,
        zero_point=[int(z) for z in q.zero_point] if q else None, quantized_dimension=q.axis if q else 0,
        data=t.data, name=t.name, is_variable=t.is_variable)


def single_op_of(op: Operator) -> bytes:
    options = {k: v for k, v in op.options.items() if v is not None}
    return single_op_model(op.op, [None if t is None else _spec(t) for t in op.inputs],
                           [_spec(t) for t in op.outputs], options)


def first_differing_layer(model, inputs: list[np.ndarray], name: str | None = None, board: Board | None = None,
                          timeout: float = 600) -> dict:
    graph, data = load(model)
    run_passes(graph)
    produced = [t for op in graph.operators for t in op.outputs]
    graph.outputs = graph.outputs + [t for t in produced if t not in graph.outputs]
    nm = model_name(model, name) + "_probe"
    compiled = compile_graph(graph, data, nm, str(model), board)
    with tempfile.TemporaryDirectory(prefix="mcugen-probe-") as tmp:
        d = Path(tmp) / nm
        write_project(compiled.project.files, d, force=True)
        values = make_runner(compiled, d, timeout=timeout)(inputs)
    value_of = {id(t): v[0] for t, v in zip(graph.outputs, values)}
    value_of.update({id(t): x[0] for t, x in zip(graph.inputs, inputs)})
    for step, op in enumerate(graph.operators):
        if op.outputs[0].alias_of is not None:
            continue
        live = [t for t in op.inputs if t is not None and not t.is_const and not t.is_variable]
        try:
            ref = tflm.run(single_op_of(op), [value_of[id(t)].reshape(1, *t.shape) for t in live], len(op.outputs))
        except Exception as e:  # the single-op cut itself may not load in TFLM
            return {"step": step, "node": op.index, "op": op.op, "error": f"cannot check this layer in TFLM: {e}"}
        for t, r in zip(op.outputs, ref):
            ours = value_of[id(t)].reshape(r[0].shape)
            diff = np.count_nonzero(ours != r[0])
            if diff:
                d = np.abs(ours.astype(np.float64) - r[0].astype(np.float64))
                return {"step": step, "node": op.index, "op": op.op, "tensor": t.name, "differing": int(diff),
                        "size": int(r[0].size), "max_abs_diff": float(d.max())}
    return {"step": None, "note": "every layer matches TFLM on its own inputs; the difference comes from "
                                  "how layers are connected (aliasing or arena overlap)"}
