"""Compile a model, run it on the host and in TFLM, and compare byte for byte.

Used by the tests and by `mcugen verify`.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..backend import make_runner
from ..codegen import write_project
from ..compiler import Compiled, compile_bytes
from ..ir import Tensor
from ..oracle import tflm


def sample_inputs(tensors: list[Tensor], count: int, seed: int = 0) -> list[np.ndarray]:
    """`count` samples per input: all-minimum, all-maximum, then uniform random over the type's range.

    Float inputs (models with a QUANTIZE at their edge) draw from the range the
    input's quantization covers, or [-4, 4) when it has none.
    """
    rng = np.random.default_rng(seed)
    out = []
    for t in tensors:
        shape = (count, *t.shape)
        if t.dtype == "bool":
            x = rng.integers(0, 2, size=shape).astype(bool)
            lo, hi = False, True
        elif np.issubdtype(np.dtype(t.dtype), np.integer):
            info = np.iinfo(t.dtype)
            x = rng.integers(info.min, int(info.max) + 1, size=shape, dtype=t.dtype)
            lo, hi = info.min, info.max
        else:
            if t.quant is not None:
                lo, hi = t.quant.s * (-128 - t.quant.zp), t.quant.s * (127 - t.quant.zp)
            else:
                lo, hi = -4.0, 4.0
            x = rng.uniform(lo, hi, size=shape).astype(t.dtype)
        if count >= 3:
            x[0] = lo
            x[1] = hi
        out.append(x)
    return out


def count_mismatches(ours: list[np.ndarray], ref: list[np.ndarray]) -> list[int]:
    """Differing bytes per output (-1 when the sizes differ)."""
    return [int(np.count_nonzero(a.reshape(b.shape).view(np.uint8) != b.view(np.uint8)))
            if a.size == b.size else -1 for a, b in zip(ours, ref)]


@dataclass
class Comparison:
    ours: list[np.ndarray]
    ref: list[np.ndarray]
    compiled: Compiled
    inputs: list[np.ndarray]

    def mismatches(self) -> list[int]:
        return count_mismatches(self.ours, self.ref)

    @property
    def exact(self) -> bool:
        return all(m == 0 for m in self.mismatches())


def compare_model(model: bytes, count: int = 8, seed: int = 0, sanitize: bool = False,
                  workdir: Path | None = None, name: str = "model", board: str = "host",
                  oracle: str = "tflm") -> Comparison:
    """Compile and run `model` and the reference on the same inputs. oracle: 'tflm' (the TFLM interpreter)
    or 'litert' (LiteRT's reference kernels, for what TFLM does not run: legacy uint8, hybrid)."""
    compiled = compile_bytes(model, name, board=board)
    with tempfile.TemporaryDirectory(prefix="mcugen-cmp-") as tmp:
        d = Path(workdir or tmp) / name
        write_project(compiled.project.files, d, force=True)
        xs = sample_inputs(compiled.graph.inputs, count, seed)
        ours = make_runner(compiled, d, sanitize=sanitize)(xs)
    if oracle == "litert":
        from ..oracle import litert
        ref = litert.run(model, xs, len(compiled.graph.outputs))
    else:
        ref = tflm.run(model, xs, len(compiled.graph.outputs))
    return Comparison(ours, ref, compiled, xs)


def run_on_board(model: bytes, board: str, inputs: list[np.ndarray], name: str = "model",
                 timeout: float = 300) -> list[np.ndarray]:
    """Build `model` as firmware for `board` and run `inputs` (N-leading) through it in QEMU."""
    compiled = compile_bytes(model, name, board=board)
    with tempfile.TemporaryDirectory(prefix="mcugen-fw-") as tmp:
        d = Path(tmp) / name
        write_project(compiled.project.files, d, force=True)
        return make_runner(compiled, d, timeout=timeout)(inputs)


def rule_problems(model: bytes) -> list[str]:
    """The support-rule messages mcugen reports for `model`, after the graph passes (empty: supported)."""
    from ..frontend import read_model_bytes
    from ..passes import run_passes
    from ..support import problems
    graph = read_model_bytes(model, "model.tflite")
    run_passes(graph)
    return [msg for _, _, msg in problems(graph)]


def tflm_rejects(model: bytes) -> bool:
    """True when the TFLM interpreter refuses to prepare `model`."""
    try:
        tflm.interpreter(model)
    except RuntimeError:
        return True
    return False
