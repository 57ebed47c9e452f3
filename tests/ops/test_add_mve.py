"""The Helium (MVE) flat loop of ADD and SUB int8 (mcu_add_impl.h, MCU_ADD_MVE_S8) on cortex-m55 under
QEMU, bit-exact with TFLM: sizes that leave 1..3 elements in the last (predicated) vector, every fused
activation, random scales, and the scale pairs of test_add_sub.py where rounding details matter, over
flat tensors whose constant second input holds every int8 value against random first inputs."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant
from tests.conftest import assert_bit_exact, have_arm_tools
from tests.ops.binary_cases import ACTS, out_quant
from tests.ops.test_add_sub import PAIR_CASES

M55 = ("cortex-m55",)
pytestmark = pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")


@pytest.mark.parametrize("seed", range(4))
def test_add_sub_flat_mve(seed):
    rng = np.random.default_rng(300 + seed)
    op = "ADD" if seed % 2 == 0 else "SUB"
    shape = [(1, 7), (2, 3, 5), (1, 16, 16, 3), (33,)][seed]
    act = ACTS[seed % 4]
    (s1, z1), (s2, z2) = rand_act_quant(rng), rand_act_quant(rng)
    const = seed % 3 == 1
    data = rng.integers(-128, 128, size=shape, dtype=np.int8) if const else None
    so, zo = out_quant(rng, op, (s1, z1), (s2, z2), act, data)
    model = single_op_model(op, [TensorSpec(shape, "int8", s1, z1), TensorSpec(shape, "int8", s2, z2, data=data)],
                            [TensorSpec(shape, "int8", so, zo)], {"fused_activation_function": act})
    assert_bit_exact(model, count=4, boards=M55)


@pytest.mark.parametrize("case", PAIR_CASES, ids=["add-double", "sub-double", "sub-not-negated-add"])
def test_add_sub_pairs_flat_mve(case):
    op, s1, z1, s2, z2, so, zo = case
    row = np.tile(np.arange(-128, 128, dtype=np.int8), 64).reshape(64, 256)
    model = single_op_model(op, [TensorSpec((64, 256), "int8", s1, z1),
                                 TensorSpec((64, 256), "int8", s2, z2, data=row)],
                            [TensorSpec((64, 256), "int8", so, zo)])
    assert_bit_exact(model, count=6, boards=M55)
