"""Tests for mcugen.testing.builder: models must load and run in TFLM."""
import numpy as np
import pytest
import tflite

from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")

ARENA = 256 * 1024
RNG = np.random.default_rng(1234)


def run_tflm(model: bytes, *xs):
    ip = runtime.Interpreter.from_bytes(model, arena_size=ARENA)
    for i, x in enumerate(xs):
        ip.set_input(x, i)
    ip.invoke()
    return ip.get_output(0)


def quantize(x, scale, zp, dtype=np.int8):
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zp, info.min, info.max).astype(dtype)


def same_pad(size, k, stride, dilation):
    eff = (k - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return out, total // 2


def conv_ref(x, w, bias, stride, dilation, padding, depthwise=False, dm=1):
    """Float NHWC conv / depthwise conv with TF padding rules."""
    _, h, wd, cin = x.shape
    kh, kw = w.shape[1:3]
    sh, sw = stride
    dh, dw = dilation
    if padding == "SAME":
        oh, pt = same_pad(h, kh, sh, dh)
        ow, pl = same_pad(wd, kw, sw, dw)
    else:
        oh, ow, pt, pl = (h - (kh - 1) * dh - 1) // sh + 1, (wd - (kw - 1) * dw - 1) // sw + 1, 0, 0
    cout = w.shape[3] if depthwise else w.shape[0]
    out = np.zeros((1, oh, ow, cout))
    for oy in range(oh):
        for ox in range(ow):
            for ky in range(kh):
                for kx in range(kw):
                    iy, ix = oy * sh - pt + ky * dh, ox * sw - pl + kx * dw
                    if 0 <= iy < h and 0 <= ix < wd:
                        px = x[0, iy, ix]
                        if depthwise:
                            out[0, oy, ox] += np.repeat(px, dm) * w[0, ky, kx]
                        else:
                            out[0, oy, ox] += w[:, ky, kx, :] @ px
    return out + bias


def conv_case(padding, stride, dilation, act):
    """Build an int8 per-channel CONV_2D model plus its float reference."""
    in_scale, in_zp = (0.005 if act == "RELU6" else 0.05), -3
    w_scale = np.array([0.01, 0.02, 0.015, 0.03])
    xq = RNG.integers(-128, 128, (1, 8, 8, 3), dtype=np.int8)
    wq = RNG.integers(-127, 128, (4, 3, 3, 3), dtype=np.int8)
    bq = RNG.integers(-500, 500, 4).astype(np.int32)
    b_scale = in_scale * w_scale
    ref = conv_ref((xq.astype(float) - in_zp) * in_scale,
                   wq * w_scale[:, None, None, None], bq * b_scale,
                   stride, dilation, padding)
    if act == "RELU6":
        ref, out_scale, out_zp = np.clip(ref, 0, 6), 6 / 255, -128
    else:
        out_scale, out_zp = np.abs(ref).max() / 120, 2
    options = {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
               "dilation_h_factor": dilation[0], "dilation_w_factor": dilation[1],
               "fused_activation_function": act}
    model = single_op_model(
        "CONV_2D",
        [TensorSpec((1, 8, 8, 3), "int8", in_scale, in_zp),
         TensorSpec((4, 3, 3, 3), "int8", list(w_scale), [0] * 4, 0, data=wq, name="w"),
         TensorSpec((4,), "int32", list(b_scale), None, 0, data=bq, name="b")],
        [TensorSpec(ref.shape, "int8", out_scale, out_zp)], options)
    return model, xq, quantize(ref, out_scale, out_zp)


@pytest.mark.parametrize("padding,stride,dilation,act", [
    ("SAME", (2, 2), (1, 1), "RELU6"),
    ("SAME", (1, 2), (2, 1), "NONE"),
    ("VALID", (1, 1), (1, 1), 0),  # int enum value (NONE)
])
def test_conv2d_per_channel(padding, stride, dilation, act):
    model, xq, expected = conv_case(padding, stride, dilation, act)
    y = run_tflm(model, xq)
    assert y.shape == expected.shape and y.dtype == np.int8
    assert np.abs(y.astype(int) - expected).max() <= 1


def test_depthwise_conv2d_depth_multiplier():
    in_scale, in_zp, dm = 0.04, 1, 2
    w_scale = np.array([0.01, 0.02, 0.03, 0.015])
    xq = RNG.integers(-128, 128, (1, 6, 6, 2), dtype=np.int8)
    wq = RNG.integers(-127, 128, (1, 3, 3, 4), dtype=np.int8)
    bq = RNG.integers(-300, 300, 4).astype(np.int32)
    b_scale = in_scale * w_scale
    ref = conv_ref((xq.astype(float) - in_zp) * in_scale, wq * w_scale, bq * b_scale,
                   (1, 1), (1, 1), "VALID", depthwise=True, dm=dm)
    out_scale, out_zp = np.abs(ref).max() / 120, -1
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [TensorSpec((1, 6, 6, 2), "int8", in_scale, in_zp),
         TensorSpec((1, 3, 3, 4), "int8", list(w_scale), None, 3, data=wq),
         TensorSpec((4,), "int32", list(b_scale), None, 0, data=bq)],
        [TensorSpec((1, 4, 4, 4), "int8", out_scale, out_zp)],
        {"padding": "VALID", "depth_multiplier": dm})
    y = run_tflm(model, xq)
    assert np.abs(y.astype(int) - quantize(ref, out_scale, out_zp)).max() <= 1


@pytest.mark.parametrize("with_bias", [True, False])
def test_fully_connected(with_bias):
    in_scale, in_zp, w_scale = 0.1, 4, 0.02
    xq = RNG.integers(-128, 128, (1, 10), dtype=np.int8)
    wq = RNG.integers(-127, 128, (5, 10), dtype=np.int8)
    bq = RNG.integers(-1000, 1000, 5).astype(np.int32)
    ref = ((xq.astype(float) - in_zp) * in_scale) @ (wq * w_scale).T
    bias = None
    if with_bias:
        ref += bq * in_scale * w_scale
        bias = TensorSpec((5,), "int32", in_scale * w_scale, 0, data=bq)
    out_scale, out_zp = np.abs(ref).max() / 120, 0
    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec((1, 10), "int8", in_scale, in_zp),
         TensorSpec((5, 10), "int8", w_scale, 0, data=wq), bias],
        [TensorSpec((1, 5), "int8", out_scale, out_zp)],
        {"fused_activation_function": "NONE"})
    y = run_tflm(model, xq)
    assert np.abs(y.astype(int) - quantize(ref, out_scale, out_zp)).max() <= 1


def test_average_pool_filter_size():
    xq = RNG.integers(-128, 128, (1, 6, 6, 2), dtype=np.int8)
    spec = dict(scale=0.1, zero_point=-5)
    model = single_op_model(
        "AVERAGE_POOL_2D", [TensorSpec((1, 6, 6, 2), "int8", **spec)],
        [TensorSpec((1, 2, 2, 2), "int8", **spec)],
        {"padding": "VALID", "filter_height": 3, "filter_width": 3,
         "stride_h": 3, "stride_w": 3})
    ref = xq.astype(float).reshape(1, 2, 3, 2, 3, 2).mean(axis=(2, 4))
    y = run_tflm(model, xq)
    assert np.abs(y.astype(float) - ref).max() <= 1


def test_reshape_new_shape():
    xq = RNG.integers(-128, 128, (1, 24), dtype=np.int8)
    model = single_op_model(
        "RESHAPE", [TensorSpec((1, 24), "int8", 0.5, 0)],
        [TensorSpec((2, 3, 4), "int8", 0.5, 0)], {"new_shape": [2, 3, 4]})
    np.testing.assert_array_equal(run_tflm(model, xq), xq.reshape(2, 3, 4))
    opts = tflite.ReshapeOptions()
    op = tflite.Model.GetRootAs(model, 0).Subgraphs(0).Operators(0)
    assert op.BuiltinOptionsType() == tflite.BuiltinOptions.ReshapeOptions
    opts.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
    assert list(opts.NewShapeAsNumpy()) == [2, 3, 4]


def test_quantize_float_to_int8():
    x = np.linspace(-15, 15, 16, dtype=np.float32).reshape(1, 16)
    model = single_op_model("QUANTIZE", [TensorSpec((1, 16), "float32")],
                            [TensorSpec((1, 16), "int8", 0.1, 3)])
    y = run_tflm(model, x)
    assert np.abs(y.astype(int) - quantize(x, 0.1, 3)).max() <= 1


def test_multi_op_graph_dedupes_opcodes():
    x = np.arange(12, dtype=np.float32).reshape(1, 12)
    tensors = [TensorSpec((1, 12), "float32"), TensorSpec((3, 4), "float32"),
               TensorSpec((12,), "float32")]
    ops = [OpSpec("RESHAPE", [0], [1], {"new_shape": [3, 4]}),
           OpSpec("RESHAPE", [1], [2], {"new_shape": [12]})]
    model = build_model(tensors, ops, [0], [2])
    assert tflite.Model.GetRootAs(model, 0).OperatorCodesLength() == 1
    np.testing.assert_array_equal(run_tflm(model, x), x.reshape(12))


def test_round_trip_conv_model():
    model, _, _ = conv_case("SAME", (2, 2), (1, 1), "RELU6")
    m = tflite.Model.GetRootAs(model, 0)
    assert m.Version() == 3 and m.SubgraphsLength() == 1
    assert m.BuffersLength() == 3 and m.Buffers(0).DataLength() == 0
    code = m.OperatorCodes(0)
    assert code.BuiltinCode() == code.DeprecatedBuiltinCode() == tflite.BuiltinOperator.CONV_2D
    sg = m.Subgraphs(0)
    assert [sg.Inputs(i) for i in range(sg.InputsLength())] == [0]
    assert [sg.Outputs(i) for i in range(sg.OutputsLength())] == [3]
    shapes = [tuple(sg.Tensors(i).ShapeAsNumpy()) for i in range(sg.TensorsLength())]
    assert shapes == [(1, 8, 8, 3), (4, 3, 3, 3), (4,), (1, 4, 4, 4)]
    assert [sg.Tensors(i).Buffer() for i in range(4)] == [0, 1, 2, 0]
    w, bias = sg.Tensors(1), sg.Tensors(2)
    assert w.Type() == tflite.TensorType.INT8 and bias.Type() == tflite.TensorType.INT32
    q = w.Quantization()
    np.testing.assert_allclose(q.ScaleAsNumpy(), [0.01, 0.02, 0.015, 0.03], rtol=1e-6)
    assert list(q.ZeroPointAsNumpy()) == [0] * 4 and q.QuantizedDimension() == 0
    assert m.Buffers(2).DataLength() == 16  # 4 x int32 bias
    op = sg.Operators(0)
    assert [op.Inputs(i) for i in range(3)] == [0, 1, 2]
    assert op.BuiltinOptionsType() == tflite.BuiltinOptions.Conv2DOptions
    opts = tflite.Conv2DOptions()
    opts.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
    assert opts.Padding() == tflite.Padding.SAME
    assert (opts.StrideW(), opts.StrideH()) == (2, 2)
    assert opts.FusedActivationFunction() == tflite.ActivationFunctionType.RELU6
    assert (opts.DilationWFactor(), opts.DilationHFactor()) == (1, 1)


def test_constant_data_is_little_endian_and_aligned():
    data = np.array([1, -2, 300], dtype=">i4")  # big-endian input must be converted
    model = single_op_model("ADD", [TensorSpec((3,), "int32"),
                                    TensorSpec((3,), "int32", data=data)],
                            [TensorSpec((3,), "int32")])
    buf = tflite.Model.GetRootAs(model, 0).Buffers(1)
    assert buf.DataAsNumpy().tobytes() == np.array([1, -2, 300], "<i4").tobytes()
    vec_start = buf._tab.Vector(buf._tab.Offset(4))
    assert vec_start % 16 == 0
    y = run_tflm(model, np.array([10, 20, 30], dtype=np.int32))
    np.testing.assert_array_equal(y, [11, 18, 330])


def test_unknown_option_lists_valid_names():
    with pytest.raises(ValueError, match="stride_w"):
        single_op_model("CONV_2D", [TensorSpec((1, 4, 4, 1), "float32")],
                        [TensorSpec((1, 4, 4, 1), "float32")], {"strides": 2})
    with pytest.raises(ValueError, match="takes no options"):
        single_op_model("RELU", [TensorSpec((4,), "float32")],
                        [TensorSpec((4,), "float32")], {"alpha": 1.0})
    with pytest.raises(ValueError, match="unknown enum"):
        single_op_model("CONV_2D", [TensorSpec((1, 4, 4, 1), "float32")],
                        [TensorSpec((1, 4, 4, 1), "float32")], {"padding": "FULL"})
