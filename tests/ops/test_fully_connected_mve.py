"""The Helium (MVE) path of FULLY_CONNECTED (mcu_fully_connected_s8.c, p->mve) on cortex-m55 under QEMU,
bit-exact with TFLM: unit counts leaving every partial block of 4 units, depths below, at and past 16
with tails of 1..15 (the predicated last vector), per-tensor and per-channel quantization, asymmetric
per-tensor weights, both requantizations, no bias, batches, every fused activation."""
import numpy as np
import pytest

from mcugen.ops.fully_connected import pack_fc_weights_mve
from tests.conftest import assert_bit_exact, have_arm_tools
from tests.ops.test_fully_connected_dsp import _case, _model

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
M55 = ("cortex-m55",)

CASES = [  # units, depth, extra
    (1, 1, {}), (4, 16, {}), (5, 17, {"per_channel": True}), (6, 31, {"batches": 3}),
    (7, 3, {"filter_zp": 5}), (12, 64, {"slow": True}), (3, 100, {"bias": False}), (9, 15, {"per_channel": True}),
    (2, 33, {"big": True}), (13, 250, {"per_channel": True}), (8, 47, {"filter_zp": -3, "batches": 2}),
    (11, 640, {"big": True}),
]


def test_pack_fc_weights_mve():
    w = np.arange(-6, 9, dtype=np.int8).reshape(3, 5)
    words = pack_fc_weights_mve(w)
    rows = words.view(np.int8).reshape(3, 8)
    assert (rows[:, :5] == w).all() and (rows[:, 5:] == 0).all()


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("part", range(3))
def test_fully_connected_mve_bit_exact(part):
    cases = []
    for i in range(4 * part, 4 * part + 4):
        rng = np.random.default_rng(700 + i)
        units, depth, extra = CASES[i]
        cases.append(_case(rng, units, depth, act=ACTS[i % 4], **extra))
    assert_bit_exact(_model(*cases), count=4, boards=M55)
