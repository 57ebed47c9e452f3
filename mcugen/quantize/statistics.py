"""Activation statistics of the float model: per-tensor running min/max (and a histogram when asked).

The float model runs in LiteRT's reference kernels (`OpResolverType.BUILTIN_REF`, every intermediate tensor
kept with `experimental_preserve_all_tensors`) in a child process: LiteRT must never meet tflite-micro in
one process. Samples stream from memory-mapped .npy files, one invocation at a time; the child keeps only
the running statistics, so memory stays bounded by the model, not by the calibration set: min/max and the
element-wise mean (first pass), and with `bins` a histogram over [min, max], one of |x| over [0, max |x|]
and the count of exact zeros (second pass). All are sums over samples: exact and independent of sample
order. The child prints "done/total" lines on stderr, which become the progress indication.

Models with state (variable tensors: an LSTM's hidden and cell state): with reset_state, LiteRT's variables
are reset before every sample, so each sample is one independent sequence from the zero state (how TFLM runs
a model after reset(), and how a Keras LSTM sees each sequence); without it the state would carry from one
sample to the next and the ranges would depend on the order of the samples.
"""
from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MissingToolError

_PROGRESS = re.compile(r"(\d+)/(\d+)")

_CHILD = r"""
import sys
import numpy as np
try:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
except ImportError:
    sys.exit(17)
model, out_path, wanted, bins, reset, *inputs = sys.argv[1:]
wanted = [int(i) for i in wanted.split(",")] if wanted else []
bins = int(bins)
reset = reset == "1"
ip = Interpreter(model_path=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                 experimental_preserve_all_tensors=True)
ip.allocate_tensors()
xs = [np.load(p, mmap_mode="r") for p in inputs]
details = ip.get_input_details()
n = xs[0].shape[0]
lo = np.full(len(wanted), np.inf)
hi = np.full(len(wanted), -np.inf)
rowmax = np.full(len(wanted), np.inf)  # the least, over samples and positions, of the max along the last axis
sums = [None] * len(wanted)
for s in range(n):
    if reset:
        ip.reset_all_variables()
    for d, x in zip(details, xs):
        ip.set_tensor(d["index"], np.ascontiguousarray(x[s], dtype=np.float32).reshape(d["shape"]))
    ip.invoke()
    for k, i in enumerate(wanted):
        v = ip.get_tensor(i)
        if v.size:
            lo[k] = min(lo[k], float(v.min()))
            hi[k] = max(hi[k], float(v.max()))
            if v.ndim and v.shape[-1]:
                rowmax[k] = min(rowmax[k], float(v.max(-1).min()))
        sums[k] = v.astype(np.float64) if sums[k] is None else sums[k] + v
    if s % 16 == 15 or s == n - 1:
        print(f"{s + 1}/{2 * n if bins else n}", file=sys.stderr, flush=True)
hist = np.zeros((len(wanted), max(bins, 1)), np.int64)
ahist = np.zeros((len(wanted), max(bins, 1)), np.int64)
amax = np.maximum(np.abs(lo), np.abs(hi))
zeros = np.zeros(len(wanted), np.int64)
if bins:  # second pass: histograms over each tensor's [min, max] and of |x| over [0, max |x|]
    for s in range(n):
        if reset:
            ip.reset_all_variables()
        for d, x in zip(details, xs):
            ip.set_tensor(d["index"], np.ascontiguousarray(x[s], dtype=np.float32).reshape(d["shape"]))
        ip.invoke()
        for k, i in enumerate(wanted):
            if hi[k] > lo[k]:
                v = ip.get_tensor(i)
                hist[k] += np.histogram(v, bins=bins, range=(lo[k], hi[k]))[0]
                ahist[k] += np.histogram(np.abs(v), bins=bins, range=(0.0, amax[k]))[0]
                zeros[k] += int(np.count_nonzero(v == 0))
        if s % 16 == 15 or s == n - 1:
            print(f"{n + s + 1}/{2 * n}", file=sys.stderr, flush=True)
np.savez(out_path, index=np.asarray(wanted, dtype=np.int64), min=lo, max=hi, count=np.int64(n), hist=hist,
         ahist=ahist, zeros=zeros, rowmax=rowmax, **{f"mean{k}": m / n for k, m in enumerate(sums) if m is not None})
"""


@dataclass
class TensorStats:
    """What calibration saw of one tensor over all samples."""

    min: float
    max: float
    count: int  # samples
    hist: np.ndarray | None = None  # counts of values in `bins` equal bins over [min, max] (if asked for)
    abs_hist: np.ndarray | None = None  # counts of |values| in `bins` equal bins over [0, max(|min|, |max|)]
    mean: np.ndarray | None = None  # the element-wise mean over the samples (the tensor's shape)
    zeros: int = 0  # values exactly 0 (counted with the histograms)
    row_max_min: float = float("inf")  # min over samples and positions of the max along the last axis


@contextlib.contextmanager
def _staged(model: bytes, arrays: list[np.ndarray], prefix: str):
    """A temporary folder holding model.tflite and x<i>.npy (float32) for a LiteRT child: (folder, .npy paths)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        d = Path(tmp)
        (d / "model.tflite").write_bytes(model)
        paths = []
        for i, x in enumerate(arrays):
            p = d / f"x{i}.npy"
            np.save(p, np.asarray(x, dtype=np.float32))
            paths.append(str(p))
        yield d, paths


def collect(model: bytes, tensor_indices: list[int], arrays: list[np.ndarray], bins: int = 0,
            timeout: float = 3600, progress=None, reset_state: bool = False) -> dict[int, TensorStats]:
    """Run the float `model` on every sample of `arrays` (one (N, ...) array per input) in LiteRT and return
    the statistics of each flatbuffer tensor in `tensor_indices`; with `bins`, also a histogram (a second
    pass over the samples, once the ranges are known). `progress(done, total)` is called as samples pass.
    reset_state: reset the model's variable tensors before every sample (see the module docstring)."""
    with _staged(model, arrays, "mcugen-calib-") as (d, paths):
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(d / "model.tflite"), str(d / "stats.npz"),
                                 ",".join(map(str, tensor_indices)), str(bins), "1" if reset_state else "0",
                                 *paths],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err_lines = []
        for line in proc.stderr:  # the child's progress lines ("done/total") and any error text
            m = _PROGRESS.fullmatch(line.strip())
            if m and progress is not None:
                progress(int(m.group(1)), int(m.group(2)))
            elif not m:
                err_lines.append(line)
        out_text = proc.stdout.read()
        proc.wait(timeout=timeout)
        r = subprocess.CompletedProcess(proc.args, proc.returncode, out_text, "".join(err_lines))
        if r.returncode == 17:
            raise MissingToolError("calibration runs the float model in LiteRT, which is not installed: "
                                   "pip install ai-edge-litert (or mcugen[quantize]).")
        if r.returncode != 0:
            tail = [ln for ln in (r.stderr or r.stdout).strip().splitlines() if "/" not in ln[:8]][-3:]
            raise RuntimeError("LiteRT failed to run the float model: " + " / ".join(tail))
        z = np.load(d / "stats.npz")
        n = int(z["count"])
        return {int(i): TensorStats(float(a), float(b), n, h if bins else None, ah if bins else None,
                                    z[f"mean{k}"] if f"mean{k}" in z.files else None, int(zc), float(rm))
                for k, (i, a, b, h, ah, zc, rm) in enumerate(zip(z["index"], z["min"], z["max"], z["hist"],
                                                                z["ahist"], z["zeros"], z["rowmax"]))}


_VALUES_CHILD = r"""
import sys
import numpy as np
try:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
except ImportError:
    sys.exit(17)
model, out_path, wanted, reset, *inputs = sys.argv[1:]
wanted = [int(i) for i in wanted.split(",")] if wanted else []
ip = Interpreter(model_path=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                 experimental_preserve_all_tensors=True)
ip.allocate_tensors()
xs = [np.load(p, mmap_mode="r") for p in inputs]
details = ip.get_input_details()
vals = {i: [] for i in wanted}
for s in range(xs[0].shape[0]):
    if reset == "1":
        ip.reset_all_variables()
    for d, x in zip(details, xs):
        ip.set_tensor(d["index"], np.ascontiguousarray(x[s], dtype=np.float32).reshape(d["shape"]))
    ip.invoke()
    for i in wanted:
        vals[i].append(ip.get_tensor(i).copy())
np.savez(out_path, **{f"t{i}": np.stack(v) for i, v in vals.items()})
"""


def collect_values(model: bytes, tensor_indices: list[int], arrays: list[np.ndarray],
                   timeout: float = 3600, reset_state: bool = False) -> dict[int, np.ndarray]:
    """The values of the float tensors `tensor_indices` on every sample of `arrays` (one (N, ...) array per
    input; keep N small: the values come back whole, (N, *shape) float32 each), from LiteRT's reference
    kernels in a child process (the layer inputs that int4.py's data-aware weight rounding needs)."""
    with _staged(model, arrays, "mcugen-values-") as (d, paths):
        r = subprocess.run([sys.executable, "-c", _VALUES_CHILD, str(d / "model.tflite"), str(d / "values.npz"),
                            ",".join(map(str, tensor_indices)), "1" if reset_state else "0", *paths],
                           capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode == 17:
            raise MissingToolError("calibration runs the float model in LiteRT, which is not installed: "
                                   "pip install ai-edge-litert (or mcugen[quantize]).")
        if r.returncode != 0:
            tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
            raise RuntimeError("LiteRT failed to run the float model: " + " / ".join(tail))
        z = np.load(d / "values.npz")
        return {int(k[1:]): z[k] for k in z.files}
