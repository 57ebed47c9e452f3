"""ABS, RSQRT (int8, int16, float32) and SQRT (float32) against TFLM."""
import numpy as np
import pytest

from mcugen.quant import inv_sqrt_multiplier_exp
from mcugen.oracle import tflm
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.compare import rule_problems
from mcugen.testing.random_quant import rand_act_quant

from tests.ops.math_cases import rand_s16_quant


def _rand_shape(rng):
    return tuple(int(d) for d in rng.integers(1, 7, size=int(rng.integers(1, 7))))


@pytest.mark.parametrize("seed", range(8))
def test_abs_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    dtype = ["int8", "int8", "int16", "float32"][seed % 4]
    shape = _rand_shape(rng)
    if dtype == "int8":
        qi = rand_act_quant(rng)
        qo = qi if seed % 3 == 0 else rand_act_quant(rng)  # equal scales: no rescale
    elif dtype == "int16":
        qi = rand_s16_quant(rng) if seed % 8 != 6 else (None, None)  # unquantized int16: raw abs
        qo = qi if seed % 3 == 0 or qi[0] is None else rand_s16_quant(rng)
    else:
        qi = qo = (None, None)
    model = single_op_model("ABS", [TensorSpec(shape, dtype, *qi)], [TensorSpec(shape, dtype, *qo)])
    bit_exact(model, sanitize=seed in (3, 4))


@pytest.mark.parametrize("seed", range(6))
def test_rsqrt_int8(seed, bit_exact):
    """TFLM fails on inputs below the zero point, so the input zero point is -128 (every value is valid)."""
    rng = np.random.default_rng(100 + seed)
    shape = _rand_shape(rng)
    si = float(np.exp(rng.uniform(np.log(1e-3), np.log(0.5))))
    qo = rand_act_quant(rng)
    model = single_op_model("RSQRT", [TensorSpec(shape, "int8", si, -128)], [TensorSpec(shape, "int8", *qo)])
    bit_exact(model, count=8, seed=seed)


@pytest.mark.parametrize("qi,qo", [((1e-3, 0), (1e-3, 0)), ((3e-5, 0), (0.01, 0)), ((0.01, 0), (1e-5, 0))])
def test_rsqrt_int16(qi, qo, bit_exact):
    """ABS then RSQRT (int16 zero points are 0, and TFLM fails on negative inputs): thousands of distinct
    values, 0 and the extremes among them."""
    tensors = [TensorSpec((32, 512), "int16", *qi), TensorSpec((32, 512), "int16", *qi),
               TensorSpec((32, 512), "int16", *qo)]
    bit_exact(build_model(tensors, [OpSpec("ABS", [0], [1]), OpSpec("RSQRT", [1], [2])], [0], [2]), count=3)


@pytest.mark.parametrize("op", ["SQRT", "RSQRT", "ABS"])
def test_float_unary(op, bit_exact):
    """float32 inputs drawn from [0, 7.6) (the range of the quantization attached to the input; TFLM ignores
    it): negative inputs give NaNs whose sign bit differs between x86 and Arm."""
    shape = (3, 17)
    model = single_op_model(op, [TensorSpec(shape, "float32", 0.03, -128)], [TensorSpec(shape, "float32")])
    bit_exact(model)


def test_float_log(bit_exact):
    """LOG (float32 only in TFLM) on inputs in [2.2, 9.8) and in [40, 10240) (the ranges of the quantization
    attached to the input, which TFLM ignores: sample_inputs draws from them), within the float tolerance."""
    shape = (4, 33)
    bit_exact(single_op_model("LOG", [TensorSpec(shape, "float32", 0.03, -200)], [TensorSpec(shape, "float32")]))
    bit_exact(single_op_model("LOG", [TensorSpec((2, 9), "float32", 40.0, -129)], [TensorSpec((2, 9), "float32")]))


def test_inv_sqrt_multiplier():
    for x in (2, 3, 100, 12345, 32767, 1 << 29, 2 ** 31 - 1):
        m, s = inv_sqrt_multiplier_exp(x)
        assert abs(m * 2.0 ** (s - 31) * np.sqrt(x) - 1) < 1e-5
    assert inv_sqrt_multiplier_exp(1) == (2 ** 31 - 1, 0)


def test_unary_rules():
    q = (0.1, 0)
    assert rule_problems(single_op_model("ABS", [TensorSpec((4,), "int8", *q)], [TensorSpec((4,), "int8", *q)])) == []
    # quantized int16 needs zero points 0 (TFLM's Prepare fails otherwise)
    m = single_op_model("ABS", [TensorSpec((4,), "int16", 0.1, 3)], [TensorSpec((4,), "int16", *q)])
    assert any("zero point" in p for p in rule_problems(m))
    assert tflm_fails_prepare(m)
    # SQRT and LOG are float32 only in TFLM (and in mcugen)
    for op in ("SQRT", "LOG"):
        m = single_op_model(op, [TensorSpec((4,), "int8", *q)], [TensorSpec((4,), "int8", *q)])
        assert rule_problems(m)
        with pytest.raises(RuntimeError):
            tflm.run(m, [np.zeros((1, 4), np.int8)], 1)


def tflm_fails_prepare(model):
    try:
        tflm.interpreter(model)
    except RuntimeError:
        return True
    return False
