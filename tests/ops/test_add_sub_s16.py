"""ADD and SUB, int16 (16x8 scheme), against TFLM: random broadcast shapes of rank 1-6, power-of-two and general
scales, the pot_scale_int16 option both ways, non-zero zero points (TFLM accepts them for ADD/SUB), fused
activations, and the int16 extremes (the first two samples are all -32768 and all 32767)."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects

from tests.ops.binary_cases import ACTS, out_quant_s16, out_shape, rand_inputs, rand_quant_s16

KINDS = ["same", "scalar", "one", "channel", "cross", "random", "random", "random"]


def _case(seed):
    rng = np.random.default_rng(1000 + seed)
    op = "ADD" if seed % 2 == 0 else "SUB"
    kind = KINDS[seed % len(KINDS)]
    a, b = rand_inputs(rng, kind)
    act = ACTS[(seed // 2) % 4]
    pot = seed % 4 < 2  # power-of-two scales, zero points 0: what the converter's 16x8 mode writes
    q1, q2 = rand_quant_s16(rng, pot), rand_quant_s16(rng, pot)
    so, zo = out_quant_s16(rng, op, q1, q2, act, pot=pot, zero_point=True)
    const = seed % 3 == 1 or len(b) == 0
    data = rng.integers(-32768, 32768, size=b, dtype=np.int16) if const else None
    options = {"fused_activation_function": act, "pot_scale_int16": bool(seed % 3)}
    return single_op_model(op, [TensorSpec(a, "int16", *q1), TensorSpec(b, "int16", *q2, data=data)],
                           [TensorSpec(out_shape(a, b), "int16", so, zo)], options)


@pytest.mark.parametrize("seed", range(16))
def test_add_sub_s16_random(seed, bit_exact):
    bit_exact(_case(seed), sanitize=seed in (3, 4))


@pytest.mark.parametrize("op", ["ADD", "SUB"])
@pytest.mark.parametrize("pot_option", [True, False])
def test_add_sub_s16_pot_scales(op, pot_option, bit_exact):
    """Power-of-two scales with zero points 0, under either value of pot_scale_int16: TFLM runs the general
    recipe either way. A constant row of extremes and near-halves meets a column of random values."""
    row = np.array([-32768, -32767, -16385, -3, -2, -1, 0, 1, 2, 3, 16383, 32766, 32767] * 4, np.int16).reshape(1, -1)
    model = single_op_model(op, [TensorSpec((16, 1), "int16", 2.0 ** -12, 0),
                                 TensorSpec(row.shape, "int16", 2.0 ** -10, 0, data=row)],
                            [TensorSpec((16, row.shape[1]), "int16", 2.0 ** -10, 0)],
                            {"pot_scale_int16": pot_option})
    bit_exact(model, count=12)


def _problems(op, dtypes=("int16", "int16", "int16"), zp=0, so=2.0 ** -10):
    model = single_op_model(op, [TensorSpec((2, 3), dtypes[0], 2.0 ** -10, zp), TensorSpec((3,), dtypes[1], 2.0 ** -10, 0)],
                            [TensorSpec((2, 3), dtypes[2], so, 0)])
    return model, rule_problems(model)


@pytest.mark.parametrize("op", ["ADD", "SUB"])
def test_add_sub_s16_rules(op):
    assert _problems(op)[1] == []
    assert _problems(op, zp=7)[1] == []           # TFLM's int16 ADD/SUB take any zero point
    assert not tflm_rejects(_problems(op, zp=7)[0])
    for dtypes in (("int16", "int8", "int16"), ("int16", "int16", "int8"), ("int8", "int8", "int16")):
        assert any("is not supported" in m for m in _problems(op, dtypes)[1]), dtypes
    # 2 * max input scale / (2^15 * output scale) >= 1 (TFLM aborts in Prepare)
    assert any("rescale" in m for m in _problems(op, so=2.0 ** -10 / 2 ** 14)[1])
    assert _problems(op, so=1.01 * 2.0 ** -10 / 2 ** 14)[1] == []
