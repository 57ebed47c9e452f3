"""SOFTMAX (int8 in; int8 or int16 out) against TFLM over random shapes, quantization and beta.

Several independent SOFTMAX operators share one model so one compilation
checks many quantizations. Rows of int8 outputs are kept below 512 elements:
TFLM aborts the process when such a row's sum of exps reaches 512 (the
all-minimum and all-maximum samples the comparison always includes would
trigger it).
"""
import tempfile
from pathlib import Path

import numpy as np
import pytest

from mcugen.backend.host import build_runner, run_runner
from mcugen.codegen import write_project
from mcugen.compiler import compile_bytes
from mcugen.ir import Operator, Quant, Tensor
from mcugen.ops.softmax import Softmax
from mcugen.oracle import tflm
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.random_quant import rand_act_quant

OUT_Q = {"int8": (1.0 / 256, -128), "int16": (1.0 / 65536, -32768)}


def parallel_softmax(cases):
    """One model, one SOFTMAX per case = (shape, (in_scale, in_zp), beta, out_dtype)."""
    tensors, ops, ins, outs = [], [], [], []
    for shape, (si, zi), beta, odt in cases:
        ins.append(len(tensors))
        tensors.append(TensorSpec(shape, "int8", si, zi))
        outs.append(len(tensors))
        tensors.append(TensorSpec(shape, odt, *OUT_Q[odt]))
        ops.append(OpSpec("SOFTMAX", [ins[-1]], [outs[-1]], {"beta": beta}))
    return build_model(tensors, ops, ins, outs)


def rand_shape(rng):
    rank = int(rng.integers(1, 5))
    depth = int(rng.choice([1, 2, 3, 10, 12, int(rng.integers(4, 64)), int(rng.integers(64, 511))]))
    outer = [int(rng.integers(1, 4)) for _ in range(rank - 1)]
    return tuple(outer + [depth])


@pytest.mark.parametrize("seed", range(8))
def test_softmax_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(6):
        si, zi = rand_act_quant(rng)
        shape = rand_shape(rng)
        if k == 0:  # short rows, small scale: spread-out probabilities, little saturation
            si = float(np.exp(rng.uniform(np.log(0.005), np.log(0.05))))
            shape = (int(rng.integers(1, 4)), int(rng.integers(2, 24)))
        beta = [1.0, 1.0, float(rng.uniform(0.05, 3.0)), float(rng.choice([0.5, 2.0, 8.0]))][k % 4]
        odt = "int16" if (seed + k) % 5 == 4 else "int8"
        cases.append((shape, (si, zi), beta, odt))
    bit_exact(parallel_softmax(cases), count=8, seed=seed)


def test_softmax_edges(bit_exact):
    cases = [
        ((1, 12), (0.14469251036643982, 14), 1.0, "int8"),  # kws' final softmax
        ((2, 1), (0.1, 0), 1.0, "int8"),                     # one element per row: always 127
        ((511,), (0.002, -128), 1.0, "int8"),                 # longest row TFLM accepts for uniform input
        ((3, 5), (0.4, 0), 40.0, "int8"),                     # beta * scale * 2^26 capped at 2^31 - 1
        ((4, 7), (1e-6, 3), 1.0, "int8"),                     # tiny multiplier: every exp close to 1
        ((2, 300), (0.01, 5), 1.0, "int16"),
        ((1, 2000), (0.2, 0), 1.0, "int16"),                 # int16 output has room for 2000 equal exps
        ((2, 2, 2, 9), (0.05, -3), 0.3, "int16"),
    ]
    bit_exact(parallel_softmax(cases), count=12, seed=1)


def test_softmax_sanitized(bit_exact):
    rng = np.random.default_rng(99)
    cases = [(rand_shape(rng), rand_act_quant(rng), 1.0, odt) for odt in ("int8", "int16", "int8")]
    bit_exact(parallel_softmax(cases), count=6, seed=3, sanitize=True)


def test_softmax_sum_of_512_exps():
    """Where TFLM aborts (int8 output, a row's sum of exps >= 512) the kernel writes the output minimum."""
    model = parallel_softmax([((2, 600), (0.2, 0), 1.0, "int8")])
    compiled = compile_bytes(model, "model")
    xs = [np.zeros((1, 2, 600), np.int8)]
    xs[0][0, 1, 7] = 127  # second row: one clear maximum, normal path
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "model"
        write_project(compiled.project.files, d, force=True)
        exe = build_runner(d, "model", sanitize=True)
        ours = run_runner(exe, xs, [(t.shape, t.dtype) for t in compiled.graph.outputs])
    assert np.all(ours[0][0, 0] == -128)
    assert ours[0][0, 1, 7] == 127 and np.all(np.delete(ours[0][0, 1], 7) == -128)


def _softmax_op(out_dtype, out_scale, out_zp, beta=1.0, in_scale=0.1):
    x = Tensor("x", (1, 10), "int8", Quant(np.array([in_scale], np.float32), np.array([0])))
    y = Tensor("y", (1, 10), out_dtype, Quant(np.array([out_scale], np.float32), np.array([out_zp])))
    return Operator("SOFTMAX", [x], [y], {"beta": beta})


@pytest.mark.parametrize("out_dtype,scale,zp", [
    ("int8", 1.0 / 256, -127), ("int8", 1.0 / 255, -128), ("int16", 1.0 / 65536, 0), ("int16", 1.0 / 60000, -32768),
])
def test_softmax_output_quantization_rule(out_dtype, scale, zp):
    """TFLM's Prepare rejects these output quantizations, and so does the rule."""
    op = _softmax_op(out_dtype, scale, zp)
    assert any("output quantization" in m for m in Softmax().problems(op))
    model = single_op_model("SOFTMAX", [TensorSpec((1, 10), "int8", 0.1, 0)],
                            [TensorSpec((1, 10), out_dtype, scale, zp)], {"beta": 1.0})
    with pytest.raises(RuntimeError):
        tflm.run(model, [np.zeros((1, 1, 10), np.int8)], 1)


def test_softmax_accepted_quantization():
    assert Softmax().problems(_softmax_op("int8", 1.0 / 256, -128)) == []
    assert Softmax().problems(_softmax_op("int16", 1.0 / 65536 * 1.0005, -32768)) == []


def test_softmax_beta_rule():
    """A non-positive (or vanishing) beta * input_scale fails TFLM's QuantizeMultiplierGreaterThanOne check."""
    assert Softmax().problems(_softmax_op("int8", 1.0 / 256, -128, beta=0.0))
    assert Softmax().problems(_softmax_op("int8", 1.0 / 256, -128, beta=-1.0))
    assert Softmax().problems(_softmax_op("int8", 1.0 / 256, -128, beta=1.0, in_scale=1e-9))
