"""DEQUANTIZE int8 -> float32 against TFLM: random shapes and quantization, every int8 value, extreme scales."""
import tempfile
from pathlib import Path

import numpy as np
import pytest

from mcugen.backend.host import build_runner, run_runner
from mcugen.codegen import write_project
from mcugen.compiler import compile_bytes
from mcugen.oracle import tflm
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant
from mcugen.testing.compare import rule_problems


def run_exact(model: bytes, x: np.ndarray, sanitize: bool = False) -> np.ndarray:
    """Run `model` on the given samples x (N, *input_shape) here and in TFLM; demand identical bytes."""
    c = compile_bytes(model, "model")
    with tempfile.TemporaryDirectory(prefix="mcugen-dq-") as tmp:
        d = Path(tmp) / "model"
        write_project(c.project.files, d, force=True)
        exe = build_runner(d, "model", sanitize=sanitize)
        y = c.graph.outputs[0]
        ours = run_runner(exe, [x], [(y.shape, y.dtype)])[0]
    ref = tflm.run(model, [x], 1)[0]
    bad = np.flatnonzero(ours.reshape(ref.shape).view(np.uint8) != ref.view(np.uint8))
    assert bad.size == 0, f"{bad.size} bytes differ, first at byte {bad[0]}"
    return ref


@pytest.mark.parametrize("seed", range(10))
def test_dequantize_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in rng.integers(1, 9, size=int(rng.integers(1, 5))))
    s, zp = rand_act_quant(rng)
    model = single_op_model("DEQUANTIZE", [TensorSpec(shape, "int8", s, zp)], [TensorSpec(shape, "float32")])
    bit_exact(model, count=6, seed=seed, sanitize=seed == 0)


@pytest.mark.parametrize("scale,zp", [
    (0.1, 0), (0.0039215689, -128), (0.07054789, -9), (1 / 3, 127),
    (1e-39, 5),     # subnormal scale and products
    (3e36, -1),     # products overflow to +-inf
])
def test_dequantize_every_value(scale, zp):
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    model = single_op_model("DEQUANTIZE", [TensorSpec((256,), "int8", scale, zp)], [TensorSpec((256,), "float32")])
    ref = run_exact(model, x)
    if scale > 1e30:
        assert np.isinf(ref).any()




@pytest.mark.parametrize("src,scale,zp", [
    ("int16", 1 / 32768, 0), ("int16", 0.00123, -77), ("int16", 1e-39, 3), ("int16", 7.3, 1000),
    ("uint8", 0.0039215689, 128), ("uint8", 0.0731, 255),
])
def test_dequantize_other_types(src, scale, zp):
    """Every value of the input type (int16: all 65536) through DEQUANTIZE."""
    info = np.iinfo(src)
    x = np.arange(info.min, int(info.max) + 1).astype(src)
    n = 256
    x = x.reshape(-1, n)
    model = single_op_model("DEQUANTIZE", [TensorSpec((n,), src, scale, zp)], [TensorSpec((n,), "float32")])
    run_exact(model, x, sanitize=src == "uint8" and zp == 128)


@pytest.mark.parametrize("seed", range(2))
def test_dequantize_s16_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in rng.integers(1, 9, size=int(rng.integers(1, 5))))
    model = single_op_model("DEQUANTIZE", [TensorSpec(shape, "int16", float(rng.uniform(1e-5, 1e-3)), 0)],
                            [TensorSpec(shape, "float32")])
    bit_exact(model, count=6, seed=seed)


def test_dequantize_rules():
    per_channel = single_op_model("DEQUANTIZE", [TensorSpec((2, 3), "int8", [0.1, 0.2], [0, 0])],
                                  [TensorSpec((2, 3), "float32")])
    assert any("per channel" in m for m in rule_problems(per_channel))
    # TFLM rejects these too
    for src, dst in [("int32", "float32"), ("int8", "int32")]:
        m = single_op_model("DEQUANTIZE", [TensorSpec((4,), src, 0.1, 0)], [TensorSpec((4,), dst, 0.1, 0)])
        assert any("is not supported" in p for p in rule_problems(m)), (src, dst)
    ok = single_op_model("DEQUANTIZE", [TensorSpec((4,), "int8", 0.1, 0)], [TensorSpec((4,), "float32")])
    assert rule_problems(ok) == []
