"""DEPTHWISE_CONV_2D with int4 weights (scheme s4) against TFLM: random shapes, depth multipliers, strides,
dilations, padding, activations, per-channel and per-tensor quantization; the filter in the model's own dense
packing (odd tap x channel counts split a byte between taps). The first cases also run under QEMU."""
import pytest

from tests.ops.test_conv_s4 import conv_s4_model


@pytest.mark.parametrize("seed", range(12))
def test_depthwise_conv2d_s4_random(seed, bit_exact):
    # the first cases also run on the QEMU boards: keep them small
    bit_exact(conv_s4_model(4200 + seed, True, per_channel=seed % 3 != 2, small=seed < 6))


@pytest.mark.parametrize("seed", range(3))
def test_depthwise_conv2d_s4_grouped_on_cortex_m4(seed):
    """The grouped (SMLABB/SMLATT) path: depth multiplier 1, channels a multiple of 8, a board with the DSP
    extension; borders read the zero-point pad row. Host and cortex-m4 (QEMU) against TFLM."""
    import numpy as np

    from mcugen.compiler import compile_bytes
    from mcugen.ops.conv import dw_s4_grouped
    from mcugen.testing.builder import TensorSpec, single_op_model
    from mcugen.testing.random_quant import rand_act_quant, rand_bias
    from tests.conftest import assert_bit_exact, need_arm_tools
    from tests.ops.test_conv_s4 import rand_int4
    need_arm_tools()
    rng = np.random.default_rng(4250 + seed)
    c, k = 8 * int(rng.integers(1, 4)), (3, 3) if seed != 2 else (5, 2)
    (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    wt, ws = rand_int4(rng, (1, *k, c), seed != 1, 3)
    stride = 1 + (seed == 1)
    h, w = 7, 6
    oh, ow = -(-h // stride), -(-w // stride)
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [TensorSpec((1, h, w, c), "int8", si, zi),
         TensorSpec(wt.shape, "int4", ws, [0] * len(ws), data=wt, quantized_dimension=3),
         TensorSpec((c,), "int32", [si * s for s in ws], [0] * len(ws), data=rand_bias(rng, c) // 8)],
        [TensorSpec((1, oh, ow, c), "int8", so, zo)],
        {"padding": "SAME", "stride_h": stride, "stride_w": stride, "depth_multiplier": 1,
         "fused_activation_function": ["NONE", "RELU", "RELU6"][seed]})
    g = compile_bytes(model, "m", board="cortex-m4").graph
    assert dw_s4_grouped(g.operators[0], frozenset({"dsp"}))
    assert_bit_exact(model, count=4, boards=("cortex-m4",))


def test_depthwise_conv2d_s4_grouped_plain_c_sanitized():
    """The grouped layout's plain-C loop (a DSP board's project built without the DSP extension): the project
    lowered for cortex-m4, compiled on the host under AddressSanitizer and UBSan, equal to TFLM."""
    import dataclasses
    import tempfile
    from pathlib import Path

    import numpy as np

    from mcugen.backend import make_runner
    from mcugen.boards import load_board
    from mcugen.codegen import write_project
    from mcugen.compiler import compile_bytes
    from mcugen.oracle import tflm
    from mcugen.testing.builder import TensorSpec, single_op_model
    from mcugen.testing.compare import count_mismatches, sample_inputs
    from tests.ops.test_conv_s4 import rand_int4
    rng = np.random.default_rng(4260)
    wt, ws = rand_int4(rng, (1, 3, 3, 16), True, 3)
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [TensorSpec((1, 5, 6, 16), "int8", 0.05, -7),
         TensorSpec(wt.shape, "int4", ws, [0] * 16, data=wt, quantized_dimension=3),
         TensorSpec((16,), "int32", [0.05 * s for s in ws], [0] * 16, data=rng.integers(-300, 300, 16).astype(np.int32))],
        [TensorSpec((1, 5, 6, 16), "int8", 0.3, 4)], {"padding": "SAME", "depth_multiplier": 1})
    host_dsp = dataclasses.replace(load_board("host"), features=["dsp"])  # lowered as for a DSP board
    compiled = compile_bytes(model, "m", board=host_dsp)
    assert dict(compiled.project.layers[0].fields)["group_weights"] != "NULL"
    xs = sample_inputs(compiled.graph.inputs, 4, 0)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "m"
        write_project(compiled.project.files, d, force=True)
        ours = make_runner(compiled, d, sanitize=True)(xs)
    assert count_mismatches(ours, tflm.run(model, xs, 1)) == [0]


# ---- the DSP path (group_weights: tap pairs x 4 channels) and its requantizations on cortex-m4 -------------

#: name -> (model arguments, the path: "rq" (one-multiply), "rq6" (rq_shifted: multipliers >= 0.5), "tflm",
#: or "pairs" (depth multiplier > 1: not the DSP path))
DW_DSP_CASES = {
    # 3x3, 3 groups, the fast requantization in registers, RELU
    "3x3_rq_relu": (dict(n=1, h=7, w=6, c_in=12, c_out=12, k=(3, 3), act="RELU"), "rq"),
    # a last group of 2 channels, stride 2, VALID, per-tensor weights
    "3x3_tail_stride2_valid": (dict(n=1, h=9, w=8, c_in=10, c_out=10, k=(3, 3), stride=2, pad="VALID",
                                    per_channel=False), "rq"),
    # multipliers from about 0.1 to 2 (shifts -3 to 1): rq_shifted; RELU6; two images
    "3x3_rq6_batch2": (dict(n=2, h=5, w=6, c_in=8, c_out=8, k=(3, 3), act="RELU6", w_scales=(0.02, 0.4),
                            in_q=(0.1, 4), out_q=(0.02, -9)), "rq6"),
    # 10 taps (5 pairs), 7 channels, dilation 2: the loop over tap pairs, the requantization in C
    "5x2_dilated_odd_channels": (dict(n=1, h=11, w=7, c_in=7, c_out=7, k=(5, 2), dilation=2), "rq"),
    # 3 taps (an odd last one) with rq_shifted
    "3x1_rq6": (dict(n=1, h=6, w=5, c_in=9, c_out=9, k=(3, 1), w_scales=(0.05, 0.4), in_q=(0.1, 0),
                     out_q=(0.02, 3)), "rq6"),
    # multipliers near 2^17: acc * 2^(left + 1) could leave int32 (acc * 2^left does not), so TFLM's own
    # requantization in C
    "2x2_tflm_requant": (dict(n=1, h=5, w=5, c_in=4, c_out=4, k=(2, 2), w_scales=(1.0, 1.2), in_q=(1.0, 0),
                              out_q=(1e-5, 0), bias_max=6000), "tflm"),
    # depth multiplier 2: the model's own packing, pairs of channels (not the DSP path)
    "3x3_multiplier2": (dict(n=1, h=6, w=6, c_in=3, c_out=6, k=(3, 3), mult=2), "pairs"),
}


@pytest.mark.parametrize("name", list(DW_DSP_CASES))
def test_depthwise_conv2d_s4_dsp_paths_on_cortex_m4(name):
    """Each path of the DSP depthwise kernel (dw_s4_grouped) and its requantizations on cortex-m4 (QEMU) and on
    the host, against TFLM."""
    from tests.conftest import assert_bit_exact, need_arm_tools
    from tests.ops.test_conv_s4 import layer_fields, s4_layer_model
    need_arm_tools()
    kw, path = DW_DSP_CASES[name]
    model = s4_layer_model("DEPTHWISE_CONV_2D", seed=sum(map(ord, name)), **kw)
    f = layer_fields(model)
    got = ("pairs" if f["group_weights"] == "NULL" else "rq" if f["rq"] != "NULL"
           else "rq6" if f["rq_shifted"] != "NULL" else "tflm")
    assert got == path
    assert_bit_exact(model, count=4, boards=("cortex-m4",))


def test_depthwise_conv2d_s4_dsp_layout_plain_c_sanitized_rq6():
    """The DSP layout with rq_shifted and a tail group through its plain-C loop (a DSP board's lowering built for
    the host) under AddressSanitizer and UBSan."""
    from tests.ops.test_conv_s4 import assert_dsp_layout_on_host, s4_layer_model
    kw, _ = DW_DSP_CASES["3x1_rq6"]
    assert_dsp_layout_on_host(s4_layer_model("DEPTHWISE_CONV_2D", seed=1, **kw))


def test_depthwise_conv2d_s4_plain_path_on_cortex_m3():
    """No DSP extension: the model's own packing on cortex-m3 (QEMU), 3x3 with a tail of channels."""
    from tests.conftest import assert_bit_exact, need_arm_tools
    from tests.ops.test_conv_s4 import layer_fields, s4_layer_model
    need_arm_tools()
    kw, _ = DW_DSP_CASES["3x3_tail_stride2_valid"]
    model = s4_layer_model("DEPTHWISE_CONV_2D", seed=2, **kw)
    assert layer_fields(model, "cortex-m3")["group_weights"] == "NULL"
    assert_bit_exact(model, count=3, boards=("cortex-m3",))
