"""QUANTIZE against TFLM: float32 -> int8 (rounding ties, saturation) and integer requantization."""
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
    with tempfile.TemporaryDirectory(prefix="mcugen-q-") as tmp:
        d = Path(tmp) / "model"
        write_project(c.project.files, d, force=True)
        exe = build_runner(d, "model", sanitize=sanitize)
        y = c.graph.outputs[0]
        ours = run_runner(exe, [x], [(y.shape, y.dtype)])[0]
    ref = tflm.run(model, [x], 1)[0]
    bad = np.flatnonzero(ours.reshape(ref.shape).view(np.uint8) != ref.view(np.uint8))
    assert bad.size == 0, f"{bad.size} bytes differ, first at byte {bad[0]}"
    return ref


def _shape(rng) -> tuple:
    return tuple(int(d) for d in rng.integers(1, 9, size=int(rng.integers(1, 5))))


@pytest.mark.parametrize("seed", range(8))
def test_quantize_f32_random(seed, bit_exact):
    """Inputs uniform over the output's range (quantized input spec) or over [-4, 4) (none: often saturates)."""
    rng = np.random.default_rng(seed)
    shape = _shape(rng)
    s, zp = rand_act_quant(rng)
    x = TensorSpec(shape, "float32", s, zp) if seed % 2 else TensorSpec(shape, "float32")
    bit_exact(single_op_model("QUANTIZE", [x], [TensorSpec(shape, "int8", s, zp)]), count=6, seed=seed)


def _ties(scale: float, lo: int = -300, hi: int = 300) -> np.ndarray:
    """Floats x whose float32 quotient x / scale is exactly k + 0.5, and their float neighbours."""
    s = np.float32(scale)
    k = np.arange(lo, hi, dtype=np.float32) + np.float32(0.5)
    x = (k * s).astype(np.float32)
    exact = x[(x / s) == k]
    near = np.concatenate([np.nextafter(exact, np.float32(np.inf)), np.nextafter(exact, np.float32(-np.inf))])
    return np.concatenate([exact, near]).astype(np.float32), int(exact.size)


@pytest.mark.parametrize("scale,zp", [(0.0625, 0), (0.5, -3), (0.1, 7), (0.0078125, -128), (0.0237, 127),
                                      (0.003917, 25)])
def test_quantize_f32_rounding_ties(scale, zp):
    """Exact .5 quotients round half away from zero; their neighbours on the right side."""
    x, n_exact = _ties(scale)
    assert n_exact > 100  # the case really exercises ties
    # far out of range (the quotient still fits int32, where TFLM's behaviour is defined)
    s = np.float32(scale)
    far = np.array([1e3, -1e3, 1e6, -1e6, 1e9, -1e9, 2e9, -2e9], np.float32) * s
    special = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-30, -1e-30, 3.4e38, -3.4e38], np.float32)
    special = special[np.abs(special.astype(np.float64) / float(s)) < 2e9]
    x = np.concatenate([x, far, special])
    x = np.pad(x, (0, (-x.size) % 64)).reshape(-1, 64)  # 64 elements a sample
    model = single_op_model("QUANTIZE", [TensorSpec((64,), "float32")], [TensorSpec((64,), "int8", scale, zp)])
    ref = run_exact(model, x, sanitize=scale == 0.1)
    assert ref.min() == -128 and ref.max() == 127  # saturation was reached both ways


REQ_CASES = [
    # (in dtype, out dtype, (in scale, in zp), (out scale, out zp))
    ("int8", "int8", (0.05, 3), (0.02, -7)),
    ("int8", "int8", (0.01, -128), (0.01, 0)),     # equal scales, zero points 128 apart
    ("int8", "int8", (0.02, 5), (0.02, 5)),        # identity
    ("int8", "int8", (0.3, 0), (0.004, 10)),       # multiplier > 1: saturates
    ("int8", "int8", (0.004, -20), (0.3, 100)),    # tiny multiplier
    ("int8", "int16", (0.05, -9), (0.0004, 0)),
    ("int16", "int8", (0.000625, 0), (0.0592, -128)),  # keyword_scrambled's input QUANTIZE
    ("int16", "int16", (0.0003, 0), (0.0011, 0)),
    ("int16", "int32", (1.5259e-05, -32768), (3.0519e-05, 0)),  # keyword_scrambled's output QUANTIZE
    ("int16", "int32", (0.25, 7), (1e-4, -1000)),
    ("int16", "int16", (0.0005, -300), (0.0005, 120)),  # equal scales: zero point moves, saturates
    ("int8", "uint8", (0.02, -128), (0.02, 0)),        # TFLM's XOR fast path
    ("uint8", "int8", (0.02, 128), (0.02, 0)),         # TFLM's XOR fast path
    ("int8", "int32", (0.05, -9), (0.0001, 77)),
    ("int32", "int8", (1e-9, 12345), (0.02, -100)),
    ("int32", "int16", (3e-6, -7), (0.001, 0)),
]


@pytest.mark.parametrize("src,dst,qi,qo", REQ_CASES)
def test_requantize(src, dst, qi, qo, bit_exact):
    rng = np.random.default_rng(len(src) + int(qi[0] * 1e4))
    shape = _shape(rng)
    model = single_op_model("QUANTIZE", [TensorSpec(shape, src, *qi)], [TensorSpec(shape, dst, *qo)])
    bit_exact(model, count=6, sanitize=src == "int16" and dst == "int32")


@pytest.mark.parametrize("seed", range(4))
def test_requantize_s8_random(seed, bit_exact):
    rng = np.random.default_rng(100 + seed)
    shape = _shape(rng)
    model = single_op_model("QUANTIZE", [TensorSpec(shape, "int8", *rand_act_quant(rng))],
                            [TensorSpec(shape, "int8", *rand_act_quant(rng))])
    bit_exact(model, count=6, seed=seed)




@pytest.mark.parametrize("seed", range(4))
def test_quantize_f32_s16(seed):
    """float32 -> int16: ties, saturation at the int16 extremes, random values over the output's range."""
    rng = np.random.default_rng(200 + seed)
    s, zp = [(1 / 32768, 0), (0.001, -1000), (0.5, 0), (3.0517578e-05, 32767)][seed]
    x, n_exact = _ties(s, -3000, 3000)
    lo, hi = s * (-32768 - zp), s * (32767 - zp)
    rnd = rng.uniform(lo * 1.2, hi * 1.2, size=2048).astype(np.float32)
    # (quotients beyond int32 are undefined behaviour in TFLM: x86 gives INT32_MIN, so none here)
    extra = np.array([lo, hi, lo * 4, hi * 4, 0.0, -0.0, s * 1e9, -s * 1e9], np.float32)
    x = np.concatenate([x, rnd, extra])
    x = np.pad(x, (0, (-x.size) % 128)).reshape(-1, 128)
    model = single_op_model("QUANTIZE", [TensorSpec((128,), "float32")], [TensorSpec((128,), "int16", s, zp)])
    ref = run_exact(model, x, sanitize=seed == 1)
    assert ref.min() == -32768 and ref.max() == 32767


def test_quantize_f32_s16_random_shape(bit_exact):
    model = single_op_model("QUANTIZE", [TensorSpec((3, 5, 7), "float32")],
                            [TensorSpec((3, 5, 7), "int16", 1e-4, 0)])
    bit_exact(model, count=6)


def test_quantize_rules():
    # TFLM's Prepare demands a single output scale
    per_channel = single_op_model("QUANTIZE", [TensorSpec((2, 3), "float32")],
                                  [TensorSpec((2, 3), "int8", [0.1, 0.2], [0, 0], quantized_dimension=0)])
    assert any("per channel" in m for m in rule_problems(per_channel))
    # TFLM refuses these too (uint8 -> int16 TFLM refuses as well, but a uint8 input is a legacy uint8 model's:
    # passes/uint8_to_int8.py runs it as int8 -> int16, checked against LiteRT in tests/models/test_uint8_models.py)
    for src, dst in [("float32", "int32"), ("int64", "int8"), ("int16", "uint8")]:
        x = TensorSpec((4,), src, None if src == "float32" else 0.1, None if src == "float32" else 0)
        m = single_op_model("QUANTIZE", [x], [TensorSpec((4,), dst, 0.1, 0)])
        assert any("is not supported" in p for p in rule_problems(m)), (src, dst)
    ok = single_op_model("QUANTIZE", [TensorSpec((4,), "float32")], [TensorSpec((4,), "int8", 0.1, 0)])
    assert rule_problems(ok) == []
