"""EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL (int8 rescaled; int32, int64, float32, bool raw;
bool output; broadcasting) against TFLM."""
import numpy as np
import pytest

from mcugen.ops.compare import compare_multiplier
from mcugen.oracle import tflm
from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.compare import rule_problems

from tests.ops.math_cases import binary_model, rand_data, rand_quant, rand_shapes

OPS = ["EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL"]


@pytest.mark.parametrize("seed", range(12))
def test_compare_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    op = OPS[seed % 6]
    # mostly int8 (the rescaled path); every fourth case a raw type
    dtype = "int8" if seed % 4 else ["int32", "int64", "float32"][(seed // 4) % 3]
    a, b = rand_shapes(rng, seed)
    qa = rand_quant(rng, dtype)
    qb = qa if seed % 5 == 0 else rand_quant(rng, dtype)  # equal or different quantization
    const = seed % 3 == 1 or len(b) == 0
    model = binary_model(op, a, b, dtype, qa, qb, "bool", (None, None),
                         const_b=rand_data(rng, b, dtype) if const else None)
    bit_exact(model, sanitize=seed in (3, 4))


@pytest.mark.parametrize("qa,qb", [((0.002, 3), (0.0031, -5)), ((0.05, -128), (0.05, 127)), ((0.9, 0), (0.3, 7))],
                         ids=["small-scales", "same-scale", "large"])
def test_compare_all_pairs_int8(qa, qb, bit_exact):
    """Every int8 value of input2 (a constant row) against many of input1, through all six comparisons in
    one model: the rescaling's rounding, which merges neighbouring values of small scales, shows up in EQUAL."""
    row = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    tensors = [TensorSpec((48, 1), "int8", *qa), TensorSpec((1, 256), "int8", *qb, data=row)]
    tensors += [TensorSpec((48, 256), "bool") for _ in OPS]
    ops = [OpSpec(op, [0, 1], [2 + i]) for i, op in enumerate(OPS)]
    bit_exact(build_model(tensors, ops, [0], list(range(2, 2 + len(OPS)))), count=4)


@pytest.mark.parametrize("op", ["EQUAL", "NOT_EQUAL"])
def test_compare_bool(op, bit_exact):
    """bool EQUAL / NOT_EQUAL: a constant bool row against a bool column (the sampled bool inputs are all
    true, so the constant supplies the falses)."""
    row = np.array([[True, False, True, False, False]])
    bit_exact(binary_model(op, (3, 1), (1, 5), "bool", (None, None), (None, None), "bool", (None, None),
                           const_b=row), count=3)


def test_compare_multiplier():
    assert compare_multiplier(0.5) == (1 << 30, 0)
    assert compare_multiplier(0.25) == (1 << 30, -1)


def test_compare_rules():
    q = (0.1, 0)
    none = (None, None)
    assert rule_problems(binary_model("LESS", (2, 3), (3,), "int8", q, q, "bool", none)) == []
    # int16 and uint8 comparisons fail in TFLM's Eval; LESS on bool too
    for op, dtype in (("LESS", "int16"), ("EQUAL", "int16"), ("GREATER", "bool")):
        qq = none if dtype == "bool" else q
        m = binary_model(op, (2, 3), (2, 3), dtype, qq, qq, "bool", none)
        assert any("not supported" in p for p in rule_problems(m)), (op, dtype)
        with pytest.raises(RuntimeError):
            tflm.run(m, [np.zeros((1, 2, 3), dtype), np.zeros((1, 2, 3), dtype)], 1)
    # TFLM aborts on an int8 scale >= 1 (QuantizeMultiplierSmallerThanOneExp)
    assert any("scale" in p for p in rule_problems(binary_model("LESS", (2, 3), (3,), "int8", (1.5, 0), q,
                                                                "bool", none)))
    # the output is bool
    assert any("not supported" in p for p in rule_problems(binary_model("LESS", (2, 3), (3,), "int8", q, q,
                                                                        "int8", q)))
