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
