"""LOGISTIC and TANH (int8) against TFLM: every input value, many random quantizations.

Several independent operators share one model, each with its own input and
output quantization, so one compilation checks many quantizations. Inputs of
256 or more elements see every int8 value over the sampled inputs (checked).
"""
import numpy as np
import pytest

from mcugen.ir import Operator, Quant, Tensor
from mcugen.ops.logistic_tanh import Logistic, Tanh, sigmoid_params
from mcugen.oracle import tflm
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant

from tests.ops.unary_cases import check, rand_shape


def rand_cases(rng, out_quant):
    cases = [((1, 256), rand_act_quant(rng), out_quant(rng), {})]
    cases += [(rand_shape(rng), rand_act_quant(rng), out_quant(rng), {}) for _ in range(5)]
    return cases


@pytest.mark.parametrize("seed", range(5))
def test_logistic_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    # TFLM ignores the output scale (the result is always on 1/256); only the zero point must be -128
    out = lambda r: (1.0 / 256 if r.integers(0, 3) else float(r.uniform(0.001, 0.1)), -128)  # noqa: E731
    check(bit_exact, "LOGISTIC", rand_cases(rng, out), seed)


@pytest.mark.parametrize("seed", range(5))
def test_tanh_random(seed, bit_exact):
    rng = np.random.default_rng(100 + seed)
    # TFLM ignores the output quantization entirely (the result is always on 1/128, zero point 0)
    out = lambda r: (1.0 / 128, 0) if r.integers(0, 3) else rand_act_quant(r)  # noqa: E731
    check(bit_exact, "TANH", rand_cases(rng, out), seed)


# Input scales at the edges of the recipe: a radius of 0 or 1 (huge scales),
# a radius beyond the int8 range (tiny scales), power-of-two scales.
EDGE_SCALES = [(8.0, 0), (5.0, 10), (2.0, -128), (1.0, 127), (2.0 ** -7, 0), (2.0 ** -12, -5), (1e-5, 3), (0.0625, 0)]


@pytest.mark.parametrize("opcode,out", [("LOGISTIC", (1.0 / 256, -128)), ("TANH", (1.0 / 128, 0))])
def test_sigmoid_edge_scales(opcode, out, bit_exact):
    check(bit_exact, opcode, [((1, 256), q, out, {}) for q in EDGE_SCALES], seed=7)


@pytest.mark.parametrize("opcode,out", [("LOGISTIC", (1.0 / 256, -128)), ("TANH", (1.0 / 128, 0))])
def test_sigmoid_sanitized(opcode, out, bit_exact):
    rng = np.random.default_rng(5)
    cases = [((1, 256), rand_act_quant(rng), out, {}), ((2, 3, 50), (8.0, 0), out, {}), ((7,), (1e-5, 3), out, {})]
    check(bit_exact, opcode, cases, seed=2, sanitize=True)


def test_sigmoid_params():
    # scale 1/16: 2^-4 * 2^27 = 2^23 = 0.5 * 2^24 -> multiplier 2^30, shift 24, radius 15 * 2^27 / 2^24 = 120
    assert sigmoid_params(1.0 / 16) == (1 << 30, 24, 120)


def _op(opcode, in_scale, out_zp):
    x = Tensor("x", (1, 8), "int8", Quant(np.array([in_scale], np.float32), np.array([0])))
    y = Tensor("y", (1, 8), "int8", Quant(np.array([1.0 / 256], np.float32), np.array([out_zp])))
    return Operator(opcode, [x], [y], {})


def test_logistic_output_zero_point_rule():
    """TFLM's Prepare rejects a LOGISTIC output zero point other than -128, and so does the rule."""
    assert Logistic().problems(_op("LOGISTIC", 0.1, -128)) == []
    assert any("zero point" in m for m in Logistic().problems(_op("LOGISTIC", 0.1, 0)))
    assert Tanh().problems(_op("TANH", 0.1, 0)) == []  # TANH checks nothing
    model = single_op_model("LOGISTIC", [TensorSpec((1, 8), "int8", 0.1, 0)], [TensorSpec((1, 8), "int8", 1 / 256, 0)])
    with pytest.raises(RuntimeError):
        tflm.run(model, [np.zeros((1, 1, 8), np.int8)], 1)


def test_sigmoid_rules_reject():
    assert Tanh().problems(_op("TANH", 1e-12, 0))  # the radius arithmetic needs scale >= 2^-28
    x = Tensor("x", (1, 8), "int16", Quant(np.array([0.1], np.float32), np.array([0])))
    y = Tensor("y", (1, 8), "int16", Quant(np.array([1 / 32768], np.float32), np.array([0])))
    assert Tanh().problems(Operator("TANH", [x], [y], {})) == []  # int16 (see test_logistic_tanh_s16.py)
    y8o = Tensor("y", (1, 8), "int8", Quant(np.array([1 / 128], np.float32), np.array([0])))
    assert Tanh().problems(Operator("TANH", [x], [y8o], {}))  # int16 in, int8 out is not supported
    y8 = Tensor("y", (1, 9), "int8", Quant(np.array([1 / 128], np.float32), np.array([0])))
    x8 = Tensor("x", (1, 8), "int8", Quant(np.array([0.1], np.float32), np.array([0])))
    assert Tanh().problems(Operator("TANH", [x8], [y8], {}))  # sizes differ
