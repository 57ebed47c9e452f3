"""MAXIMUM and MINIMUM (int8, int16, int32, int64, float32, broadcasting) against TFLM."""
import numpy as np
import pytest

from mcugen.testing.compare import rule_problems

from tests.ops.math_cases import binary_model, rand_data, rand_quant, rand_shapes

TYPES = ["int8", "int16", "int32", "int64", "float32"]


@pytest.mark.parametrize("seed", range(12))
def test_max_min_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    op = "MAXIMUM" if seed % 2 == 0 else "MINIMUM"
    dtype = TYPES[seed % 5]
    a, b = rand_shapes(rng, seed)
    const = seed % 3 == 1 or len(b) == 0
    # differing quantization: TFLM compares the stored values regardless
    model = binary_model(op, a, b, dtype, rand_quant(rng, dtype), rand_quant(rng, dtype), dtype,
                         rand_quant(rng, dtype), const_b=rand_data(rng, b, dtype) if const else None)
    bit_exact(model, sanitize=seed in (3, 4))


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM"])
def test_max_min_int16_extremes(op, bit_exact):
    """Every pair of a few int16 extremes (a column against a constant row)."""
    row = np.array([[-32768, -32767, -1, 0, 1, 32766, 32767]], np.int16)
    q = (1e-4, 0)
    bit_exact(binary_model(op, (40, 1), (1, 7), "int16", q, q, "int16", q, const_b=row), count=5)


def test_max_min_rules():
    q = (0.1, 0)
    assert rule_problems(binary_model("MAXIMUM", (2, 3), (3,), "int8", q, q, "int8", q)) == []
    assert any("broadcast" in m for m in rule_problems(binary_model("MAXIMUM", (2, 3), (2,), "int8", q, q,
                                                                    "int8", q, out=(2, 3))))
    # uint8 and bool are not TFLM MAXIMUM types
    assert any("not supported" in m for m in rule_problems(binary_model("MINIMUM", (2, 3), (3,), "uint8", q, q,
                                                                        "uint8", q)))
