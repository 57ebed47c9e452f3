"""LOGISTIC and TANH, int16, against TFLM: every int16 value through power-of-two and general input scales
(the table recipe with its multiplier/shift search), small random cases on the boards, and the rules."""
import numpy as np
import pytest

from mcugen.ops.logistic_tanh import sigmoid_s16_params, sigmoid_table_s16
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects

from tests.ops.unary_cases import INT16_ROW, check_every_int16, parallel_model

OUT = (1.0 / 32768, 0)
SCALES = [2.0 ** -12, 2.0 ** -11, 2.0 ** -13, 2.0 ** -15, 2.0 ** -5, 10.7 / 32768, 1e-5, 0.001, 0.01, 2.5,
          2.0 ** -12 * 1.0004]  # the last one is within CheckedLog2's tolerance: TFLM treats it as 2^-12


@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
def test_sigmoid_s16_every_value(opcode):
    rng = np.random.default_rng(3 if opcode == "TANH" else 4)
    scales = SCALES + [float(np.exp(rng.uniform(np.log(2.0 ** -15), np.log(0.05)))) for _ in range(5)]
    check_every_int16(parallel_model(opcode, [((INT16_ROW,), (s, 0), OUT, {}) for s in scales], dtype="int16"))


@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
def test_sigmoid_s16_small(opcode, bit_exact):
    cases = [((3, 5), (2.0 ** -12, 0), OUT, {}), ((2, 1, 7), (0.0007, 0), OUT, {})]
    bit_exact(parallel_model(opcode, cases, dtype="int16"), count=8, sanitize=True)


def test_sigmoid_s16_params():
    assert sigmoid_s16_params(2.0 ** -12, tanh=False) == (3, 0)
    assert sigmoid_s16_params(2.0 ** -11, tanh=True) == (6, 0)
    assert sigmoid_s16_params(2.0 ** -11, tanh=False)[1] > 0  # LOGISTIC has no power-of-two path there
    t = sigmoid_table_s16()
    assert t.size == 256 and t[0] == 32768 and t[-1] == 65535 and (np.diff(t.astype(int)) >= 0).all()


def _model(opcode, si=2.0 ** -12, zi=0, so=1.0 / 32768, zo=0):
    return single_op_model(opcode, [TensorSpec((2, 4), "int16", si, zi)], [TensorSpec((2, 4), "int16", so, zo)])


@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
def test_sigmoid_s16_rules(opcode):
    assert rule_problems(_model(opcode)) == []
    for kw in ({"zi": 1}, {"zo": -5}, {"so": 1.0 / 256}, {"so": 1.0 / 30000}):
        m = _model(opcode, **kw)
        assert tflm_rejects(m), kw
        assert rule_problems(m), kw
    assert any("too large" in p for p in rule_problems(_model(opcode, si=3.0)))
    assert rule_problems(_model(opcode, so=1.0 / 32768 * 1.0004)) == []  # CheckedLog2 tolerates 0.1%
