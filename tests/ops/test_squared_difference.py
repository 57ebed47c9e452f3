"""SQUARED_DIFFERENCE (int8, int16 quantized; int32, float32 raw; broadcasting) against TFLM."""
import numpy as np
import pytest

from mcugen.oracle import tflm
from mcugen.testing.compare import rule_problems

from tests.ops.math_cases import binary_model, rand_data, rand_quant, rand_shapes

TYPES = ["int8", "int8", "int16", "int16", "int32", "float32"]


def out_quant(rng, dtype, qa, qb):
    """An output scale near the largest square of the real range, so that results spread over the type."""
    lo, hi = (-128, 127) if dtype == "int8" else (-32768, 32767)
    ra = max(abs(qa[0] * (lo - qa[1])), abs(qa[0] * (hi - qa[1])))
    rb = max(abs(qb[0] * (lo - qb[1])), abs(qb[0] * (hi - qb[1])))
    so = (ra + rb) ** 2 / (hi - lo) * float(np.exp(rng.uniform(-3.0, 0.5)))
    return so, (int(rng.integers(-128, 0)) if dtype == "int8" else 0)


@pytest.mark.parametrize("seed", range(12))
def test_squared_difference_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    dtype = TYPES[seed % len(TYPES)]
    a, b = rand_shapes(rng, seed)
    qa = rand_quant(rng, dtype)
    qb = qa if seed % 5 == 0 else rand_quant(rng, dtype)
    qo = out_quant(rng, dtype, qa, qb) if dtype in ("int8", "int16") else (None, None)
    const = seed % 3 == 1 or len(b) == 0
    model = binary_model("SQUARED_DIFFERENCE", a, b, dtype, qa, qb, dtype, qo,
                         const_b=rand_data(rng, b, dtype) if const else None)
    bit_exact(model, sanitize=seed in (3, 4))


@pytest.mark.parametrize("dtype,qa,qb,qo", [
    ("int8", (0.02, -128), (0.05, 127), (0.01, -128)),
    ("int8", (0.1, 5), (0.1, 5), (0.5, -100)),
    ("int16", (1e-4, 0), (1e-4, 0), (1e-4, 0)),       # saturates at 32767
    ("int16", (3e-4, 0), (1e-4, 0), (0.5, 0)),
], ids=["s8-extreme-zp", "s8-same", "s16-saturate", "s16-large-out"])
def test_squared_difference_all_pairs(dtype, qa, qb, qo, bit_exact):
    """A column of inputs against a constant row of the type's extremes and neighbours."""
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    row = np.array([[lo, lo + 1, -1, 0, 1, hi - 1, hi] + list(range(-60, 60, 7))], dtype)
    bit_exact(binary_model("SQUARED_DIFFERENCE", (32, 1), row.shape, dtype, qa, qb, dtype, qo, const_b=row), count=5)


def test_squared_difference_rules():
    q = (0.1, 0)
    assert rule_problems(binary_model("SQUARED_DIFFERENCE", (2, 3), (3,), "int8", q, q, "int8", q)) == []
    # TFLM's int16 Prepare demands zero points of 0
    m = binary_model("SQUARED_DIFFERENCE", (2, 3), (3,), "int16", (0.1, 1), q, "int16", q)
    assert any("zero point" in p for p in rule_problems(m))
    # int64 and uint8 fail in TFLM's Eval
    for dtype in ("int64", "uint8"):
        qq = (None, None) if dtype == "int64" else q
        m = binary_model("SQUARED_DIFFERENCE", (2, 3), (2, 3), dtype, qq, qq, dtype, qq)
        assert any("not supported" in p for p in rule_problems(m))
        with pytest.raises(RuntimeError):
            tflm.run(m, [np.zeros((1, 2, 3), dtype)] * 2, 1)


@pytest.mark.parametrize("a,b", [((2, 3, 2, 2, 3), (2, 1, 2, 1, 3)), ((3, 1, 2, 1, 2, 3), (2, 1, 2, 1, 3))],
                         ids=["rank5", "rank6"])
def test_squared_difference_high_rank_broadcast(a, b, bit_exact):
    """TFLM's broadcast path is named 4DSlow but takes ranks 5 and 6 too (checked against it here)."""
    bit_exact(binary_model("SQUARED_DIFFERENCE", a, b, "int8", (0.05, 3), (0.07, -5), "int8", (0.01, -100)), count=4)
