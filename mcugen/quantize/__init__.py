"""`mcugen quantize`: static post-training int8 quantization of a float .tflite, without TensorFlow.

The pipeline, one module per stage (as in the compiler):
  read float model (frontend) -> calibration.py (load and check the samples) -> statistics.py (run the float
  model in LiteRT in a child process; per-tensor min/max) -> ranges.py (a calibrator turns statistics into a
  range) -> rewrite.py (activation quantization, weights and biases, the per-operator rules of rules.py,
  float edges) -> frontend.tflite_writer (the flatbuffer) -> validate.py (reads back, passes support rules).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError, UsageError
from ..frontend import read_model, read_model_bytes
from ..frontend.tflite_writer import write_model
from ..ir import Graph
from . import calibration, ranges as _ranges, rewrite as _rewrite, statistics
from .validate import validate

IO_MODES = ("int8", "float")


@dataclass
class QuantizeResult:
    model: bytes  # the int8 .tflite
    graph: Graph  # the int8 graph, as read back
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # tensor name -> range chosen
    samples: int = 0


def load_float_model(model) -> tuple[Graph, bytes, str]:
    """(graph, bytes, where) of a float model given as a path or bytes; refuses models with no float tensors."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        data, where = bytes(model), "<bytes>"
        g = read_model_bytes(data, where)
    else:
        where = str(model)
        g = read_model(model)
        data = Path(model).read_bytes()
    acts = [t for t in g.tensors if t.dtype == "float32" and not t.is_const]
    if not acts:
        quantized = [t for t in g.tensors if t.quant is not None and t.dtype in ("int8", "int16", "uint8")]
        if quantized:
            raise UnsupportedModelError(
                f"{where} is already quantized ({len(quantized)} of its {len(g.tensors)} tensors are "
                f"{'/'.join(sorted({t.dtype for t in quantized}))} with quantization, no activation is float32). "
                "mcugen quantize takes a float32 model; build this one directly with `mcugen build`.")
        raise UnsupportedModelError(f"{where} has no float32 activation tensors (types: "
                                    f"{', '.join(sorted({t.dtype for t in g.tensors}))}): nothing to quantize.")
    bad_in = [t for t in g.inputs if t.dtype != "float32"]
    if bad_in:
        raise UnsupportedModelError(f"{where}: input '{bad_in[0].name}' is {bad_in[0].dtype}; the quantizer "
                                    "needs every model input to be float32.")
    return g, data, where


def quantize(model, samples=None, *, calibration_files=None, method: str = "minmax", per_tensor: bool = False,
             io: str = "int8", output: str | Path | None = None) -> QuantizeResult:
    """Quantize a float model to int8.

    model: path or bytes of a float32 .tflite. samples: an iterable of samples (each an array for a
    single-input model, a sequence of arrays in input order, or a dict keyed by input name; one (N, ...)
    array also works for a single-input model); or calibration_files: .npy per input / one .npz.
    method: activation range calibrator (ranges.METHODS). per_tensor: one weight scale per tensor instead
    of per channel. io: 'int8' (integer model inputs/outputs) or 'float' (QUANTIZE/DEQUANTIZE at the edges).
    """
    if method not in _ranges.METHODS:
        raise UsageError(f"unknown --method {method!r}; available: {', '.join(_ranges.METHODS)}.")
    if io not in IO_MODES:
        raise UsageError(f"unknown --io {io!r}; available: {', '.join(IO_MODES)}.")
    g, data, where = load_float_model(model)
    _rewrite.refuse(g, where)  # before the (slow) calibration
    if calibration_files is not None:
        arrays = calibration.load_files(list(calibration_files), g.inputs)
    elif samples is not None:
        arrays = calibration.from_samples(samples, g.inputs)
    else:
        raise UsageError("no calibration data given.")
    wanted = [t.index for t in g.tensors if t.dtype == "float32" and not t.is_const]
    stats = statistics.collect(data, wanted, arrays, bins=_ranges.HISTOGRAM_BINS[method])
    calibrate = _ranges.METHODS[method]
    by_index = {t.index: t for t in g.tensors}
    chosen = {id(by_index[i]): calibrate(s) for i, s in stats.items() if np.isfinite(s.min)}
    qg = _rewrite.rewrite(g, chosen, per_channel=not per_tensor, io=io)
    qg.description = (f"mcugen quantize: int8, {method} ranges on {arrays[0].shape[0]} samples, "
                      f"{'per-tensor' if per_tensor else 'per-channel'} weights, {io} I/O")
    out = write_model(qg)
    back = validate(out)
    if output is not None:
        Path(output).write_bytes(out)
    return QuantizeResult(out, back, {by_index[i].name: calibrate(s) for i, s in stats.items()
                                      if np.isfinite(s.min)}, int(arrays[0].shape[0]))


__all__ = ["quantize", "QuantizeResult", "IO_MODES"]


class _CallableModule(type(sys.modules[__name__])):
    """`mcugen.quantize` is both this package and the API function: importing the package binds the name
    `quantize` in `mcugen` to it, so the package itself is made callable as `quantize(...)`."""

    def __call__(self, *args, **kwargs):
        return quantize(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
