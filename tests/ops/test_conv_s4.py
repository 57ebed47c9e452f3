"""CONV_2D and DEPTHWISE_CONV_2D with int4 weights (scheme s4: int8 activations, TensorType INT4 filters
packed two per byte) against TFLM over random shapes, strides, dilations, padding, activations and
quantization (per channel and per tensor). Weight counts are often odd (a half byte left over) and
every filter holds -8 and 7. The first cases also run under QEMU (cortex-m0, m3, m4, m7, m33, m55)."""
import numpy as np
import pytest

from mcugen.frontend import read_model_bytes
from mcugen.frontend.int4 import pack_int4, unpack_int4
from mcugen.frontend.tflite_writer import write_model
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from mcugen.testing.random_quant import rand_act_quant, rand_bias

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def rand_int4(rng, shape, per_channel, axis):
    """int4 weights in [-8, 7] holding both extremes, and their scales (one per channel along axis, or one)."""
    w = rng.integers(-8, 8, size=shape).astype(np.int8)
    flat = w.reshape(-1)
    flat[rng.integers(flat.size)] = -8
    flat[rng.integers(flat.size)] = 7
    n = shape[axis] if per_channel else 1
    return w, [float(s) for s in np.exp(rng.uniform(np.log(0.005), np.log(0.2), size=n))]


def _geometry(rng, small):
    top = 4 if small else 6
    k_h, k_w = int(rng.integers(1, top)), int(rng.integers(1, top))
    s_h, s_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    d_h, d_w = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if rng.random() < 0.3 else (1, 1)
    if d_h > 1 or d_w > 1:
        s_h = s_w = 1  # TFLite allows dilation only with stride 1
    pad = "SAME" if rng.random() < 0.5 else "VALID"
    h = int(rng.integers((k_h - 1) * d_h + 1, 8 if small else 14))
    w = int(rng.integers((k_w - 1) * d_w + 1, 8 if small else 14))
    return h, w, k_h, k_w, s_h, s_w, d_h, d_w, pad


def _out(pad, size, k, s, d):
    eff = (k - 1) * d + 1
    return (size + s - 1) // s if pad == "SAME" else (size - eff + s) // s


def conv_s4_model(seed, depthwise, per_channel, small=False, bias=True):
    rng = np.random.default_rng(seed)
    h, w, k_h, k_w, s_h, s_w, d_h, d_w, pad = _geometry(rng, small)
    n, c_in = int(rng.integers(1, 3)), int(rng.integers(1, 6 if small else 12))
    mult = int(rng.integers(1, 4)) if depthwise else 1
    c_out = c_in * mult if depthwise else int(rng.integers(1, 6 if small else 12))
    (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    shape, axis = ((1, k_h, k_w, c_out), 3) if depthwise else ((c_out, k_h, k_w, c_in), 0)
    wt, ws = rand_int4(rng, shape, per_channel, axis)
    oh, ow = _out(pad, h, k_h, s_h, d_h), _out(pad, w, k_w, s_w, d_w)
    b = TensorSpec((c_out,), "int32", [si * s for s in ws], [0] * len(ws), data=rand_bias(rng, c_out) // 8) \
        if bias else None
    options = {"padding": pad, "stride_h": s_h, "stride_w": s_w, "dilation_h_factor": d_h,
               "dilation_w_factor": d_w, "fused_activation_function": ACTS[seed % 4]}
    if depthwise:
        options["depth_multiplier"] = mult
    return single_op_model(
        "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D",
        [TensorSpec((n, h, w, c_in), "int8", si, zi),
         TensorSpec(wt.shape, "int4", ws, [0] * len(ws), data=wt, quantized_dimension=axis), b],
        [TensorSpec((n, oh, ow, c_out), "int8", so, zo)], options)


@pytest.mark.parametrize("seed", range(14))
def test_conv2d_s4_random(seed, bit_exact):
    # the first cases also run on the QEMU boards: keep them small
    bit_exact(conv_s4_model(4100 + seed, False, per_channel=seed % 3 != 2, small=seed < 6, bias=seed % 7 != 5))


def test_conv_s4_sanitized(bit_exact):
    """Both kernels, odd weight counts, under AddressSanitizer and UBSan."""
    for seed, dw in ((4300, False), (4301, True), (4302, False)):
        bit_exact(conv_s4_model(seed, dw, per_channel=True), sanitize=True)


def test_conv_s4_extremes(bit_exact):
    """Filters of -8 and 7 only against all-minimum and all-maximum inputs (sample_inputs' extremes), a
    3x3x7 window (63 values: one word of the packed row half empty)."""
    rng = np.random.default_rng(4400)
    wt = np.where(rng.random((3, 3, 3, 7)) < 0.5, -8, 7).astype(np.int8)
    model = single_op_model(
        "CONV_2D",
        [TensorSpec((1, 6, 5, 7), "int8", 0.02, -128), TensorSpec(wt.shape, "int4", [0.1, 0.05, 0.2], [0] * 3, data=wt),
         TensorSpec((3,), "int32", [0.002, 0.001, 0.004], [0] * 3, data=np.array([100, -100, 7], np.int32))],
        [TensorSpec((1, 6, 5, 3), "int8", 0.9, 3)], {"padding": "SAME"})
    bit_exact(model)


def test_int4_packing_round_trip():
    """Element 0 in the low nibble, sign-extended; an odd count leaves the last high nibble 0; reader and
    writer give back the same int8 values and the packed bytes."""
    v = np.array([1, -1, 7, -8, 0, 5, -3], np.int8)
    packed = pack_int4(v)
    assert packed.tolist() == [0xF1, 0x87, 0x50, 0x0D]
    assert unpack_int4(packed, 7).tolist() == v.tolist()
    model = conv_s4_model(4500, False, per_channel=True)
    g = read_model_bytes(model, "m.tflite")
    w = g.operators[0].inputs[1]
    assert w.dtype == "int4" and w.data.dtype == np.int8 and w.nbytes == (w.size + 1) // 2
    g2 = read_model_bytes(write_model(g), "m2.tflite")
    assert np.array_equal(g2.operators[0].inputs[1].data, w.data)


def test_int4_flash_is_packed():
    """The generated constants hold the filter at 4 bits a weight (rows of 72 values: 9 words), plus 12 bytes
    of requantization constants per channel."""
    from mcugen.compiler import compile_bytes
    wt = np.random.default_rng(1).integers(-8, 8, (16, 3, 3, 8)).astype(np.int8)
    spec = lambda dt: single_op_model(  # noqa: E731
        "CONV_2D", [TensorSpec((1, 8, 8, 8), "int8", 0.05, 0), TensorSpec(wt.shape, dt, [0.05], [0], data=wt)],
        [TensorSpec((1, 8, 8, 16), "int8", 0.5, 0)], {"padding": "SAME"})
    layer = compile_bytes(spec("int4"), "m").project.report["layers"][0]
    assert layer["weight_bytes"] == wt.size // 2 + 12 * 16


def test_filter_zero_point_is_rejected():
    """TFLM ignores an int4 conv filter's zero point; mcugen requires symmetric weights (0)."""
    wt = np.ones((2, 1, 1, 3), np.int8)
    model = single_op_model(
        "CONV_2D", [TensorSpec((1, 2, 2, 3), "int8", 0.1, 0), TensorSpec(wt.shape, "int4", [0.1], [1], data=wt)],
        [TensorSpec((1, 2, 2, 2), "int8", 0.1, 0)], {"padding": "VALID"})
    assert any("zero point" in m for m in rule_problems(model))


def test_int4_activations_are_rejected():
    """Only constant weights may be int4."""
    model = single_op_model("CONV_2D", [TensorSpec((1, 2, 2, 3), "int8", 0.1, 0),
                                        TensorSpec((2, 1, 1, 3), "int4", [0.1], [0])],
                            [TensorSpec((1, 2, 2, 2), "int8", 0.1, 0)], {"padding": "VALID"})
    assert any("constant" in m for m in rule_problems(model))  # (TFLM's interpreter accepts this model)


@pytest.mark.parametrize("depthwise", [False, True])
def test_conv_s4_large_multiplier(depthwise, bit_exact):
    """Real multipliers above 1 (shift > 0): the one-multiply requantization does not apply and the kernels
    take TFLM's mcu_requantize (rq NULL)."""
    from mcugen.compiler import compile_bytes
    rng = np.random.default_rng(4900 + depthwise)
    shape, axis = ((1, 3, 3, 6), 3) if depthwise else ((6, 3, 3, 5), 0)
    wt, _ = rand_int4(rng, shape, True, axis)
    ws = [0.5] * 6
    options = {"padding": "SAME", "depth_multiplier": 2} if depthwise else {"padding": "SAME"}
    model = single_op_model(
        "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D",
        [TensorSpec((1, 5, 4, 3 if depthwise else 5), "int8", 0.1, 2),
         TensorSpec(wt.shape, "int4", ws, [0] * 6, data=wt, quantized_dimension=axis),
         TensorSpec((6,), "int32", [0.05] * 6, [0] * 6, data=rng.integers(-50, 50, 6).astype(np.int32))],
        [TensorSpec((1, 5, 4, 6), "int8", 0.02, -5)], options)
    layer = compile_bytes(model, "m").project.layers[0]
    assert dict(layer.fields)["rq"] == "NULL"
    bit_exact(model)


# ---- the DSP product (mcu_conv_s4.c, plan_s4_gemm): each path and its fall-backs on cortex-m4 -------------

def s4_layer_model(op, n, h, w, c_in, c_out, k, stride=1, pad="SAME", act="NONE", per_channel=True, seed=0,
                   w_scales=(0.01, 0.05), in_q=(0.05, -3), out_q=(0.05, 5), bias_max=3000, dilation=1, mult=1,
                   zero_channel=None):
    """One CONV_2D / DEPTHWISE_CONV_2D with int4 weights: explicit geometry, quantization and bias range, so
    that a case lands on the kernel path it names (the weights still random, holding -8 and 7)."""
    rng = np.random.default_rng(seed)
    depthwise = op == "DEPTHWISE_CONV_2D"
    kh, kw = k
    shape, axis = ((1, kh, kw, c_out), 3) if depthwise else ((c_out, kh, kw, c_in), 0)
    wt, _ = rand_int4(rng, shape, per_channel, axis)
    if zero_channel is not None:
        np.moveaxis(wt, axis, 0)[zero_channel] = 0
    nscale = shape[axis] if per_channel else 1
    ws = [float(s) for s in np.exp(rng.uniform(np.log(w_scales[0]), np.log(w_scales[1]), size=nscale))]
    eff = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
    oh = -(-h // stride) if pad == "SAME" else (h - eff[0]) // stride + 1
    ow = -(-w // stride) if pad == "SAME" else (w - eff[1]) // stride + 1
    bias = rng.integers(-bias_max, bias_max + 1, size=c_out).astype(np.int32)
    options = {"padding": pad, "stride_h": stride, "stride_w": stride, "dilation_h_factor": dilation,
               "dilation_w_factor": dilation, "fused_activation_function": act}
    if depthwise:
        options["depth_multiplier"] = mult
    return single_op_model(
        op, [TensorSpec((n, h, w, c_in), "int8", *in_q),
             TensorSpec(wt.shape, "int4", ws, [0] * len(ws), data=wt, quantized_dimension=axis),
             TensorSpec((c_out,), "int32", [in_q[0] * s for s in ws], [0] * len(ws), data=bias)],
        [TensorSpec((n, oh, ow, c_out), "int8", *out_q)], options)


def layer_fields(model, board="cortex-m4"):
    from mcugen.compiler import compile_bytes
    return dict(compile_bytes(model, "m", board=board).project.layers[0].fields)


#: name -> (model arguments, the fields that show the path)
CONV_DSP_CASES = {
    # 1x1, 3 pixels a block, channel c + 1 at 4096 acc, an odd channel count (the padding pair), RELU6's clamp
    "1x1_wide_odd_channels": (dict(n=1, h=6, w=7, c_in=12, c_out=7, k=(1, 1), act="RELU6"),
                              {"pixels": 3, "odd_shift": 12}),
    # 3x3 stride 2 over 3 input channels: windows through the staging row; per-tensor weights
    "3x3_stride2_staging_per_tensor": (dict(n=1, h=9, w=8, c_in=3, c_out=6, k=(3, 3), stride=2,
                                            per_channel=False), {"pixels": 3, "odd_shift": 12}),
    # one input channel, 5x4 filter, stride 2: whole filter rows, edge rows through the row buffer
    "5x4_rows_edges": (dict(n=1, h=12, w=7, c_in=1, c_out=5, k=(5, 4), stride=2, act="RELU"),
                       {"pixels": 3}),
    # blocks of 2 pixels (a scratch above 512 bytes over large activations), 96 values per window
    "1x1_pixels2": (dict(n=1, h=16, w=16, c_in=96, c_out=32, k=(1, 1)), {"pixels": 2}),
    # a bias near 2^20: odd channels' accumulators reach 2^19, so channel c + 1 is stored as channel c
    "narrow_large_bias": (dict(n=1, h=5, w=5, c_in=8, c_out=4, k=(3, 3), bias_max=900_000,
                               out_q=(20.0, 0)), {"odd_shift": 4}),
    # dilation 2, two images, 4 input channels (every tap a group), a zero channel (constant output)
    "dilated_batch2_zero_channel": (dict(n=2, h=7, w=7, c_in=4, c_out=9, k=(3, 3), dilation=2, zero_channel=3,
                                         act="RELU_N1_TO_1"), {"pixels": 3}),
}


@pytest.mark.parametrize("name", list(CONV_DSP_CASES))
def test_conv_s4_dsp_paths_on_cortex_m4(name):
    """Each path of the DSP product (plan_s4_gemm) on cortex-m4 (QEMU) and on the host, against TFLM."""
    from tests.conftest import assert_bit_exact, need_arm_tools
    need_arm_tools()
    kw, want = CONV_DSP_CASES[name]
    model = s4_layer_model("CONV_2D", seed=sum(map(ord, name)), **kw)
    fields = layer_fields(model)
    assert fields["stream"] != "NULL" and fields["filter"] == "NULL"
    assert {k: fields[k] for k in want} == want
    assert_bit_exact(model, count=4, boards=("cortex-m4",))


def test_conv_s4_dsp_fallback_large_multiplier_on_cortex_m4():
    """A real multiplier above 0.5 in one channel: no DSP product (its requantization is not the one-multiply
    form), the generic packed-row kernel on cortex-m4."""
    from tests.conftest import assert_bit_exact, need_arm_tools
    need_arm_tools()
    model = s4_layer_model("CONV_2D", n=1, h=5, w=6, c_in=5, c_out=4, k=(3, 3), w_scales=(0.02, 2.0),
                           out_q=(0.02, 0), seed=7)
    assert layer_fields(model).get("stream", "NULL") == "NULL"
    assert_bit_exact(model, count=4, boards=("cortex-m4",))


def test_conv_s4_dsp_layout_plain_c_sanitized():
    """The DSP product's layout through its plain-C loop (a DSP board's lowering built for the host) under
    AddressSanitizer and UBSan, with channel c + 1 wide (and the staging row) and narrow."""
    for name in ("3x3_stride2_staging_per_tensor", "narrow_large_bias"):
        kw, _ = CONV_DSP_CASES[name]
        assert_dsp_layout_on_host(s4_layer_model("CONV_2D", seed=sum(map(ord, name)), **kw))


def assert_dsp_layout_on_host(model):
    """Lower `model` as for a DSP board, build it on the host (plain C of the same layouts) under ASan and
    UBSan, and compare with TFLM."""
    import dataclasses
    import tempfile
    from pathlib import Path

    from mcugen.backend import make_runner
    from mcugen.boards import load_board
    from mcugen.codegen import write_project
    from mcugen.compiler import compile_bytes
    from mcugen.oracle import tflm
    from mcugen.testing.compare import count_mismatches, sample_inputs
    host_dsp = dataclasses.replace(load_board("host"), features=["dsp"])
    compiled = compile_bytes(model, "m", board=host_dsp)
    xs = sample_inputs(compiled.graph.inputs, 4, 0)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "m"
        write_project(compiled.project.files, d, force=True)
        ours = make_runner(compiled, d, sanitize=True)(xs)
    assert count_mismatches(ours, tflm.run(model, xs, 1)) == [0]


def test_conv_s4_plain_paths_on_cortex_m3():
    """No DSP extension: the generic packed-row kernel, 1x1 and strided 3x3, on cortex-m3 (QEMU)."""
    from tests.conftest import assert_bit_exact, need_arm_tools
    need_arm_tools()
    for name in ("1x1_wide_odd_channels", "3x3_stride2_staging_per_tensor"):
        kw, _ = CONV_DSP_CASES[name]
        model = s4_layer_model("CONV_2D", seed=sum(map(ord, name)), **kw)
        assert layer_fields(model, "cortex-m3").get("stream", "NULL") == "NULL"
        assert_bit_exact(model, count=3, boards=("cortex-m3",))
