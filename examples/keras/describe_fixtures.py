"""Describe .tflite fixtures: operators, tensor types, size, MACs, and whether TFLM, LiteRT and mcugen run them.

Runs in mcugen's own environment (no TensorFlow), from the repository root:

    python3 examples/keras/describe_fixtures.py tests/fixtures/keras/*_int16.tflite [--markdown]

For each model: the operators in file order, the types of its activation and
constant tensors, the multiply-accumulates of its CONV_2D / DEPTHWISE_CONV_2D /
TRANSPOSE_CONV / FULLY_CONNECTED / BATCH_MATMUL nodes (from the stored
shapes), whether TFLM (pip tflite-micro) prepares and runs it, whether its
outputs on 10 samples (all-minimum, all-maximum, seeded random) equal LiteRT's
reference kernels (OpResolverType.BUILTIN_REF) and its optimized ones (BUILTIN),
run in a subprocess (the two interpreters must not share a process), and what
mcugen's support rules say.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's mcugen, not an installed one

from mcugen.frontend.tflite_reader import read_model  # noqa: E402
from mcugen.oracle import tflm  # noqa: E402
from mcugen.testing.compare import count_mismatches, rule_problems, sample_inputs  # noqa: E402

COUNT = 10

_LITERT = """
import sys, numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
model, inputs, out, kind = sys.argv[1:5]
data = np.load(inputs)
xs = [data[f"x{i}"] for i in range(len(data.files))]
ip = Interpreter(model_path=model, experimental_op_resolver_type=getattr(OpResolverType, kind))
ip.allocate_tensors()
ins, outs = ip.get_input_details(), ip.get_output_details()
res = [[] for _ in outs]
for s in range(xs[0].shape[0]):
    for d, x in zip(ins, xs):
        ip.set_tensor(d["index"], x[s])
    ip.invoke()
    for j, d in enumerate(outs):
        res[j].append(ip.get_tensor(d["index"]).copy())
np.savez(out, *[np.stack(r) for r in res])
"""


def macs(op) -> int:
    """Multiply-accumulates of one node from its stored shapes (0 for operators without a weight operand)."""
    def n(t):
        return int(np.prod(t.shape)) if t is not None else 0
    if op.op == "CONV_2D":
        w = op.inputs[1].shape  # [cout, kh, kw, cin]
        return n(op.outputs[0]) * w[1] * w[2] * w[3]
    if op.op == "DEPTHWISE_CONV_2D":
        w = op.inputs[1].shape  # [1, kh, kw, cout]
        return n(op.outputs[0]) * w[1] * w[2]
    if op.op == "TRANSPOSE_CONV":
        w = op.inputs[1].shape  # [cout, kh, kw, cin]; every input element meets kh*kw*cout weights
        return n(op.inputs[2]) * w[0] * w[1] * w[2]
    if op.op == "FULLY_CONNECTED":
        return n(op.outputs[0]) * op.inputs[1].shape[-1]
    if op.op == "BATCH_MATMUL":
        a = op.inputs[0].shape
        k = a[-2] if op.options.get("adj_x") else a[-1]
        return n(op.outputs[0]) * k
    return 0


_TFLM_WHY = """
import sys
from tflite_micro.python.tflite_micro import runtime
from mcugen.oracle.tflm import ARENA
from mcugen.testing.compare import sample_inputs
from mcugen.frontend.tflite_reader import read_model
import numpy as np
ip = runtime.Interpreter.from_bytes(open(sys.argv[1], "rb").read(), arena_size=ARENA)
for i, x in enumerate(sample_inputs(read_model(sys.argv[1]).inputs, 1)):
    ip.set_input(x[0], i)
ip.invoke()
"""


def tflm_why(path: Path) -> str:
    """TFLM's own message for a model it refuses (it prints it on stderr, which the oracle silences)."""
    r = subprocess.run([sys.executable, "-c", _TFLM_WHY, str(path)], capture_output=True, text=True, cwd=ROOT)
    lines = [ln.strip() for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith(("Traceback", "  "))]
    return "; ".join(lines[:3])[:200]


def litert_run(path: Path, xs: list[np.ndarray], kind: str = "BUILTIN_REF") -> list[np.ndarray]:
    with tempfile.TemporaryDirectory(prefix="mcugen-litert-") as tmp:
        ins, out = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(ins, **{f"x{i}": x for i, x in enumerate(xs)})
        r = subprocess.run([sys.executable, "-c", _LITERT, str(path), str(ins), str(out), kind],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}")
        data = np.load(out)
        return [data[f"arr_{j}"] for j in range(len(data.files))]


def describe(path: Path) -> dict:
    g = read_model(path)
    ops = [op.op for op in g.operators]
    act = Counter(t.dtype for t in g.tensors if not t.is_const)
    const = Counter(t.dtype for t in g.tensors if t.is_const)
    info = {"file": path.name, "bytes": path.stat().st_size, "operators": ops,
            "operator_counts": dict(Counter(ops)), "activation_types": dict(act), "constant_types": dict(const),
            "inputs": [f"{'x'.join(map(str, t.shape))}:{t.dtype}" for t in g.inputs],
            "outputs": [f"{'x'.join(map(str, t.shape))}:{t.dtype}" for t in g.outputs],
            "macs": sum(macs(op) for op in g.operators)}
    xs = sample_inputs(g.inputs, COUNT)
    try:
        ref = tflm.run(path.read_bytes(), xs, len(g.outputs))
        info["tflm"] = "runs"
    except Exception as e:  # noqa: BLE001  (TFLM raises RuntimeError with its own message)
        ref = None
        info["tflm"] = f"fails ({str(e).strip()}): {tflm_why(path)}"
    for kind, key in (("BUILTIN_REF", "litert"), ("BUILTIN", "litert_optimized")):
        try:
            lite = litert_run(path, xs, kind)
            info[key] = "runs"
        except Exception as e:  # noqa: BLE001
            lite = None
            info[key] = f"rejects: {str(e)[:160]}"
        if ref is not None and lite is not None:
            diff = count_mismatches(ref, lite)
            info[f"tflm_vs_{key}"] = "equal" if all(d == 0 for d in diff) else f"differ: bytes per output {diff}"
            if any(d for d in diff):
                info[f"max_abs_diff_{key}"] = [
                    int(np.max(np.abs(a.astype(np.int64) - b.reshape(a.shape).astype(np.int64))))
                    if a.size == b.size else None for a, b in zip(ref, lite)]
    try:
        problems = rule_problems(path.read_bytes())
        info["mcugen"] = "compiles" if not problems else "unsupported: " + " | ".join(problems)
    except Exception as e:  # noqa: BLE001
        info["mcugen"] = f"error: {type(e).__name__}: {e}"
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = [describe(p) for p in args.models]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        print(f"{r['file']}: {r['bytes']} bytes, {r['macs']:,} MACs, in {r['inputs']} out {r['outputs']}")
        print(f"  operators: {', '.join(r['operators'])}")
        print(f"  activations {r['activation_types']}, constants {r['constant_types']}")
        print(f"  TFLM {r['tflm']}")
        for key, what in (("litert", "LiteRT BUILTIN_REF"), ("litert_optimized", "LiteRT BUILTIN")):
            d = r.get(f"max_abs_diff_{key}")
            print(f"  {what} {r[key]}; TFLM vs it: {r.get(f'tflm_vs_{key}', '-')}" + (f" (max |diff| {d})" if d else ""))
        print(f"  mcugen: {r['mcugen']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
