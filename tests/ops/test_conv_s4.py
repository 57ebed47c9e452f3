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
