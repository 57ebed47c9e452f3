"""The Python API behind the CLI: build, run, verify, inspect."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .backend import Runner, make_runner
from .boards import load_board
from .cache import build_key, cache_root
from .codegen import write_project
from .compiler import SHARED_RUNTIME, Compiled, SharedBuild, build as _build, build_shared as _build_shared
from .compiler import DEFAULT_OPTIMIZE, compile_model, for_harness, model_name, with_memory, with_optimize
from .errors import UsageError
from .inspect_model import inspect  # noqa: F401  (re-exported)
from .ir import Tensor


def build(model, out, board: str = "host", name: str | None = None, force: bool = False,
          ignore_budget: bool = False, optimize: str = DEFAULT_OPTIMIZE, extra_files: dict | None = None,
          memory: str = "default", max_recompute: float | None = None) -> Compiled:
    """Compile `model` into a C project for `board` in `out` (optimize: "speed", "size" or "balanced",
    see mcugen.compiler.OPTIMIZE). extra_files: more files (name -> bytes) written with the project, under
    the same no-overwrite rule (`build --calibration`: the quantized model and its report)."""
    return _build(model, out, name=name, force=force, board=with_memory(load_board(board), memory, max_recompute),
                  ignore_budget=ignore_budget,
                  optimize=optimize, extra_files=extra_files)


def build_shared(models, out, board: str = "host", runtime: str = SHARED_RUNTIME, force: bool = False,
                 ignore_budget: bool = False, optimize: str = DEFAULT_OPTIMIZE) -> SharedBuild:
    """Compile several models into one C project in `out` with one copy of the kernels they use (prefix
    `runtime`); each model keeps its own API prefix (its file name)."""
    return _build_shared(list(models), out, runtime=runtime, force=force, board=load_board(board),
                         ignore_budget=ignore_budget, optimize=optimize)


def prepared_runner(model, board: str = "host", name: str | None = None, sanitize: bool = False,
                    timeout: float = 600, optimize: str = DEFAULT_OPTIMIZE, memory: str = "default",
                    max_recompute: float | None = None) -> tuple[Compiled, Runner]:
    """Compile (or reuse the cached build of) `model` for `board` and build what runs it (memory,
    max_recompute: --memory and --max-recompute, see mcugen.compiler.with_memory)."""
    b = for_harness(with_memory(with_optimize(load_board(board), optimize), memory, max_recompute))
    compiled = compile_model(model, name, b)
    key = build_key(compiled.model_bytes, f"{b.name}:{b.raw}", compiled.project.name)
    d = cache_root() / key
    write_project(compiled.project.files, d, force=True)
    return compiled, make_runner(compiled, d, sanitize=sanitize, timeout=timeout)


def _batch(x: np.ndarray, t: Tensor, where: str) -> tuple[np.ndarray, bool]:
    """Accept the input's exact shape (one sample) or that shape with a leading sample axis."""
    if x.dtype != np.dtype(t.dtype):
        raise UsageError(f"{where}: dtype {x.dtype}, the model's input '{t.name}' needs {t.dtype}.")
    if tuple(x.shape) == tuple(t.shape):
        return x[None], False
    if x.ndim == len(t.shape) + 1 and tuple(x.shape[1:]) == tuple(t.shape):
        return x, True
    raise UsageError(f"{where}: shape {tuple(x.shape)}, the model's input '{t.name}' needs {tuple(t.shape)} "
                     f"or (N, {', '.join(map(str, t.shape))}).")


#: samples per runner call when a progress bar is shown (one process or QEMU run each)
PROGRESS_CHUNK = {"host": 256, "board": 16}


def run_samples(compiled: Compiled, runner: Runner, xs: list[np.ndarray], progress: bool = False,
                label: str = "running") -> list[np.ndarray]:
    """runner(xs), with a progress bar on stderr when `progress` (the samples then run in chunks, each a
    fresh program; a model with recurrent state runs in one piece, since its state must carry over)."""
    n = xs[0].shape[0] if xs else 0
    chunk = PROGRESS_CHUNK["host" if compiled.board.is_host else "board"]
    stateful = any(t.is_variable for t in compiled.graph.tensors)
    if not progress or n <= chunk or stateful:
        return runner(xs)
    import click
    parts = []
    with click.progressbar(length=n, label=f"{label} {n} samples on {compiled.board.name}", file=sys.stderr) as bar:
        for s in range(0, n, chunk):
            parts.append(runner([x[s:s + chunk] for x in xs]))
            bar.update(min(chunk, n - s))
    return [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]


def run_arrays(compiled: Compiled, runner: Runner, arrays: list[np.ndarray], names: list[str] | None = None,
               progress: bool = False):
    graph = compiled.graph
    names = names or [f"input {i}" for i in range(len(arrays))]
    if len(arrays) != len(graph.inputs):
        raise UsageError(f"the model has {len(graph.inputs)} input(s), {len(arrays)} given.")
    batched = [_batch(x, t, n) for x, t, n in zip(arrays, graph.inputs, names)]
    counts = {b.shape[0] for b, _ in batched}
    if len(counts) > 1:
        raise UsageError(f"inputs hold different sample counts: {sorted(counts)}.")
    outs = run_samples(compiled, runner, [b for b, _ in batched], progress)
    if batched and not any(leading for _, leading in batched):
        outs = [o[0] for o in outs]
    return outs


def _load_inputs(inputs: list) -> tuple[list[np.ndarray], list[str]]:
    """.npy paths (or arrays) -> arrays and the names error messages use."""
    arrays, names = [], []
    for x in inputs:
        if isinstance(x, (str, Path)):
            try:
                arrays.append(np.load(x, allow_pickle=False))
            except (OSError, ValueError) as e:
                raise UsageError(f"{x}: cannot read as .npy ({e}).") from None
            names.append(str(x))
        else:
            arrays.append(np.asarray(x))
            names.append(f"input {len(names)}")
    return arrays, names


def _recorded(compiled: Compiled, inputs: list) -> list[np.ndarray]:
    """The user's samples, one array per model input with a leading sample axis (or one sample of the
    input's exact shape), checked against the model: count, dtype, shape, equal sample counts."""
    arrays, names = _load_inputs(inputs)
    graph = compiled.graph
    if len(arrays) != len(graph.inputs):
        raise UsageError(f"the model has {len(graph.inputs)} input(s), {len(arrays)} --input given (one .npy per "
                         "input, in the model's input order).")
    batched = [_batch(x, t, n)[0] for x, t, n in zip(arrays, graph.inputs, names)]
    counts = {b.shape[0] for b in batched}
    if len(counts) > 1:
        raise UsageError(f"inputs hold different sample counts: {sorted(counts)}.")
    if counts == {0}:
        raise UsageError(f"{names[0]}: no samples (its leading axis is 0).")
    return [np.ascontiguousarray(b) for b in batched]


def run(model, inputs: list, outputs: list | None = None, board: str = "host", name: str | None = None,
        timeout: float = 600, optimize: str = DEFAULT_OPTIMIZE, progress: bool = False, memory: str = "default",
        max_recompute: float | None = None):
    """Run the generated code on .npy inputs (paths or arrays); write .npy outputs if paths are given.
    progress: a progress bar on stderr (`mcugen run` shows it on a terminal)."""
    arrays, names = _load_inputs(inputs)
    compiled, runner = prepared_runner(model, board, name, timeout=timeout, optimize=optimize, memory=memory,
                                       max_recompute=max_recompute)
    if outputs is not None and len(outputs) != len(compiled.graph.outputs):
        raise UsageError(f"the model has {len(compiled.graph.outputs)} output(s), {len(outputs)} --output given.")
    results = run_arrays(compiled, runner, arrays, names, progress=progress)
    for path, y in zip(outputs or [], results):
        np.save(path, y)
    return results


@dataclass
class VerifyResult:
    count: int
    mismatches: list[int]            # per output: differing bytes over all samples
    sizes: list[int]                 # per output: bytes over all samples
    first_bad_layer: dict | None = None
    #: per output: the float error (mcugen.testing.compare.FloatError) of a float output, None for integer
    #: outputs; a float output's `mismatches` entry counts its values beyond the tolerance
    errors: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recorded: int = 0                # how many of the `count` samples came from the user's --input files
    reference: str = "TFLM"          # what the outputs were compared with: "TFLM" or "LiteRT"

    @property
    def ok(self) -> bool:
        return not any(self.mismatches)


def verify(model, board: str = "host", count: int | None = None, seed: int = 0, name: str | None = None,
           sanitize: bool = False, timeout: float = 600, inputs: list | None = None,
           optimize: str = DEFAULT_OPTIMIZE, progress: bool = False, memory: str = "default",
           max_recompute: float | None = None) -> VerifyResult:
    """Compare the generated code with the TFLM interpreter (LiteRT's reference kernels for hybrid and legacy
    uint8 models, which TFLM refuses): integer outputs byte for byte, float outputs within
    mcugen.testing.compare.FLOAT_TOLERANCE of the reference's output range.

    inputs: the user's recorded samples, one .npy path (or array) per model input with a leading sample axis;
    count: random inputs (the first two all min, all max) run after them; default 20 without `inputs`,
    none with them. progress: a progress bar on stderr (`mcugen verify` shows it on a terminal)."""
    from .testing.compare import sample_inputs
    compiled, runner = prepared_runner(model, board, name, sanitize=sanitize, timeout=timeout, optimize=optimize,
                                       memory=memory, max_recompute=max_recompute)
    xs = _recorded(compiled, inputs) if inputs else []
    recorded = xs[0].shape[0] if xs else 0
    count = (0 if inputs else 20) if count is None else count
    if count > 0:
        rnd = sample_inputs(compiled.graph.inputs, count, seed)
        xs = [np.concatenate([a, b]) for a, b in zip(xs, rnd)] if xs else rnd
    if not xs:
        raise UsageError("nothing to verify: give --input files or a --count above 0.")
    total = xs[0].shape[0]
    ours = run_samples(compiled, runner, xs, progress, label="verifying")
    from .testing.compare import reference_for, reference_run
    oracle = reference_for(compiled.graph)
    ref = reference_run(oracle, compiled.model_bytes, xs, len(compiled.graph.outputs))
    from .testing.compare import count_differences, output_errors, sample_differs
    mism = count_differences(ours, ref)
    result = VerifyResult(total, mism, [int(b.nbytes) for b in ref], errors=output_errors(ours, ref),
                          recorded=recorded, reference="LiteRT" if oracle == "litert" else "TFLM")
    if not result.ok:
        from .diagnose import first_differing_layer
        bad = next(s for s in range(total) if sample_differs(ours, ref, s))
        result.first_bad_layer = first_differing_layer(model, [x[bad:bad + 1] for x in xs], name=name,
                                                       board=compiled.board, timeout=timeout)
        result.first_bad_layer["sample"] = bad
        result.first_bad_layer["recorded"] = bad < recorded
    return result


def bench(model, board: str = "cortex-m4", name: str | None = None, timeout: float = 600,
          optimize: str = DEFAULT_OPTIMIZE, memory: str = "default", max_recompute: float | None = None,
          mix: bool = False) -> dict:
    """Instructions per inference (exact, counted in QEMU), per layer, and the firmware's flash and RAM
    (mix: and the instruction mix per layer: loads, stores, multiply-accumulates, vector, branches, other).

    Returns the dict `mcugen bench --json` prints; see mcugen/bench.py for the method."""
    from .bench import bench as _bench
    r = _bench(model, board=with_memory(with_optimize(load_board(board), optimize), memory, max_recompute), name=name,
               timeout=timeout, mix=mix)
    r["optimize"] = optimize
    if memory != "default":
        r["memory"] = memory
    return r


def quantize(model, samples=None, *, calibration_files=None, method: str = "minmax", percentile: float = 99.99,
             activations: str = "int8", per_tensor: bool = False, io: str = "int8", bias_correction=None,
             eval_samples=None, eval_files=None, report=None, output=None, progress: bool = False, labels=None,
             keep_float=None, weights: str = "int8", max_flash=None, max_ram=None, min_sqnr=None, board=None):
    """Quantize a float32 model (path or bytes) to int8 or 16x8 from calibration samples (any iterable of
    arrays, or `calibration_files`: .npy per input / one .npz). Returns a QuantizeResult (`.model` holds the
    bytes, `.report` the quantization report); writes `output` (and the report beside it) if given.
    weights 'int4' / 'mixed' with the limits max_flash, max_ram, min_sqnr, board: int4 weights (per layer
    for 'mixed'). See mcugen/quantize/__init__.py."""
    from .quantize import quantize as _quantize
    return _quantize(model, samples, calibration_files=calibration_files, method=method, percentile=percentile,
                     activations=activations, per_tensor=per_tensor, io=io, bias_correction=bias_correction,
                     eval_samples=eval_samples, eval_files=eval_files, report=report, output=output,
                     progress=progress, labels=labels, keep_float=keep_float, weights=weights,
                     max_flash=max_flash, max_ram=max_ram, min_sqnr=min_sqnr, board=board)


__all__ = ["build", "run", "verify", "inspect", "bench", "quantize", "quantize_weights", "model_name", "VerifyResult"]


def quantize_weights(model, mode: str = "dynamic", *, per_tensor: bool = False, min_weights: int | None = None,
                     asymmetric_inputs: bool = True, output=None):
    """Quantize the weights of a float32 model (path or bytes) without calibration data: mode 'dynamic'
    (int8 weights, hybrid layers, as the converter's dynamic-range mode) or 'weight-only' (int8 weights
    behind DEQUANTIZE, float layers). Returns a QuantizeResult; writes `output` if given. See
    mcugen/quantize/dynamic.py (`mcugen quantize --mode dynamic|weight-only`)."""
    from .quantize.dynamic import quantize_dynamic
    return quantize_dynamic(model, mode, per_tensor=per_tensor, min_weights=min_weights,
                            asymmetric_inputs=asymmetric_inputs, output=output)
