"""SOFTMAX, int16 in and out, against TFLM: random shapes, input scales and beta, rows of equal and extreme
values (the first two samples are all -32768 and all 32767), and the rules."""
import numpy as np
import pytest

from mcugen.ops.softmax import softmax_s16_tables
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects

OUT = (1.0 / 32768, 0)


def parallel_softmax_s16(cases):
    tensors, ops, ins, outs = [], [], [], []
    for shape, si, beta in cases:
        ins.append(len(tensors))
        tensors.append(TensorSpec(shape, "int16", si, 0))
        outs.append(len(tensors))
        tensors.append(TensorSpec(shape, "int16", *OUT))
        ops.append(OpSpec("SOFTMAX", [ins[-1]], [outs[-1]], {"beta": beta}))
    return build_model(tensors, ops, ins, outs)


def rand_case(rng):
    rank = int(rng.integers(1, 5))
    depth = int(rng.choice([1, 2, 3, 10, int(rng.integers(4, 64)), int(rng.integers(64, 700))]))
    shape = tuple([int(rng.integers(1, 4)) for _ in range(rank - 1)] + [depth])
    si = float(np.exp(rng.uniform(np.log(2.0 ** -15), np.log(2.0 ** -6))))
    beta = float(rng.choice([1.0, 1.0, 0.5, 2.0, float(rng.uniform(0.1, 3))]))
    return shape, si, beta


@pytest.mark.parametrize("seed", range(6))
def test_softmax_s16_random(seed, bit_exact):
    rng = np.random.default_rng(500 + seed)
    cases = [((2, 5), 2.0 ** -10, 1.0)] if seed == 0 else [rand_case(rng) for _ in range(4)]
    bit_exact(parallel_softmax_s16(cases), count=10, seed=seed, sanitize=seed == 1)


def test_softmax_s16_scales(bit_exact):
    """Input scales where [-65535, 0] maps to much more and much less than [-10, 0]: left and right shifts."""
    cases = [((3, 40), s, b) for s, b in ((2.0 ** -15, 1.0), (10.0 / 65535, 1.0), (0.01, 1.0), (0.3, 1.0),
                                          (1e-6, 1.0), (2.0 ** -12, 0.25))]
    bit_exact(parallel_softmax_s16(cases), count=12, seed=9)


def test_softmax_s16_tables():
    exp_lut, recip = softmax_s16_tables()
    assert exp_lut.size == recip.size == 513
    assert exp_lut[-1] == 32767 and recip[0] == 32767 and recip[-1] == 16384


def test_softmax_s16_rules():
    def model(so=OUT[0], zo=0, out="int16"):
        return single_op_model("SOFTMAX", [TensorSpec((2, 5), "int16", 0.001, 0)], [TensorSpec((2, 5), out, so, zo)])
    assert rule_problems(model()) == []
    for kw in ({"zo": 3}, {"so": 1.0 / 65536}, {"so": 1.0 / 256, "zo": -128, "out": "int8"}):
        m = model(**kw)
        assert tflm_rejects(m), kw
        assert rule_problems(m), kw
