"""Run a model in LiteRT (pip `ai-edge-litert`) with its reference kernels, in a child process.

LiteRT is the reference where TFLM has no kernel (hybrid models, legacy uint8 models) or where TFLM is
wrong (docs/tflm-differences.md). `OpResolverType.BUILTIN_REF` selects desktop TFLite's reference kernels;
the default resolver hands models to XNNPACK, whose arithmetic differs. LiteRT and `tflite-micro` clash when
loaded into one process, so LiteRT always runs in a fresh Python process: inputs and outputs travel as an
.npz file.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ToolchainError

_CHILD = r"""
import sys
import numpy as np
try:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
except ImportError:
    sys.exit(17)
model_path, in_path, out_path, resolver = sys.argv[1:5]
kind = getattr(OpResolverType, resolver)
ip = Interpreter(model_path=model_path, experimental_op_resolver_type=kind,
                 experimental_preserve_all_tensors=False)
ip.allocate_tensors()
xs = np.load(in_path)
ins, outs = ip.get_input_details(), ip.get_output_details()
n = xs["x0"].shape[0]
res = {f"y{j}": [] for j in range(len(outs))}
for s in range(n):
    for i, d in enumerate(ins):
        ip.set_tensor(d["index"], np.ascontiguousarray(xs[f"x{i}"][s]))
    ip.invoke()
    for j, d in enumerate(outs):
        res[f"y{j}"].append(ip.get_tensor(d["index"]).copy())
np.savez(out_path, **{k: np.stack(v) for k, v in res.items()})
"""


def run(model: bytes, inputs: list[np.ndarray], n_out: int | None = None, resolver: str = "BUILTIN_REF",
        timeout: float = 600) -> list[np.ndarray]:
    """inputs: arrays of shape (N, *input_shape), in the model's input order; returns its outputs (N, ...)."""
    with tempfile.TemporaryDirectory(prefix="mcugen-litert-") as tmp:
        d = Path(tmp)
        (d / "model.tflite").write_bytes(model)
        np.savez(d / "in.npz", **{f"x{i}": x for i, x in enumerate(inputs)})
        r = subprocess.run([sys.executable, "-c", _CHILD, str(d / "model.tflite"), str(d / "in.npz"),
                            str(d / "out.npz"), resolver], capture_output=True, text=True, timeout=timeout)
        if r.returncode == 17:
            raise ToolchainError("LiteRT is missing: pip install ai-edge-litert (or mcugen[quantize])")
        if r.returncode != 0:
            tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
            raise RuntimeError("LiteRT failed: " + " / ".join(tail))
        out = np.load(d / "out.npz")
        ys = [out[f"y{j}"] for j in range(len(out.files))]
    return ys if n_out is None else ys[:n_out]
