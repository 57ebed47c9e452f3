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
    is for multiplier 1), bit-exact; 10x10 = 100 taps stays on plain C. With one input channel the 10x8 case
    takes the one-input-channel kernel (mcu_depthwise_conv_1ch_s8.c) on cortex-m4."""
    from mcugen.compiler import compile_bytes
    cases = []
    for i, (c, extra) in enumerate([(1, {"k": (10, 8), "dm": 8, "stride": (2, 2), "size": (13, 12)}),
                                    (2, {"k": (9, 9), "dm": 4, "size": (10, 11), "pad": "SAME"}),
                                    (1, {"k": (10, 10), "dm": 4, "size": (11, 10)})]):
        cases.append(_case(np.random.default_rng(950 + i), c, act=ACTS[i], **extra))
    model = _model(*cases)
    layers = compile_bytes(model, "m", board="cortex-m4").project.layers
    assert [dict(L.fields)["weights"] != "NULL" for L in layers] == [True, True, False]
    assert [L.function for L in layers] == ["depthwise_conv_1ch_s8", "depthwise_conv_s8", "depthwise_conv_s8"]
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
    # a DSP layout: the older one's int16 weights, or the 1-D path's stream in quant (1 x k and k x 1 filters)
    assert all(dict(L.fields)["weights"] != "NULL" or dict(L.fields)["quant"] != "NULL" for L in layers)
    assert_bit_exact(model, count=3, boards=("cortex-m4",))



# Layout 2 (p->mve == 2: 16 channels a group in assembly, TFLM's requantization by VQRDMULH + VRSHL): 3x3
# layers with whole groups and tails of 1..15 channels (the predicated group), other tap counts, strides,
# dilation, a bias of 2^30 (accumulators near the int32 edge), per-tensor weights, and weights of -128.
MVE2_CASES = [
    (16, {}), (64, {"size": (5, 6)}), (41, {"stride": (2, 2), "size": (7, 9)}), (17, {"dil": (2, 2)}),
    (32, {"pad": "VALID", "per_channel": False}), (31, {"k": (1, 5), "size": (3, 9)}), (48, {"huge_bias": True}),
    (24, {"k": (2, 2), "stride": (2, 1), "batches": 2}),
]
# 3x3 layers of fewer than 16 channels (only the predicated group), vww's 8 among them
MVE2_SMALL = [(8, {"size": (7, 8)}), (5, {"stride": (2, 2)}), (13, {"pad": "VALID", "size": (6, 5)}), (1, {})]


def _mve2_model(first, count):
    cases = []
    for i in range(first, first + count):
        rng = np.random.default_rng(980 + i)
        c, extra = MVE2_CASES[i]
        inputs, output, options = _case(rng, c, act=ACTS[i % 4], **extra)
        if i == 3:  # weights of -128 (int16 products up to 2^14) in a few channels
            inputs[1].data.reshape(-1)[::5] = -128
        cases.append((inputs, output, options))
    return _model(*cases)


def test_mve2_plan_is_chosen():
    """With every shift <= -1 the m55 takes layout 2 from 16 channels (any count for 3x3 filters); other
    filters with fewer channels, or a multiplier >= 0.5 (shift >= 0), keep layout 1."""
    from mcugen.compiler import compile_bytes
    graph = compile_bytes(_mve2_model(0, len(MVE2_CASES)), "m").graph
    plans = [plan_depthwise(op, DepthwiseConv2D().geometry(op), frozenset({"dsp", "mve"})) for op in graph.operators]
    from mcugen.ops.conv import per_channel_multipliers
    want = [2 if int(per_channel_multipliers(op, op.outputs[0].shape[-1])[1].max()) <= -1 else 1
            for op in graph.operators]
    assert [p.mve for p in plans] == want and want.count(2) >= 7
    rng = np.random.default_rng(5)
    for c, extra, want in [(8, {"k": (2, 2)}, 1), (20, {"slow": True}, 1)]:
        graph = compile_bytes(_model(_case(rng, c, **extra)), "m").graph
        op = graph.operators[0]
        assert plan_depthwise(op, DepthwiseConv2D().geometry(op), frozenset({"dsp", "mve"})).mve == want


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("part", range(2))
def test_depthwise_mve2_bit_exact(part):
    assert_bit_exact(_mve2_model(4 * part, 4), count=3, boards=M55)


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_depthwise_mve2_small_bit_exact():
    cases = [_case(np.random.default_rng(1100 + i), c, act=ACTS[i % 4], **extra) for i, (c, extra) in enumerate(MVE2_SMALL)]
    from mcugen.compiler import compile_bytes
    from mcugen.ops.conv import per_channel_multipliers
    graph = compile_bytes(_model(*cases), "m").graph
    for op in graph.operators:
        shift = per_channel_multipliers(op, op.outputs[0].shape[-1])[1]
        assert plan_depthwise(op, DepthwiseConv2D().geometry(op), frozenset({"dsp", "mve"})).mve == \
            (2 if shift.max() <= -1 else 1)
    assert_bit_exact(_model(*cases), count=3, boards=M55)


@pytest.mark.skipif(not (have_arm_tools() and __import__("os").environ.get("MCUGEN_LONG")),
                    reason="long sweep: MCUGEN_LONG=1 (and the Arm tools)")
@pytest.mark.parametrize("seed", range(8))
def test_depthwise_mve2_sweep(seed):
    rng = np.random.default_rng(9900 + seed)
    cases = []
    for j in range(4):
        k = [(3, 3), (3, 3), (1, int(rng.integers(2, 16))), (int(rng.integers(1, 6)), int(rng.integers(1, 6)))][j]
        size = (k[0] + int(rng.integers(0, 5)), k[1] + int(rng.integers(0, 5)))
        cases.append(_case(rng, int(rng.integers(1, 90)), k=k, stride=(int(rng.integers(1, 3)),) * 2, size=size,
                           pad=["SAME", "VALID"][j % 2], act=ACTS[(seed + j) % 4]))
    assert_bit_exact(_model(*cases), count=3, boards=M55)


# Layout 3 (p->mve == 3: one input channel, depth multiplier >= 2, filter rows of 5 to 8 taps, the window
# clipped to the image on TFLM's unfolded bias): micro_speech's 10x8 filter with multiplier 8 and stride 2,
# windows clipped on every side, channel tails of 1..3 past the blocks of 4, dilation in height.
MVE3_CASES = [
    {"k": (10, 8), "dm": 8, "stride": (2, 2), "size": (13, 12)}, {"k": (4, 5), "dm": 5, "size": (6, 7)},
    {"k": (3, 8), "dm": 2, "pad": "VALID", "size": (3, 11)}, {"k": (4, 7), "dm": 3, "dil": (2, 1), "size": (9, 9)},
    {"k": (4, 6), "dm": 6, "stride": (1, 3), "batches": 2, "size": (4, 8)}, {"k": (5, 8), "dm": 4, "size": (4, 5)},
]


def test_mve3_plan_is_chosen():
    from mcugen.compiler import compile_bytes
    cases = [_case(np.random.default_rng(1200 + i), 1, **extra) for i, extra in enumerate(MVE3_CASES)]
    graph = compile_bytes(_model(*cases), "m").graph
    assert [plan_depthwise(op, DepthwiseConv2D().geometry(op), frozenset({"dsp", "mve"})).mve
            for op in graph.operators] == [3] * len(MVE3_CASES)


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_depthwise_mve3_bit_exact():
    cases = [_case(np.random.default_rng(1200 + i), 1, act=ACTS[i % 4], **extra) for i, extra in enumerate(MVE3_CASES)]
    assert_bit_exact(_model(*cases), count=3, boards=M55)


@pytest.mark.skipif(not (have_arm_tools() and __import__("os").environ.get("MCUGEN_LONG")),
                    reason="long sweep: MCUGEN_LONG=1 (and the Arm tools)")
@pytest.mark.parametrize("seed", range(6))
def test_depthwise_mve3_sweep(seed):
    rng = np.random.default_rng(9950 + seed)
    cases = []
    for j in range(4):
        k = (int(rng.integers(4, 11)), int(rng.integers(5, 9)))
        size = (k[0] + int(rng.integers(0, 6)), k[1] + int(rng.integers(0, 6)))
        cases.append(_case(rng, 1, k=k, dm=int(rng.integers(2, 11)), stride=(int(rng.integers(1, 3)),) * 2,
                           size=size, pad=["SAME", "VALID"][j % 2], act=ACTS[(seed + j) % 4]))
    assert_bit_exact(_model(*cases), count=3, boards=M55)


# Layout 4 (p->mve == 4: one input channel, depth multiplier >= 2, other filters than layout 3's; channels in
# int32 lanes, TFLM's requantization for any shift): person_detect's 3x3 stride-2 filter with multiplier 8,
# channel tails of 1..3, a multiplier >= 0.5 (shift >= 0), padding on every side, per-tensor weights.
MVE4_CASES = [
    {"k": (3, 3), "dm": 8, "stride": (2, 2), "size": (9, 10)}, {"k": (3, 3), "dm": 5, "slow": True},
    {"k": (1, 1), "dm": 3, "per_channel": False}, {"k": (2, 4), "dm": 6, "pad": "VALID", "size": (5, 7)},
    {"k": (5, 3), "dm": 2, "dil": (1, 2), "batches": 2}, {"k": (1, 9), "dm": 7, "size": (3, 12), "huge_bias": True},
]


def test_mve4_plan_is_chosen():
    from mcugen.compiler import compile_bytes
    cases = [_case(np.random.default_rng(1300 + i), 1, **extra) for i, extra in enumerate(MVE4_CASES)]
    graph = compile_bytes(_model(*cases), "m").graph
    assert [plan_depthwise(op, DepthwiseConv2D().geometry(op), frozenset({"dsp", "mve"})).mve
            for op in graph.operators] == [4] * len(MVE4_CASES)


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_depthwise_mve4_bit_exact():
    cases = [_case(np.random.default_rng(1300 + i), 1, act=ACTS[i % 4], **extra) for i, extra in enumerate(MVE4_CASES)]
    assert_bit_exact(_model(*cases), count=3, boards=M55)


@pytest.mark.skipif(not (have_arm_tools() and __import__("os").environ.get("MCUGEN_LONG")),
                    reason="long sweep: MCUGEN_LONG=1 (and the Arm tools)")
@pytest.mark.parametrize("seed", range(6))
def test_depthwise_mve4_sweep(seed):
    rng = np.random.default_rng(9970 + seed)
    cases = []
    for j in range(4):
        k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        size = (k[0] + int(rng.integers(0, 6)), k[1] + int(rng.integers(0, 6)))
        cases.append(_case(rng, 1, k=k, dm=int(rng.integers(2, 12)), stride=(int(rng.integers(1, 3)),) * 2,
                           size=size, pad=["SAME", "VALID"][j % 2], act=ACTS[(seed + j) % 4], slow=j == 3))
    assert_bit_exact(_model(*cases), count=3, boards=M55)


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_depthwise_mve_layouts_reverse(monkeypatch):
    """Layouts 2, 3 and 4 producing their pixels last to first (the order the planner asks for when an output
    overlaps its input from below), over two batches, on cortex-m55."""
    from mcugen.compiler import compile_bytes
    from tests.ops.test_depthwise_dsp import _reverse_everything
    cases = [_case(np.random.default_rng(1400), 19, stride=(2, 1), batches=2),
             _case(np.random.default_rng(1401), 20, k=(1, 5), batches=2),
             _case(np.random.default_rng(1402), 1, dm=4, k=(5, 6), size=(7, 8), batches=2),
             _case(np.random.default_rng(1403), 1, dm=8, stride=(2, 2), size=(7, 9), batches=2)]
    model = _model(*cases)
    _reverse_everything(monkeypatch)
    compiled = compile_bytes(model, "m", board="cortex-m55")
    assert sorted(dict(L.fields)["mve"] for L in compiled.project.layers) in ([2, 2, 3, 4], [1, 2, 3, 4], [1, 1, 3, 4])
    assert all(dict(L.fields)["reverse"] == 1 for L in compiled.project.layers)
    assert_bit_exact(model, count=3, boards=M55)


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_depthwise_mve2_overlapping_chain():
    """Chained 3x3 layers (layout 2, 24 channels: a full group and a predicated one) whose outputs the planner
    lays over their inputs, in whichever direction it picks, on cortex-m55."""
    from mcugen.compiler import compile_bytes
    from mcugen.testing.builder import OpSpec, TensorSpec, build_model
    from mcugen.testing.random_quant import rand_bias, rand_weights
    rng = np.random.default_rng(15)
    c = 24
    t = [TensorSpec((1, 9, 7, c), "int8", 0.05, 2)]
    ops = []
    for j in range(3):
        wt, ws = rand_weights(rng, (1, 3, 3, c), True, axis=3)
        t.append(TensorSpec(wt.shape, "int8", ws, [0] * c, quantized_dimension=3, data=wt))
        t.append(TensorSpec((c,), "int32", [0.05 * s for s in ws], [0] * c, data=rand_bias(rng, c)))
        t.append(TensorSpec((1, 9, 7, c), "int8", 0.5 + 0.1 * j, j - 3))
        ops.append(OpSpec("DEPTHWISE_CONV_2D", [len(t) - 4, len(t) - 3, len(t) - 2], [len(t) - 1],
                          {"padding": "SAME", "depth_multiplier": 1, "fused_activation_function": "RELU"}))
    model = build_model(t, ops, [0], [len(t) - 1])
    compiled = compile_bytes(model, "m", board="cortex-m55")
    assert compiled.plan.overlaps and all(dict(L.fields)["mve"] == 2 for L in compiled.project.layers)
    assert_bit_exact(model, count=3, boards=M55)
