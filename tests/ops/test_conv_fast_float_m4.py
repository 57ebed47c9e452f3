"""The Cortex-M4 fast paths of the hybrid CONV_2D (pixel pairs x channel pairs with SMLAD, int16 or int8
weights) and of the float32 DEPTHWISE_CONV_2D (8-channel blocks with VLDM/VMLA), each case on the host
(plain C, ASan/UBSan; hybrid: equal to LiteRT, float: within the tolerance of TFLM) and under QEMU on
cortex-m4. The shapes pick where the fast paths apply and where they fall back: 1x1 windows read in place
(in_c a multiple of 8) or gathered, windows with padding at the borders, stride 2, dilation, odd pixel
counts, odd and non-multiple-of-4 channel counts, int16 weight copies (at least 64 output pixels) and int8
ones, per-tensor weights (symmetric input) and per-channel weights (asymmetric input), equal per-channel
scales (LiteRT's symmetric path); the hybrid depthwise DSP path (3x3 unrolled, other tap counts) and its
fallbacks (out_c % 4, depth multiplier 2); float CONV_2D and FULLY_CONNECTED (8 inputs a turn, 8 outputs
finished at once, and the rests); float depthwise channel counts 8, 16 (blocks only), 12, 20 (blocks, then
the 4-wide C), 3 (C only), depth multiplier 2 (C only), every fused activation."""
import numpy as np
import pytest

from mcugen.compiler import compile_bytes
from mcugen.testing.builder import TensorSpec, single_op_model
from tests.ops.f32_cases import check_float
from tests.ops.hybrid_cases import check_hybrid, hybrid_inputs
from tests.ops.test_conv_hybrid import conv_model

# (h, w, in_c, k_h, k_w, out_c, stride, dilation, padding, scales, activation)
HYBRID_CASES = [
    (8, 8, 16, 1, 1, 10, 1, 1, "VALID", "channel", "RELU"),      # in place, w16, asymmetric
    (5, 3, 12, 1, 1, 7, 1, 1, "SAME", "tensor", "NONE"),         # gathered (in_c % 8), odd pixels, odd out_c
    (9, 7, 3, 3, 3, 9, 2, 1, "SAME", "channel", "RELU6"),        # borders, stride 2, w8
    (20, 16, 1, 10, 4, 8, 2, 1, "SAME", "tensor", "RELU"),       # kws-like first layer, in_c 1, w16
    (11, 9, 5, 3, 2, 6, 1, 2, "VALID", "equal", "RELU_N1_TO_1"), # dilation, equal scales (symmetric)
    (7, 7, 8, 2, 2, 5, 2, 1, "SAME", "channel", "NONE"),         # odd out_c, even window
]


@pytest.mark.parametrize("case", range(len(HYBRID_CASES)))
def test_conv_hybrid_fast_path_m4(case):
    h, w, ic, kh, kw, oc, stride, dil, pad, scales, act = HYBRID_CASES[case]
    rng = np.random.default_rng(9100 + case)
    model, shape = conv_model(rng, False, 1, h, w, ic, kh, kw, oc, stride, dil, pad, scales, act)
    layer = compile_bytes(model, "probe", board="cortex-m4").project.report["layers"][0]
    assert layer["op"] == "CONV_2D"
    check_hybrid(model, f"{__name__}.hybrid.{case}", [hybrid_inputs(shape, rng)], boards=("cortex-m4",))


def test_conv_hybrid_w16_chosen_by_pixels():
    """int16 weight copies only where the int8 fast kernels' rule takes them (>= 64 output pixels, DSP)."""
    from mcugen.ops.conv import hybrid_w16
    rng = np.random.default_rng(1)
    big, _ = conv_model(rng, False, 1, 8, 8, 16, 1, 1, 10, 1, 1, "VALID", "channel", "RELU")
    small, _ = conv_model(rng, False, 1, 5, 3, 12, 1, 1, 7, 1, 1, "SAME", "tensor", "NONE")
    for model, want in ((big, True), (small, False)):
        op = compile_bytes(model, "probe").graph.operators[0]
        rows = np.asarray(op.inputs[1].data).reshape(op.inputs[1].shape[0], -1)
        assert hybrid_w16(op, rows, frozenset({"dsp"})) is want
        assert hybrid_w16(op, rows, frozenset()) is False


# (h, w, in_c, depth multiplier, k_h, k_w, stride, dilation, padding, activation, bias)
DW_CASES = [
    (6, 5, 8, 1, 3, 3, 1, 1, "SAME", "RELU", True),
    (7, 6, 16, 1, 3, 3, 2, 1, "SAME", "NONE", True),
    (5, 5, 12, 1, 3, 3, 1, 1, "VALID", "RELU6", True),
    (9, 4, 20, 1, 3, 2, 1, 2, "SAME", "RELU_N1_TO_1", True),
    (4, 4, 3, 1, 3, 3, 1, 1, "SAME", "RELU", True),
    (5, 4, 4, 2, 3, 3, 2, 1, "SAME", "NONE", True),
]


@pytest.mark.parametrize("case", range(len(DW_CASES)))
def test_depthwise_conv_f32_fast_path_m4(case):
    h, w, ic, dm, kh, kw, stride, dil, pad, act, with_bias = DW_CASES[case]
    rng = np.random.default_rng(9300 + case)
    oc = ic * dm
    eff_h, eff_w = (kh - 1) * dil + 1, (kw - 1) * dil + 1
    oh = -(-h // stride) if pad == "SAME" else (h - eff_h + stride) // stride
    ow = -(-w // stride) if pad == "SAME" else (w - eff_w + stride) // stride
    wt = rng.normal(0, 1, (1, kh, kw, oc)).astype(np.float32)
    bias = TensorSpec((oc,), "float32", data=rng.normal(0, 1, oc).astype(np.float32)) if with_bias else None  # TFLM needs one
    opts = {"padding": pad, "stride_h": stride, "stride_w": stride, "dilation_h_factor": dil,
            "dilation_w_factor": dil, "fused_activation_function": act, "depth_multiplier": dm}
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [TensorSpec((1, h, w, ic), "float32"), TensorSpec(wt.shape, "float32", data=wt), bias],
        [TensorSpec((1, oh, ow, oc), "float32")], opts)
    errs = check_float(model, f"{__name__}.dw.{case}", rng, boards=("cortex-m4",))
    assert all(e.ok for e in errs)


# hybrid DEPTHWISE_CONV_2D (per channel, as LiteRT requires): (h, w, in_c, dm, k_h, k_w, stride, padding, act)
DW_HYBRID_CASES = [
    (6, 6, 16, 1, 3, 3, 1, "SAME", "RELU"),        # the DSP path, 3x3 unrolled, borders
    (7, 5, 12, 1, 3, 3, 2, "SAME", "RELU6"),       # stride 2, odd sizes
    (5, 6, 8, 1, 2, 3, 1, "VALID", "NONE"),        # the DSP path, another tap count
    (5, 5, 6, 1, 3, 3, 1, "SAME", "RELU"),         # out_c % 4: the plain loop
    (4, 5, 4, 2, 3, 3, 1, "SAME", "RELU_N1_TO_1"), # depth multiplier 2: the plain loop
]


@pytest.mark.parametrize("case", range(len(DW_HYBRID_CASES)))
def test_depthwise_conv_hybrid_fast_path_m4(case):
    h, w, ic, dm, kh, kw, stride, pad, act = DW_HYBRID_CASES[case]
    rng = np.random.default_rng(9500 + case)
    model, shape = conv_model(rng, True, 1, h, w, ic, kh, kw, dm, stride, 1, pad, "channel", act)
    check_hybrid(model, f"{__name__}.dwhybrid.{case}", [hybrid_inputs(shape, rng)], boards=("cortex-m4",))


# float CONV_2D and FULLY_CONNECTED: 8 inputs a turn plus the rest, 8 outputs finished at once plus the rest
CONV_F32_CASES = [
    (6, 5, 16, 1, 1, 16, 1, "SAME", "RELU"),       # 1x1, two whole turns, two whole groups
    (7, 6, 3, 3, 3, 12, 2, "SAME", "NONE"),        # 3x3 rows of 9 (a turn and one), a group and 4
    (5, 5, 5, 2, 2, 8, 1, "VALID", "RELU6"),       # rows of 10
]


@pytest.mark.parametrize("case", range(len(CONV_F32_CASES)))
def test_conv_f32_fast_path_m4(case):
    h, w, ic, kh, kw, oc, stride, pad, act = CONV_F32_CASES[case]
    rng = np.random.default_rng(9700 + case)
    oh = -(-h // stride) if pad == "SAME" else (h - kh + stride) // stride
    ow = -(-w // stride) if pad == "SAME" else (w - kw + stride) // stride
    wt = rng.normal(0, 1, (oc, kh, kw, ic)).astype(np.float32)
    bias = TensorSpec((oc,), "float32", data=rng.normal(0, 1, oc).astype(np.float32)) if case != 1 else None
    model = single_op_model(
        "CONV_2D", [TensorSpec((1, h, w, ic), "float32"), TensorSpec(wt.shape, "float32", data=wt), bias],
        [TensorSpec((1, oh, ow, oc), "float32")],
        {"padding": pad, "stride_h": stride, "stride_w": stride, "dilation_h_factor": 1, "dilation_w_factor": 1,
         "fused_activation_function": act})
    assert all(e.ok for e in check_float(model, f"{__name__}.conv.{case}", rng, boards=("cortex-m4",)))


@pytest.mark.parametrize("depth,units,act", [(1, 16, "RELU"), (16, 16, "NONE"), (16, 1, "RELU6"), (21, 24, "RELU")])
def test_fully_connected_f32_fast_path_m4(depth, units, act):
    rng = np.random.default_rng(9900 + depth + units)
    wt = rng.normal(0, 1, (units, depth)).astype(np.float32)
    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec((2, depth), "float32"), TensorSpec(wt.shape, "float32", data=wt),
         TensorSpec((units,), "float32", data=rng.normal(0, 1, units).astype(np.float32))],
        [TensorSpec((2, units), "float32")], {"fused_activation_function": act})
    assert all(e.ok for e in check_float(model, f"{__name__}.fc.{depth}.{units}", rng, boards=("cortex-m4",)))


@pytest.mark.parametrize("board", ["cortex-m7", "cortex-m33", "cortex-m55"])
def test_fast_paths_on_the_other_fpu_dsp_boards(board):
    """The same kernels build and agree with the references on the other boards with an FPU and the DSP
    extension (one model with each fast path: hybrid CONV_2D with int16 weights, hybrid depthwise, float
    depthwise and float CONV_2D)."""
    from mcugen.testing.compare import compare_model, output_errors, run_on_board
    from tests.conftest import have_arm_tools
    if not have_arm_tools():
        pytest.skip("no arm-none-eabi-gcc / qemu-system-arm")
    rng = np.random.default_rng(77)
    models = []
    m, shape = conv_model(rng, False, 1, 8, 8, 16, 1, 1, 10, 1, 1, "VALID", "channel", "RELU")
    models.append((m, [hybrid_inputs(shape, rng)], "litert"))
    m, shape = conv_model(rng, True, 1, 6, 6, 16, 3, 3, 1, 1, 1, "SAME", "channel", "RELU6")
    models.append((m, [hybrid_inputs(shape, rng)], "litert"))
    for op, wshape in (("DEPTHWISE_CONV_2D", (1, 3, 3, 16)), ("CONV_2D", (16, 3, 3, 16))):
        wt = rng.normal(0, 1, wshape).astype(np.float32)
        opts = {"padding": "SAME", "stride_h": 1, "stride_w": 1, "dilation_h_factor": 1, "dilation_w_factor": 1,
                "fused_activation_function": "RELU"}
        if op == "DEPTHWISE_CONV_2D":
            opts["depth_multiplier"] = 1
        m = single_op_model(op, [TensorSpec((1, 5, 6, 16), "float32"), TensorSpec(wshape, "float32", data=wt),
                                 TensorSpec((16,), "float32", data=rng.normal(0, 1, 16).astype(np.float32))],
                            [TensorSpec((1, 5, 6, 16), "float32")], opts)
        models.append((m, [rng.uniform(-4, 4, (3, 1, 5, 6, 16)).astype(np.float32)], "tflm"))
    for model, xs, oracle in models:
        cmp = compare_model(model, inputs=xs, oracle=oracle)
        ours = run_on_board(model, board, xs)
        bad = [f"output {i}: {e.describe()}" for i, e in enumerate(output_errors(ours, cmp.ref)) if not e.ok]
        assert not bad, f"{board}: " + "; ".join(bad)
