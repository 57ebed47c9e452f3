"""RELU, RELU6 and LEAKY_RELU, int16, against TFLM: every int16 value through many quantizations, and small
random cases (also on the Cortex-M boards)."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects

from tests.ops.unary_cases import INT16_ROW, check_every_int16, parallel_model


def rand_q16(rng, zero_point=True):
    s = float(np.exp(rng.uniform(np.log(2.0 ** -15), np.log(2.0 ** -5))))
    return s, (int(rng.integers(-3000, 3001)) if zero_point and rng.random() < 0.5 else 0)


def cases(rng, n, zero_point, options=lambda r: {}, same_every=3):
    out = []
    for k in range(n):
        qi = rand_q16(rng, zero_point)
        qo = qi if k % same_every == 0 else rand_q16(rng, zero_point)
        out.append(((INT16_ROW,), qi, qo, options(rng)))
    return out


ALPHAS = [0.2, 0.01, 0.0, -0.5, 1.5, -2.0, 0.3, -0.05]


def alpha(r):
    return {"alpha": float(r.choice(ALPHAS)) if r.integers(0, 2) else float(r.uniform(-1, 1))}


@pytest.mark.parametrize("opcode,zero_point,options", [
    ("RELU", False, lambda r: {}), ("RELU6", True, lambda r: {}), ("LEAKY_RELU", True, alpha)])
def test_relu_family_s16_every_value(opcode, zero_point, options):
    rng = np.random.default_rng(len(opcode) + 40)
    cs = cases(rng, 6, zero_point, options)
    if opcode == "RELU":
        cs += [((INT16_ROW,), (2.0 ** -8, 0), (2.0 ** -14, 0), {}), ((INT16_ROW,), (2.0 ** -14, 0), (2.0 ** -5, 0), {})]
    if opcode == "LEAKY_RELU":  # float32 quotients would round 4 and 3 of these values differently
        cs.append(((INT16_ROW,), (0.0001433531621292609, 0), (0.0014671795611531403, 1576), {"alpha": -0.6636599160860628}))
    if opcode == "RELU6":
        cs += [((INT16_ROW,), (1e-4, -32768), (1e-4, 0), {}), ((INT16_ROW,), (6.0 / 32767, 0), (0.1, 0), {})]
    check_every_int16(parallel_model(opcode, cs, dtype="int16"))


@pytest.mark.parametrize("opcode,options", [("RELU", {}), ("RELU6", {}), ("LEAKY_RELU", {"alpha": -0.3}),
                                            ("LEAKY_RELU", {"alpha": 0.1})])
def test_relu_family_s16_small(opcode, options, bit_exact):
    rng = np.random.default_rng(len(opcode))
    zp = opcode != "RELU"
    cs = [((2, 3, 5), rand_q16(rng, zp), rand_q16(rng, zp), options), ((7,), (0.001, 0), (0.001, 0), options)]
    bit_exact(parallel_model(opcode, cs, dtype="int16"), count=8, sanitize=opcode == "LEAKY_RELU")


def test_relu_s16_rules():
    def model(zi, zo):
        return single_op_model("RELU", [TensorSpec((2, 4), "int16", 0.001, zi)], [TensorSpec((2, 4), "int16", 0.001, zo)])
    assert rule_problems(model(0, 0)) == []
    for zi, zo in ((3, 0), (0, -2)):
        assert tflm_rejects(model(zi, zo)) and any("zero point" in m for m in rule_problems(model(zi, zo)))
    for op in ("RELU6", "LEAKY_RELU"):
        m = single_op_model(op, [TensorSpec((2, 4), "int16", 0.001, 5)], [TensorSpec((2, 4), "int16", 0.002, 7)])
        assert not tflm_rejects(m) and rule_problems(m) == []
    mixed = single_op_model("RELU", [TensorSpec((2, 4), "int16", 0.001, 0)], [TensorSpec((2, 4), "int8", 0.001, 0)])
    assert any("is not supported" in m for m in rule_problems(mixed))
