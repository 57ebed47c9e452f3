"""RELU, RELU6 and LEAKY_RELU (int8) against TFLM: every input value, many random quantizations.

Several independent operators share one model, each with its own input and
output quantization, so one compilation checks many quantizations. Inputs of
256 or more elements see every int8 value over the sampled inputs (checked).
"""
import numpy as np
import pytest

from mcugen.ir import Operator, Quant, Tensor
from mcugen.ops.base import handler
from mcugen.ops.relu import leaky_relu_multipliers, relu6_bounds
from mcugen.testing.random_quant import rand_act_quant

from tests.ops.unary_cases import check, rand_shape


def rand_cases(rng, n=6, options=lambda r: {}, same_quant_every=0):
    cases = []
    for k in range(n):
        qi = rand_act_quant(rng)
        qo = qi if same_quant_every and k % same_quant_every == 0 else rand_act_quant(rng)
        cases.append(((1, 256) if k == 0 else rand_shape(rng), qi, qo, options(rng)))
    return cases


@pytest.mark.parametrize("seed", range(3))
def test_relu_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    check(bit_exact, "RELU", rand_cases(rng, same_quant_every=3), seed)


@pytest.mark.parametrize("seed", range(3))
def test_relu6_random(seed, bit_exact):
    """TFLM's RELU6 clamps with the input quantization and ignores the output's."""
    rng = np.random.default_rng(10 + seed)
    check(bit_exact, "RELU6", rand_cases(rng, same_quant_every=2), seed)


ALPHAS = [0.2, 0.01, 0.0, -0.5, 1.5, -2.0, 0.3, -0.05]


@pytest.mark.parametrize("seed", range(3))
def test_leaky_relu_random(seed, bit_exact):
    rng = np.random.default_rng(20 + seed)

    def options(r):
        return {"alpha": float(r.choice(ALPHAS)) if r.integers(0, 2) else float(r.uniform(-1, 1))}
    check(bit_exact, "LEAKY_RELU", rand_cases(rng, options=options, same_quant_every=3), seed)


def test_relu_edges(bit_exact):
    cases = [
        ((1, 256), (0.1, 0), (0.1, 0), {}),        # equal quantization: a clamp
        ((1, 256), (0.1, -128), (0.1, -128), {}),
        ((1, 256), (0.5, 127), (0.002, -128), {}),  # large multiplier (left shift)
        ((1, 256), (0.002, 0), (0.5, 10), {}),      # small multiplier
        ((1, 256), (0.1, 5), (0.05, 127), {}),      # output zero point at the top
    ]
    check(bit_exact, "RELU", cases, seed=4)


def test_relu6_edges(bit_exact):
    cases = [
        ((1, 256), (0.01, -128), (0.01, -128), {}),  # 6.0 beyond the int8 range: six clamps to 127
        ((1, 256), (6.0 / 200, -100), (0.1, 0), {}),
        ((1, 256), (0.5, 0), (6.0 / 255, -128), {}),  # six = 12
        ((1, 256), (0.047058823529411764, -128), (0.047058823529411764, -128), {}),  # 6/scale at a half
    ]
    check(bit_exact, "RELU6", cases, seed=5)


def test_leaky_relu_halves(bit_exact):
    """Exact multiplier halves: a negative alpha rounds as -(|alpha| * x), unlike a negative multiplier."""
    cases = [((1, 256), (0.1, 0), (0.1, 0), {"alpha": a}) for a in (-0.5, -0.25, -1.0, -0.75, 0.5, 0.25)]
    check(bit_exact, "LEAKY_RELU", cases, seed=6)


@pytest.mark.parametrize("opcode,options", [("RELU", {}), ("RELU6", {}), ("LEAKY_RELU", {"alpha": -0.3})])
def test_relu_family_sanitized(opcode, options, bit_exact):
    rng = np.random.default_rng(8)
    cases = [((1, 256), rand_act_quant(rng), rand_act_quant(rng), options), ((3, 5), (0.1, 0), (0.1, 0), options)]
    check(bit_exact, opcode, cases, seed=9, sanitize=True)


def test_relu6_bounds():
    assert relu6_bounds(0.1, 3) == (3, 63)
    assert relu6_bounds(0.01, 0) == (0, 127)
    assert relu6_bounds(0.5, -128) == (-128, -116)


def test_leaky_relu_multipliers():
    (im, ish), (am, ash), neg = leaky_relu_multipliers(0.1, 0.1, -0.5)
    assert (im, ish) == (1 << 30, 1) and (am, ash, neg) == (1 << 30, 0, 1)
    assert leaky_relu_multipliers(0.1, 0.2, 0.0)[1:] == ((0, 0), 0)


@pytest.mark.parametrize("opcode", ["RELU", "RELU6", "LEAKY_RELU"])
def test_relu_family_rules_reject(opcode):
    q = lambda: Quant(np.array([0.1], np.float32), np.array([0]))  # noqa: E731
    h = handler(opcode)
    ok = Operator(opcode, [Tensor("x", (2, 4), "int8", q())], [Tensor("y", (2, 4), "int8", q())], {"alpha": 0.1})
    assert h.problems(ok) == []
    int16 = Operator(opcode, [Tensor("x", (2, 4), "int16", q())], [Tensor("y", (2, 4), "int16", q())], {})
    assert h.problems(int16) == []  # see test_relu_s16.py
    mixed = Operator(opcode, [Tensor("x", (2, 4), "int16", q())], [Tensor("y", (2, 4), "int8", q())], {})
    assert h.problems(mixed)
    unquantized = Operator(opcode, [Tensor("x", (2, 4), "int8", None)], [Tensor("y", (2, 4), "int8", q())], {})
    assert h.problems(unquantized)
    sizes = Operator(opcode, [Tensor("x", (2, 4), "int8", q())], [Tensor("y", (2, 5), "int8", q())], {})
    assert h.problems(sizes)
