"""Probe models: the same model with every tensor an operator produces added to its outputs.

Comparing a probe model's outputs checks every layer, so a wrong early layer cannot hide behind a
saturated softmax. The shared models come with probe versions made by TensorFlow's tools; this makes
them for any model (the int16x8 ones, the project's own fixtures) by reading it into the IR and
writing it again with the test builder (weights, quantization and options unchanged).
"""
from __future__ import annotations

from ..frontend import read_model_bytes
from ..ir import Tensor
from .builder import OpSpec, TensorSpec, build_model


def _spec(t: Tensor) -> TensorSpec:
    q = t.quant
    return TensorSpec(
        shape=tuple(t.shape), dtype=t.dtype, scale=[float(s) for s in q.scale] if q else None,
        zero_point=[int(z) for z in q.zero_point] if q else None, quantized_dimension=q.axis if q else 0,
        data=t.data, name=t.name)


def probe_model(data: bytes, where: str = "model.tflite", only: list[str] | None = None) -> bytes:
    """`data` rewritten with every operator output also a model output (after the original outputs); with
    `only`, the model's outputs become just the tensors of those names (what the rest of it does not need is
    still in the file, unused)."""
    g = read_model_bytes(data, where)
    index = {id(t): i for i, t in enumerate(g.tensors)}
    ops = [OpSpec(op.op, [index[id(t)] if t is not None else -1 for t in op.inputs],
                  [index[id(t)] for t in op.outputs],
                  {k: v for k, v in op.options.items() if v is not None and k != "custom_options"},
                  op.options.get("custom_options"))
           for op in g.operators]
    if only is not None:
        by_name = {t.name: i for i, t in enumerate(g.tensors)}
        outputs = [by_name[n] for n in only]
        return build_model([_spec(t) for t in g.tensors], ops, [index[id(t)] for t in g.inputs], outputs)
    outputs = [index[id(t)] for t in g.outputs]
    for op in g.operators:
        for t in op.outputs:
            if index[id(t)] not in outputs:
                outputs.append(index[id(t)])
    return build_model([_spec(t) for t in g.tensors], ops, [index[id(t)] for t in g.inputs], outputs)
