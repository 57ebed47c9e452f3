"""The plain C depthwise paths of the cores without DSP, against TFLM:
  - mcu_depthwise_conv_s8's interior pixels (the whole window inside the image: no bounds checks, the taps
    one pointer step apart, a one-column filter walked as one row of taps) and its border pixels, over
    seeded random shapes: 1-D filters (k x 1 and 1 x k, str_ww's layers), 2-D filters, depth multipliers
    2 to 4, strides, dilations, SAME and VALID, filters of more than 96 taps (the general kernel on every
    core), TFLM's (slow) requantization and the fast one;
  - mcu_depthwise_conv_3x3_s8's Thumb-1 path (one channel at a time, byte loads through the tap pointers,
    the 16-bit-halves high multiply of MCU_MUL16), cortex-m0 only.
Each on the host (once under ASan/UBSan), cortex-m0 (Armv6-M) and cortex-m3 (Armv7-M without DSP) under
QEMU; the general-kernel shapes also on cortex-m4, where a depth multiplier of 3 or a large filter takes it."""
import numpy as np
import pytest

from tests.conftest import assert_bit_exact, need_arm_tools
from tests.ops.test_depthwise_dsp import ACTS, _case, _kernels, _model

# channels, extra options of _case: shapes the general kernel (mcu_depthwise_conv_s8) takes on every core
GENERAL = [
    (8, {"k": (5, 1), "size": (12, 1), "pad": "VALID"}),                 # str_ww: a column of taps
    (6, {"k": (10, 1), "size": (15, 1), "pad": "VALID", "stride": (2, 1)}),
    (5, {"k": (1, 4), "size": (3, 9)}),                                  # a row of taps, SAME borders
    (3, {"k": (2, 3), "dm": 3, "size": (6, 7)}),                         # depth multiplier 3
    (2, {"k": (3, 3), "dm": 2, "size": (7, 6), "dil": (2, 1)}),          # dm 2: not the 3x3 kernel
    (4, {"k": (4, 4), "dm": 4, "size": (8, 8), "stride": (2, 2), "pad": "VALID"}),
    (3, {"k": (11, 10), "size": (13, 12), "pad": "VALID"}),              # 110 taps: more than the DSP path's
    (7, {"k": (3, 2), "size": (5, 6), "slow": True}),                    # TFLM's requantization
    (2, {"k": (7, 1), "size": (9, 1), "dm": 2, "pad": "SAME", "per_channel": False}),
    (9, {"k": (3, 1), "size": (30, 1), "pad": "VALID", "batches": 2}),
]
# 3x3, depth multiplier 1: the 3x3 kernel (its Thumb-1 path on cortex-m0)
THREE = [
    (16, {"size": (6, 5)}), (13, {"size": (5, 4)}), (7, {"size": (5, 6), "stride": (2, 2)}),
    (6, {"size": (7, 6), "dil": (2, 2)}), (5, {"size": (5, 1)}), (3, {"size": (4, 5), "slow": True}),
    (11, {"size": (4, 4), "per_channel": False, "batches": 2}), (17, {"size": (5, 5), "huge_bias": True}),
]
PER_MODEL = 2  # two layers a model: cortex-m0 has 16 KB of RAM for the harness and every layer's tensors


def _models(table, seed):
    rng = np.random.default_rng(seed)
    cases = [_case(rng, c, act=ACTS[j % 4], **extra) for j, (c, extra) in enumerate(table)]
    return [_model(*cases[i:i + PER_MODEL]) for i in range(0, len(cases), PER_MODEL)]


@pytest.mark.parametrize("index", range(-(-len(GENERAL) // PER_MODEL)))
def test_general_kernel_host_and_cores_without_dsp(index):
    model = _models(GENERAL, 71)[index]
    assert set(_kernels(model)) == {"depthwise_conv_s8"}
    assert_bit_exact(model, count=3, sanitize=index == 0)
    need_arm_tools()
    assert_bit_exact(model, count=2, boards=("cortex-m0", "cortex-m3"))


def test_general_kernel_on_cortex_m4():
    """The same shapes on a DSP core, where the depth multipliers 2 and 3, and the 110-tap filter, take the
    general kernel's plain C too."""
    need_arm_tools()
    for model in _models(GENERAL, 72)[1:4]:
        assert_bit_exact(model, count=2, boards=("cortex-m4",))


@pytest.mark.parametrize("index", range(-(-len(THREE) // PER_MODEL)))
def test_3x3_kernel_thumb1(index):
    need_arm_tools()
    model = _models(THREE, 73)[index]
    assert set(_kernels(model)) == {"depthwise_conv_3x3_s8"}
    assert_bit_exact(model, count=2, boards=("cortex-m0",))
