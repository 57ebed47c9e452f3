"""The general depthwise kernel's 1-D DSP path (mcu_depthwise_conv_s8.c, `quant` set: depth multiplier 1, a
filter of one column k x 1 or one row 1 x k, the fast requantization) against TFLM: interior windows (one
asm block per pixel, one pointer walking the window), windows reaching outside the image (tap pointers at the
zero-point pad) and the partial last group of 1 to 3 channels, on cortex-m4 and cortex-m33 under QEMU; the
same layers on the host (plain C, the first model also under ASan/UBSan). Seeded random shapes: every tap
count 1..15 (odd ones: the last tap alone, no zero partner), odd and non-multiple-of-4 channel counts,
stride 1 and 2, dilation, SAME and VALID, images one pixel wide or high, per-tensor weights, batches, the
reverse pixel order; and the fallbacks (TFLM's requantization, a multiplier of 2, 2-D filters) keeping the
other paths."""
import numpy as np
import pytest

from mcugen.compiler import compile_bytes
from tests.conftest import assert_bit_exact, need_arm_tools
from tests.ops.test_depthwise_dsp import ACTS, _case, _model

BOARDS = ("cortex-m4", "cortex-m33")

# channels, extra options of _case; every case takes the 1-D path on a DSP board
CASES = [
    (16, {"k": (5, 1), "size": (12, 1), "pad": "VALID"}),        # str_ww's shape: whole groups, interior only
    (13, {"k": (1, 3), "size": (1, 9)}),                         # one pixel high, SAME edges, tail of 1
    (7, {"k": (15, 1), "size": (17, 1), "pad": "VALID"}),        # 15 taps, tail of 3
    (6, {"k": (4, 1), "size": (9, 3), "stride": (2, 1)}),        # a column filter in a wider image, stride 2
    (9, {"k": (1, 7), "size": (3, 16), "dil": (1, 2)}),          # a row filter, dilation
    (40, {"k": (3, 1), "size": (30, 1), "pad": "VALID"}),        # str_ww's first layer
    (5, {"k": (1, 1), "size": (4, 5)}),                          # one tap: no pair
    (4, {"k": (2, 1), "size": (5, 1)}),                          # one pair, no odd tap
    (12, {"k": (10, 1), "size": (24, 1), "pad": "VALID"}),       # str_ww's third depthwise layer
    (3, {"k": (1, 6), "size": (2, 8), "stride": (1, 2)}),        # no whole group at all
    (8, {"k": (9, 1), "size": (9, 1), "pad": "VALID"}),          # one output pixel (str_ww's last)
    (11, {"k": (1, 11), "size": (1, 11), "per_channel": False, "batches": 2}),
    (10, {"k": (13, 1), "size": (16, 1), "stride": (2, 1), "dil": (1, 1)}),
    (17, {"k": (1, 12), "size": (2, 14), "pad": "VALID"}),
    (20, {"k": (14, 1), "size": (15, 2), "dil": (1, 1)}),
    (2, {"k": (8, 1), "size": (20, 1), "dil": (2, 1), "stride": (2, 1)}),  # dilated column, stride 2
    (24, {"k": (1, 5), "size": (1, 1)}),                         # a 1x1 image: every tap but one at the pad
]
# the fallbacks: TFLM's requantization, a huge bias (no fast proof), multiplier 2, a 2-D filter
FALLBACKS = [
    (6, {"k": (5, 1), "size": (9, 1), "slow": True}),
    (8, {"k": (1, 7), "size": (3, 9), "huge_bias": True}),
    (3, {"k": (3, 1), "size": (7, 2), "dm": 2}),
    (5, {"k": (2, 3), "size": (6, 6)}),
]
PER_MODEL = 5


def _cases(seed, specs=CASES):
    rng = np.random.default_rng(seed)
    return [_case(rng, c, act=ACTS[j % 4], **extra) for j, (c, extra) in enumerate(specs)]


def _models(seed=42, specs=CASES):
    cases = _cases(seed, specs)
    return [_model(*cases[i:i + PER_MODEL]) for i in range(0, len(cases), PER_MODEL)]


def _layers(model, board):
    return compile_bytes(model, "m", board=board).project.layers


def test_every_tap_count_is_covered():
    taps = {extra["k"][0] * extra["k"][1] for _, extra in CASES}
    assert taps >= set(range(1, 16))


@pytest.mark.parametrize("index", range(-(-len(CASES) // PER_MODEL)))
def test_1d_layout_is_chosen(index):
    """On a DSP board every case takes the 1-D path (its stream in `quant`, no int16 weight copy, no int8
    filter); the host and cortex-m3 keep the model's int8 filter (plain C); cortex-m55 its Helium layouts."""
    model = _models()[index]
    for layer in _layers(model, "cortex-m4"):
        f = dict(layer.fields)
        assert layer.function == "depthwise_conv_s8"
        assert f["quant"] != "NULL" and f["weights"] == "NULL" and f["filter"] == "NULL"
    for board in ("host", "cortex-m3", "cortex-m55"):
        for layer in _layers(model, board):
            assert dict(layer.fields)["quant"] == "NULL", board


def test_fallbacks_keep_their_paths():
    """TFLM's requantization and a bias too large for the fast proof keep the older DSP layout (int16
    weights), a multiplier of 2 the plain C, a 2-D filter the older DSP layout."""
    model = _models(specs=FALLBACKS)[0]
    fields = [dict(layer.fields) for layer in _layers(model, "cortex-m4")]
    assert all(f["quant"] == "NULL" for f in fields)
    assert [f["weights"] != "NULL" for f in fields] == [True, True, False, True]


def test_optimize_size_keeps_int8_weights():
    """--optimize size: the 1-D layers keep the model's int8 filter (no stream), and cost fewer bytes."""
    model = _models()[0]
    size = compile_bytes(model, "m", board="cortex-m4", optimize="size")
    speed = compile_bytes(model, "m", board="cortex-m4")
    for layer in size.project.layers:
        f = dict(layer.fields)
        assert f["quant"] == "NULL" and f["weights"] == "NULL" and f["filter"] != "NULL"
    assert size.project.report["weight_bytes"] < speed.project.report["weight_bytes"]


@pytest.mark.parametrize("index", range(-(-len(CASES) // PER_MODEL)))
def test_1d_host(index):
    """The plain C path on the host, bit-exact with TFLM; the first model also under ASan/UBSan."""
    assert_bit_exact(_models()[index], count=3, sanitize=index == 0)


@pytest.mark.parametrize("board", BOARDS)
def test_1d_dsp_boards(board):
    """The 1-D DSP path (interior asm, tap pointers at the edges, partial groups) on each DSP core."""
    need_arm_tools()
    for model in _models():
        assert_bit_exact(model, count=3, boards=(board,))


def test_1d_fallbacks_on_cortex_m4():
    need_arm_tools()
    assert_bit_exact(_models(specs=FALLBACKS)[0], count=3, boards=("cortex-m4",))


def test_1d_other_seed_and_reverse(monkeypatch):
    """Other random quantizations and weights over the first shapes, and every pixel in reverse order (no
    overlap, so only the order changes), on cortex-m4."""
    need_arm_tools()
    from mcugen.codegen.context import GenContext
    from mcugen.ops.conv import DepthwiseConv2D
    assert_bit_exact(_models(seed=77)[1], count=2, boards=("cortex-m4",))
    monkeypatch.setattr(GenContext, "reversed_step", lambda self: True)
    monkeypatch.setattr(DepthwiseConv2D, "overlap", lambda self, op: {})
    model = _models(seed=78)[0]
    assert any(".reverse = 1" in text for text in compile_bytes(model, "m", board="cortex-m4").project.files.values())
    assert_bit_exact(model, count=2, boards=("cortex-m4",))
