"""mcu_depthwise_conv_3x3_s8's DSP paths against TFLM: the interior pixels (whole window inside the image:
one pointer walking the window, the requantization in one asm block with the USUB8/SEL clamp), the border
pixels (tap pointers into the image or at the zero-point pad) and the partial last group of 1 to 3
channels, on cortex-m4, cortex-m7 and cortex-m33 under QEMU; the same layers on the host (plain C, once
under ASan/UBSan). Seeded random shapes: odd and non-multiple-of-4 channel counts, stride 1 and 2,
SAME padding with more padding on the right/bottom (even sizes) or on every side, VALID, dilation,
odd widths, images one pixel wide or high, per-tensor and TFLM's (slow) requantization, batches."""
import numpy as np
import pytest

from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.random_quant import rand_act_quant, rand_bias, rand_weights
from tests.conftest import assert_bit_exact, have_arm_tools, need_arm_tools
from tests.ops.test_depthwise_dsp import ACTS, _case, _kernels, _model

BOARDS = ("cortex-m4", "cortex-m7", "cortex-m33")

# channels, extra options of _case; every case runs the 3x3 kernel
CASES = [
    (16, {"size": (7, 9)}),                           # whole groups, interior rows and columns
    (13, {"size": (6, 5)}),                           # tail of 1, odd width
    (7, {"size": (5, 8), "stride": (2, 2)}),          # tail of 3, stride 2 (SAME pads right/bottom only)
    (6, {"size": (9, 7), "dil": (2, 2)}),             # tail of 2, dilation
    (64, {"size": (25, 5)}),                          # kws's layers
    (5, {"size": (7, 1)}),                            # one pixel wide: every pixel a border pixel
    (12, {"size": (1, 6)}),                           # one pixel high
    (8, {"size": (6, 6), "pad": "VALID"}),            # interior only
    (9, {"size": (8, 7), "stride": (1, 2), "dil": (1, 2)}),
    (4, {"size": (6, 9), "stride": (2, 1), "slow": True}),   # TFLM's requantization on the interior path
    (11, {"size": (5, 5), "per_channel": False, "batches": 2}),
    (20, {"size": (8, 10), "dil": (3, 1), "pad": "VALID"}),
    (3, {"size": (5, 6)}),                            # no whole group: the partial-load path alone
    (24, {"size": (3, 3), "stride": (2, 2)}),         # SAME 3x3 at stride 2: every pixel a border pixel
    (17, {"size": (7, 6), "huge_bias": True}),
]
PER_MODEL = 5


def _cases(seed):
    rng = np.random.default_rng(seed)
    return [_case(rng, c, act=ACTS[j % 4], **extra) for j, (c, extra) in enumerate(CASES)]


def _models(seed=31):
    cases = _cases(seed)
    return [_model(*cases[i:i + PER_MODEL]) for i in range(0, len(cases), PER_MODEL)]


@pytest.mark.parametrize("index", range(-(-len(CASES) // PER_MODEL)))
def test_3x3_host(index):
    """The plain C path on the host, bit-exact with TFLM; the first model also under ASan/UBSan."""
    model = _models()[index]
    assert set(_kernels(model)) == {"depthwise_conv_3x3_s8"}
    assert_bit_exact(model, count=4, sanitize=index == 0)


@pytest.mark.parametrize("board", BOARDS)
def test_3x3_dsp_boards(board):
    """The DSP paths (interior, border, partial group, both requantizations) on each DSP core."""
    need_arm_tools()
    for model in _models():
        assert_bit_exact(model, count=3, boards=(board,))


def test_3x3_dsp_other_seed():
    """Other random quantizations and weights over the same shapes on cortex-m4."""
    need_arm_tools()
    for model in _models(seed=77):
        assert_bit_exact(model, count=2, boards=("cortex-m4",))


# ---- seeded random shapes (issue 14): widths 1..9, heights 1..7, SAME/VALID, dilation, activations,
# per-tensor and per-channel quantization, odd and non-multiple-of-4 channel counts

def _random_cases(seed, n=10):
    rng = np.random.default_rng(seed)
    cases = []
    for j in range(n):
        c = int(rng.choice([1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 17]))
        dil = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if j % 3 == 2 else (1, 1)
        pad = "VALID" if j % 4 == 3 else "SAME"
        lo_h, lo_w = (2 * dil[0] + 1, 2 * dil[1] + 1) if pad == "VALID" else (1, 1)
        size = (int(rng.integers(lo_h, max(lo_h, 7) + 1)), int(rng.integers(lo_w, max(lo_w, 9) + 1)))
        stride = (1, 1) if j % 5 else (2, 2)
        cases.append(_case(rng, c, act=ACTS[int(rng.integers(0, 4))], size=size, dil=dil, pad=pad,
                           stride=stride, per_channel=bool(j % 4)))
    return cases


def _random_models(seed=2014):
    cases = _random_cases(seed)
    return [_model(*cases[i:i + PER_MODEL]) for i in range(0, len(cases), PER_MODEL)]


def _chain(seed, channels=(8, 13), size=(7, 5)):
    """Three 3x3 stride-1 SAME layers in a row per channel count: each output may be planned over its
    input (forward or reverse pixel order), which the kernel's pixel order contract has to survive."""
    rng = np.random.default_rng(seed)
    tensors, ops, ins, outs = [], [], [], []
    for c in channels:
        (si, zi) = rand_act_quant(rng)
        tensors.append(TensorSpec((1, size[0], size[1], c), "int8", si, zi))
        ins.append(len(tensors) - 1)
        prev = len(tensors) - 1
        for k in range(3):
            wt, ws = rand_weights(rng, (1, 3, 3, c), k != 1, axis=3)
            tensors.append(TensorSpec(wt.shape, "int8", ws, [0] * len(ws), quantized_dimension=3, data=wt))
            tensors.append(TensorSpec((c,), "int32", [si * s for s in ws], [0] * len(ws), data=rand_bias(rng, c)))
            so, zo = rand_act_quant(rng)
            tensors.append(TensorSpec((1, size[0], size[1], c), "int8", so, zo))
            ops.append(OpSpec("DEPTHWISE_CONV_2D", [prev, len(tensors) - 3, len(tensors) - 2], [len(tensors) - 1],
                              {"padding": "SAME", "stride_h": 1, "stride_w": 1, "dilation_h_factor": 1,
                               "dilation_w_factor": 1, "depth_multiplier": 1,
                               "fused_activation_function": ACTS[k]}))
            prev, si = len(tensors) - 1, so
        outs.append(prev)
    return build_model(tensors, ops, ins, outs)


@pytest.mark.parametrize("index", range(2))
def test_3x3_random_host(index):
    """Seeded random shapes on the host's plain C (the first model under ASan/UBSan)."""
    model = _random_models()[index]
    assert set(_kernels(model)) == {"depthwise_conv_3x3_s8"}
    assert_bit_exact(model, count=3, sanitize=index == 0)


@pytest.mark.parametrize("board", ("cortex-m4", "cortex-m33"))
def test_3x3_random_dsp(board):
    """The same random shapes through the DSP paths on cortex-m4 and cortex-m33."""
    need_arm_tools()
    for model in _random_models():
        assert_bit_exact(model, count=2, boards=(board,))


def test_3x3_chained_overlap():
    """Chained layers whose outputs the planner may lay over their inputs, host and cortex-m4."""
    model = _chain(5)
    assert set(_kernels(model)) == {"depthwise_conv_3x3_s8"}
    boards = ("cortex-m4",) if have_arm_tools() else ()
    assert_bit_exact(model, count=3, boards=boards)
