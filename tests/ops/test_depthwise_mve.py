"""The Helium (MVE) path of DEPTHWISE_CONV_2D (mcu_depthwise_conv_s8.c, p->mve) on cortex-m55 under QEMU,
bit-exact with TFLM: depth multiplier 1, channel counts below, at and past 16 with tails of 1..3 (the
predicated last block), 3x3 and other kernels, stride, dilation, padding on every side, every fused
activation, TFLM's requantization (a real multiplier >= 0.5) and per-tensor weights. The host runs the
same models through its plain C path (the generator emits the Helium layout only for the m55 board)."""
from __future__ import annotations

import numpy as np
import pytest

from mcugen.ops.conv import DepthwiseConv2D, plan_depthwise
from mcugen.testing.builder import single_op_model
from tests.conftest import assert_bit_exact, have_arm_tools
from tests.ops.test_depthwise_dsp import _case, _model

ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
M55 = ("cortex-m55",)

CASES = [
    (16, {}), (19, {"stride": (2, 2)}), (3, {"pad": "VALID"}), (37, {"dil": (2, 2)}),
    (1, {"stride": (2, 1)}), (6, {"batches": 2, "per_channel": False}), (33, {"slow": True}),
    (22, {"k": (1, 5), "pad": "VALID"}), (9, {"k": (4, 2), "stride": (1, 2)}), (18, {"k": (5, 5)}),
    (13, {"k": (1, 15), "size": (3, 17)}), (30, {"k": (7, 1), "stride": (2, 2)}),
]


def test_mve_plan_is_chosen():
    """The m55's features give the Helium layout for depth multiplier 1; other boards keep theirs."""
    rng = np.random.default_rng(1)
    inputs, output, options = _case(rng, 19)
    model = single_op_model("DEPTHWISE_CONV_2D", inputs, [output], options)
    from mcugen.compiler import compile_bytes
    graph_op = compile_bytes(model, "m").graph.operators[0]
    geo = DepthwiseConv2D().geometry(graph_op)
    assert plan_depthwise(graph_op, geo, frozenset({"dsp", "mve"})).mve
    assert not plan_depthwise(graph_op, geo, frozenset({"dsp"})).mve


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("part", range(3))
def test_depthwise_mve_bit_exact(part):
    cases = []
    for i in range(4 * part, 4 * part + 4):
        rng = np.random.default_rng(900 + i)
        c, extra = CASES[i]
        cases.append(_case(rng, c, act=ACTS[i % 4], **extra))
    assert_bit_exact(_model(*cases), count=4, boards=M55)


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_large_filters_dsp_path():
    """Depth multiplier a multiple of 4 with up to 96 taps (micro_speech's 10x8 filter, multiplier 8,
    stride 2; an odd 9x9 = 81 taps) take the DSP path on cortex-m4 (and on cortex-m55, whose Helium path
    is for multiplier 1), bit-exact; 10x10 = 100 taps stays on plain C."""
    from mcugen.compiler import compile_bytes
    cases = []
    for i, (c, extra) in enumerate([(1, {"k": (10, 8), "dm": 8, "stride": (2, 2), "size": (13, 12)}),
                                    (2, {"k": (9, 9), "dm": 4, "size": (10, 11), "pad": "SAME"}),
                                    (1, {"k": (10, 10), "dm": 4, "size": (11, 10)})]):
        cases.append(_case(np.random.default_rng(950 + i), c, act=ACTS[i], **extra))
    model = _model(*cases)
    layers = compile_bytes(model, "m", board="cortex-m4").project.layers
    assert [dict(L.fields)["weights"] != "NULL" for L in layers] == [True, True, False]
    assert_bit_exact(model, count=3, boards=("cortex-m4", "cortex-m55"))


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_multiplier_one_dsp_path():
    """Depth multiplier 1 outside the 3x3 kernel (str_ww's 1-D filters of 3 to 15 taps, odd and even tap
    counts, channel tails of 1..3) takes the general kernel's DSP path on cortex-m4, bit-exact."""
    from mcugen.compiler import compile_bytes
    cases = []
    for i, (c, extra) in enumerate([(13, {"k": (1, 15), "size": (2, 17)}), (6, {"k": (1, 4), "stride": (1, 2)}),
                                    (9, {"k": (5, 1), "dil": (2, 1), "size": (12, 3)}),
                                    (16, {"k": (2, 2), "pad": "VALID", "slow": True}),
                                    (3, {"k": (7, 7), "size": (8, 8)})]):
        cases.append(_case(np.random.default_rng(970 + i), c, act=ACTS[i % 4], **extra))
    model = _model(*cases)
    layers = compile_bytes(model, "m", board="cortex-m4").project.layers
    assert all(dict(L.fields)["weights"] != "NULL" for L in layers)
    assert_bit_exact(model, count=3, boards=("cortex-m4",))

