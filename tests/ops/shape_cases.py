"""Helpers shared by the data-movement operator tests: tensors of any type, constants, exact runs."""
import tempfile
from pathlib import Path

import numpy as np

from mcugen.backend.host import build_runner, run_runner
from mcugen.codegen import write_project
from mcugen.compiler import compile_bytes
from mcugen.oracle import tflm
from mcugen.testing.builder import TensorSpec
from mcugen.testing.random_quant import rand_act_quant

QUANTIZED = ("int8", "int16", "uint8")


def tensor(shape, dtype, rng=None, q=None):
    """An activation of `dtype`; int8/int16 get (random) quantization, the others none."""
    if dtype in QUANTIZED:
        s, zp = q or (rand_act_quant(rng) if rng is not None else (0.05, 3))
        if dtype == "int16":
            zp = 0
        return TensorSpec(tuple(shape), dtype, s, zp)
    return TensorSpec(tuple(shape), dtype)


def const(values, dtype="int32"):
    a = np.asarray(values)
    return TensorSpec(a.shape, dtype, data=a)


def rand_shape(rng, rank, lo=1, hi=6):
    return tuple(int(d) for d in rng.integers(lo, hi + 1, size=rank))


def run_exact(model: bytes, xs: list, sanitize: bool = False) -> list:
    """Run `model` on the given inputs xs (each (N, *shape)) here and in TFLM; demand identical bytes."""
    c = compile_bytes(model, "model")
    with tempfile.TemporaryDirectory(prefix="mcugen-sh-") as tmp:
        d = Path(tmp) / "model"
        write_project(c.project.files, d, force=True)
        exe = build_runner(d, "model", sanitize=sanitize)
        ours = run_runner(exe, xs, [(y.shape, y.dtype) for y in c.graph.outputs])
    ref = tflm.run(model, xs, len(c.graph.outputs))
    for i, (a, b) in enumerate(zip(ours, ref)):
        bad = np.flatnonzero(a.reshape(b.shape).view(np.uint8) != b.view(np.uint8))
        assert bad.size == 0, f"output {i}: {bad.size} bytes differ, first at byte {bad[0]}"
    return ref


_LITERT = r"""
import sys, numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
d = sys.argv[1]
xs = np.load(d + '/in.npy', allow_pickle=True)
ip = Interpreter(model_path=d + '/m.tflite', experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
ip.allocate_tensors()
outs = []
for s in range(xs[0].shape[0]):
    for det, x in zip(ip.get_input_details(), xs):
        ip.set_tensor(det['index'], np.ascontiguousarray(x[s]))
    ip.invoke()
    outs.append([ip.get_tensor(o['index']).copy() for o in ip.get_output_details()])
np.save(d + '/out.npy', np.array([np.stack([o[j] for o in outs]) for j in range(len(outs[0]))], dtype=object),
        allow_pickle=True)
"""


def litert_ref(model: bytes, xs: list) -> list:
    """Outputs of LiteRT's reference kernels (BUILTIN_REF), run in a subprocess (it clashes with TFLM)."""
    import subprocess
    import sys
    with tempfile.TemporaryDirectory(prefix="mcugen-litert-") as tmp:
        Path(tmp, "m.tflite").write_bytes(model)
        arr = np.empty(len(xs), dtype=object)
        arr[:] = xs
        np.save(Path(tmp, "in.npy"), arr, allow_pickle=True)
        subprocess.run([sys.executable, "-c", _LITERT, tmp], check=True, capture_output=True)
        return list(np.load(Path(tmp, "out.npy"), allow_pickle=True))


def run_ours(model: bytes, xs: list, sanitize: bool = False) -> list:
    c = compile_bytes(model, "model")
    with tempfile.TemporaryDirectory(prefix="mcugen-sh-") as tmp:
        d = Path(tmp) / "model"
        write_project(c.project.files, d, force=True)
        exe = build_runner(d, "model", sanitize=sanitize)
        return run_runner(exe, xs, [(y.shape, y.dtype) for y in c.graph.outputs])


def seeds(n: int, long: int = 40) -> range:
    """n seeds for the suite; `long` of them with MCUGEN_LONG=1 (a longer sweep)."""
    import os
    return range(long if os.environ.get("MCUGEN_LONG") == "1" else n)
