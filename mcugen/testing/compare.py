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


#: float outputs pass when every |ours - reference| <= FLOAT_TOLERANCE x the reference output's range (its
#: max - min over all samples, or max |value| when that is 0, or 1 when the output is all zero). mcugen's
#: float kernels do TFLM's reference float operations in TFLM's order (no reassociation, no fused
#: multiply-add: the FPU path uses the chained VMLA), so they match TFLM's host interpreter bit for bit on
#: the host and on soft-float cores; on FPU cores newlib's expf (SOFTMAX) differs from glibc's in the last
#: bit (measured: at most 2.2e-16 absolute on kws_ref_model_float). TFLM's own firmware, built with gcc's
#: default contraction, differs from its host interpreter by up to 1.5e-5 absolute (ANCHORS.md).
FLOAT_TOLERANCE = 1e-5


@dataclass
class FloatError:
    """How far a float output is from the reference, over all samples."""
    max_abs: float        # max |ours - ref|
    max_rel: float        # max |ours - ref| / |ref| over the elements where ref != 0
    range: float          # the reference output's range (see FLOAT_TOLERANCE)
    beyond: int           # elements with |ours - ref| > FLOAT_TOLERANCE x range (or NaN in one only)
    size: int

    @property
    def tolerance(self) -> float:
        return FLOAT_TOLERANCE * self.range

    @property
    def ok(self) -> bool:
        return self.beyond == 0

    def describe(self) -> str:
        return (f"max abs error {self.max_abs:.3g}, max rel error {self.max_rel:.3g} (tolerance "
                f"{self.tolerance:.3g} = {FLOAT_TOLERANCE:g} x output range {self.range:.4g}); "
                f"{self.beyond} of {self.size} values beyond it")


def float_error(ours: np.ndarray, ref: np.ndarray) -> FloatError:
    """Compare one float output (all samples) with its reference within FLOAT_TOLERANCE of the range."""
    if ours.size != ref.size:
        return FloatError(float("inf"), float("inf"), 0.0, ref.size, ref.size)
    a = ours.reshape(ref.shape).astype(np.float64)
    b = ref.astype(np.float64)
    fin = np.isfinite(b)
    span = float(np.ptp(b[fin])) if fin.any() else 0.0
    if span == 0.0:
        span = float(np.abs(b[fin]).max()) if fin.any() else 0.0
    span = span or 1.0
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    d = np.where(same, 0.0, np.abs(a - b))
    d = np.where(np.isnan(d), np.inf, d)
    nz = b != 0
    rel = float((d[nz] / np.abs(b[nz])).max(initial=0.0)) if nz.any() else 0.0
    beyond = int(np.count_nonzero(d > FLOAT_TOLERANCE * span))
    return FloatError(float(d.max(initial=0.0)), rel, span, beyond, int(b.size))


def output_errors(ours: list[np.ndarray], ref: list[np.ndarray]) -> list[FloatError | None]:
    """Per output: its FloatError when the reference is float, None for integer outputs (compared by bytes)."""
    return [float_error(a, b) if np.issubdtype(b.dtype, np.floating) else None for a, b in zip(ours, ref)]


def count_differences(ours: list[np.ndarray], ref: list[np.ndarray]) -> list[int]:
    """Per output: differing bytes (integer outputs) or values beyond the float tolerance (float outputs)."""
    out = []
    for a, b, e in zip(ours, ref, output_errors(ours, ref)):
        out.append(e.beyond if e is not None else count_mismatches([a], [b])[0])
    return out


def sample_differs(ours: list[np.ndarray], ref: list[np.ndarray], s: int) -> bool:
    """True when sample s differs: any byte of an integer output, or a float value beyond the tolerance
    (of the whole output's range)."""
    for a, b, e in zip(ours, ref, output_errors(ours, ref)):
        if e is None:
            if not np.array_equal(a[s].reshape(b[s].shape).view(np.uint8), b[s].view(np.uint8)):
                return True
        elif float_error(a[s:s + 1], b[s:s + 1]).max_abs > e.tolerance:
            return True
    return False


@dataclass
class Comparison:
    ours: list[np.ndarray]
    ref: list[np.ndarray]
    compiled: Compiled
    inputs: list[np.ndarray]

    def mismatches(self) -> list[int]:
        return count_mismatches(self.ours, self.ref)

    def errors(self) -> list[FloatError | None]:
        """Per output: the float error (float outputs) or None (integer outputs)."""
        return output_errors(self.ours, self.ref)

    @property
    def within_tolerance(self) -> bool:
        """Integer outputs identical, float outputs within FLOAT_TOLERANCE (see there)."""
        return not any(count_differences(self.ours, self.ref))

    @property
    def exact(self) -> bool:
        return all(m == 0 for m in self.mismatches())


def compare_model(model: bytes, count: int = 8, seed: int = 0, sanitize: bool = False,
                  workdir: Path | None = None, name: str = "model", board: str = "host",
                  oracle: str = "tflm", inputs: list[np.ndarray] | None = None) -> Comparison:
    """Compile and run `model` and the reference on the same inputs. oracle: 'tflm' (the TFLM interpreter)
    or 'litert' (LiteRT's reference kernels, for what TFLM does not run: legacy uint8, hybrid)."""
    compiled = compile_bytes(model, name, board=board)
    with tempfile.TemporaryDirectory(prefix="mcugen-cmp-") as tmp:
        d = Path(workdir or tmp) / name
        write_project(compiled.project.files, d, force=True)
        xs = inputs if inputs is not None else sample_inputs(compiled.graph.inputs, count, seed)
        ours = make_runner(compiled, d, sanitize=sanitize)(xs)
    ref = reference_run(oracle, model, xs, len(compiled.graph.outputs))
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


def reference_for(graph) -> str:
    """Which reference checks a compiled graph: 'litert' (LiteRT's reference kernels) when it has a hybrid
    layer or legacy uint8 layers (TFLM refuses both) or a weight-only layer with per-channel scales (TFLM's
    DEQUANTIZE uses one scale for all channels), else 'tflm' (the TFLM interpreter)."""
    from ..ops import handler
    for op in graph.operators:
        h = handler(op.op)
        if op.op.startswith("MCU_UINT8") or op.op.startswith("MCU_INT8_TO_UINT8"):
            return "litert"
        if h is not None and h.signatures and h.scheme(op) == "hybrid":
            return "litert"
        # weight-only with per-channel scales: TFLM's DEQUANTIZE applies the first scale to every channel
        if (h is not None and h.signatures and h.scheme(op) == "w8" and op.inputs[1].quant is not None
                and op.inputs[1].quant.per_channel):
            return "litert"
    return "tflm"


def reference_run(name: str, model: bytes, inputs: list[np.ndarray], n_out: int) -> list[np.ndarray]:
    """Run `model` in the named reference (see reference_for)."""
    if name == "litert":
        from ..oracle import litert
        return litert.run(model, inputs, n_out)
    return tflm.run(model, inputs, n_out)
