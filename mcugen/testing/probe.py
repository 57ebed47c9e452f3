"""Probe models: the same model with every tensor an operator produces added to its outputs.

Comparing a probe model's outputs checks every layer, so a wrong early layer cannot hide behind a
saturated softmax. The shared models come with probe versions made by TensorFlow's tools; this makes
them for any model (the int16x8 ones, the project's own fixtures) by reading it into the IR and
writing it again with the flatbuffer writer (weights, quantization and options unchanged).
"""
from __future__ import annotations

from ..frontend import read_model_bytes
from ..frontend.tflite_writer import write_model


def probe_model(data: bytes, where: str = "model.tflite", only: list[str] | None = None) -> bytes:
    """`data` rewritten with every operator output also a model output (after the original outputs); with
    `only`, the model's outputs become just the tensors of those names (what the rest of the model does not
    need stays in the file, unused)."""
    g = read_model_bytes(data, where)
    if only is not None:
        by_name = {t.name: t for t in g.tensors}
        g.outputs = [by_name[n] for n in only]
        g.signatures = []
        return write_model(g)
    seen = {id(t) for t in g.outputs}
    for op in g.operators:
        for t in op.outputs:
            if id(t) not in seen:
                seen.add(id(t))
                g.outputs.append(t)
    g.signatures = []  # the signature names the original outputs only
    return write_model(g)
