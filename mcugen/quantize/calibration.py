"""Load and check calibration data: N samples per model input, float, finite, not constant.

Files: one .npy per input (in input order) with a leading sample axis, or one .npz keyed by input name.
Arrays: (N, *input_shape), or (N, *input_shape[1:]) when the input's batch dimension is 1. Every problem
is a UsageError (exit 2) that gives the numbers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import UsageError
from ..ir import Tensor

MIN_SAMPLES = 2


def load_files(paths: list[str | Path], inputs: list[Tensor]) -> list[np.ndarray]:
    """The calibration arrays of `inputs` from .npy files (one per input) or one .npz (keyed by name)."""
    if not paths:
        raise UsageError("no calibration data: give --calibration FILE.npy per model input, or one .npz.")
    if len(paths) == 1 and str(paths[0]).endswith(".npz"):
        p = Path(paths[0])
        try:
            with np.load(p, allow_pickle=False) as z:
                found = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError) as e:
            raise UsageError(f"{p}: cannot read as .npz ({e}).") from None
        names = [t.name for t in inputs]
        missing = [n for n in names if n not in found]
        extra = sorted(set(found) - set(names))
        if len(inputs) == 1 and len(found) == 1 and missing:
            return check([next(iter(found.values()))], inputs, [str(p)])
        if missing or extra:
            raise UsageError(f"{p}: keys {sorted(found)}; the model's inputs are named {names}"
                             + (f" (missing: {missing})" if missing else "")
                             + (f" (not inputs: {extra})" if extra else "") + ".")
        return check([found[n] for n in names], inputs, [f"{p}[{n}]" for n in names])
    if len(paths) != len(inputs):
        raise UsageError(f"{len(paths)} calibration file(s) given, the model has {len(inputs)} input(s) "
                         f"({', '.join(t.name for t in inputs)}): give one .npy per input, in input order.")
    arrays = []
    for p in paths:
        p = Path(p)
        try:
            if p.stat().st_size == 0:
                raise UsageError(f"{p} is empty (0 bytes): expected a .npy array of calibration samples.")
            arrays.append(np.load(p, allow_pickle=False, mmap_mode="r"))
        except FileNotFoundError:
            raise UsageError(f"{p}: no such file.") from None
        except (OSError, ValueError, EOFError) as e:
            raise UsageError(f"{p}: cannot read as .npy ({e}).") from None
    return check(arrays, inputs, [str(p) for p in paths])


def from_samples(samples: Iterable, inputs: list[Tensor]) -> list[np.ndarray]:
    """Stack an iterable of samples: each an array (single-input model), a sequence of arrays in input
    order, or a dict keyed by input name. A single array with a leading sample axis is iterated too."""
    per_input: list[list[np.ndarray]] = [[] for _ in inputs]
    names = [t.name for t in inputs]
    for k, s in enumerate(samples):
        if isinstance(s, dict):
            if sorted(s) != sorted(names):
                raise UsageError(f"sample {k}: keys {sorted(s)}, the model's inputs are {names}.")
            s = [s[n] for n in names]
        elif not isinstance(s, (list, tuple)):
            s = [s]
        if len(s) != len(inputs):
            raise UsageError(f"sample {k} holds {len(s)} array(s), the model has {len(inputs)} input(s).")
        for i, x in enumerate(s):
            per_input[i].append(np.asarray(x))
    if not per_input or not per_input[0]:
        raise UsageError(f"no calibration samples given (at least {MIN_SAMPLES} are needed).")
    arrays = []
    for i, (xs, t) in enumerate(zip(per_input, inputs)):
        shapes = {x.shape for x in xs}
        if len(shapes) > 1:
            raise UsageError(f"input '{t.name}': samples have different shapes {sorted(shapes)}.")
        arrays.append(np.stack(xs))
    return check(arrays, inputs, [f"samples of input '{t.name}'" for t in inputs])


def check(arrays: list[np.ndarray], inputs: list[Tensor], where: list[str]) -> list[np.ndarray]:
    """Arrays (N, *input_shape) of float32, checked; the batch-1 axis is added where it was left out."""
    out = []
    counts = set()
    for x, t, w in zip(arrays, inputs, where):
        shape = tuple(t.shape)
        if not np.issubdtype(x.dtype, np.floating):
            raise UsageError(f"{w}: dtype {x.dtype}; calibration samples are float (float32) values in the "
                             f"model's float input space, for input '{t.name}' {shape}.")
        if x.ndim == len(shape) + 1 and tuple(x.shape[1:]) == shape:
            pass
        elif shape and shape[0] == 1 and x.ndim == len(shape) and tuple(x.shape[1:]) == shape[1:]:
            x = x.reshape((x.shape[0], *shape))
        else:
            raise UsageError(f"{w}: shape {tuple(x.shape)}; input '{t.name}' needs (N, {', '.join(map(str, shape))})"
                             " with the samples along the first axis.")
        n = x.shape[0]
        if n < MIN_SAMPLES:
            raise UsageError(f"{w}: {n} sample(s); calibration needs at least {MIN_SAMPLES} (a few hundred "
                             "representative ones give the best ranges).")
        bad, lo, hi = 0, np.inf, -np.inf
        for s in range(0, n, 256):  # in chunks: a memory-mapped file is not read whole
            chunk = np.asarray(x[s:s + 256], dtype=np.float32)
            finite = np.isfinite(chunk)
            bad += int(chunk.size - np.count_nonzero(finite))
            if finite.any():
                lo, hi = min(lo, float(chunk[finite].min())), max(hi, float(chunk[finite].max()))
        if bad:
            raise UsageError(f"{w}: {bad} of {x.size} values are NaN or infinite; calibration data must be finite.")
        if lo == hi:
            raise UsageError(f"{w}: every value of the {n} samples is {lo:g}; a constant input gives no range "
                             "to calibrate (use real inputs).")
        counts.add(n)
        out.append(x if x.dtype == np.float32 else np.asarray(x, dtype=np.float32))
    if len(counts) > 1:
        raise UsageError(f"the inputs hold different sample counts: {sorted(counts)}.")
    return out


def load_labels(labels, n: int, what: str) -> np.ndarray:
    """Integer class labels (n,) from an .npy path or an array: class indices (n,) / (n, 1), or one-hot /
    scores (n, classes), whose argmax is taken. A UsageError (exit 2) with the numbers otherwise."""
    where = str(labels) if isinstance(labels, (str, Path)) else "the labels"
    if isinstance(labels, (str, Path)):
        p = Path(labels)
        try:
            if p.stat().st_size == 0:
                raise UsageError(f"{p} is empty (0 bytes): expected a .npy array of class labels.")
            labels = np.load(p, allow_pickle=False)
        except FileNotFoundError:
            raise UsageError(f"{p}: no such file.") from None
        except (OSError, ValueError, EOFError) as e:
            raise UsageError(f"{p}: cannot read as .npy ({e}).") from None
    y = np.asarray(labels)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 2:
        y = y.argmax(1)
    if y.ndim != 1 or y.shape[0] != n:
        raise UsageError(f"{where}: shape {tuple(np.shape(labels))}; the {n} {what} samples need {n} labels "
                         "((N,) class indices or (N, classes) one-hot).")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise UsageError(f"{where}: labels must be whole class indices (dtype {y.dtype}).")
        y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise UsageError(f"{where}: a negative class index ({int(y.min())}).")
    return y.astype(np.int64)


def progress_bar(stage: str, stream=None, width: int = 30):
    """A progress callback f(done, total): a bar redrawn in place when `stream` (stderr) is a terminal;
    otherwise one line per stage, when it completes (logs stay readable)."""
    import sys
    stream = stream or sys.stderr
    tty = hasattr(stream, "isatty") and stream.isatty()

    def f(done: int, total: int):
        if tty:
            k = int(width * done / max(total, 1))
            end = "\n" if done >= total else ""
            print(f"\r{stage} [{'#' * k}{'.' * (width - k)}] {done}/{total}", end=end, file=stream, flush=True)
        elif done >= total:
            print(f"{stage}: {done}/{total}", file=stream, flush=True)
    return f
