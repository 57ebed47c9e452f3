"""FULLY_CONNECTED with int4 weights (scheme s4: int8 activations, per-tensor INT4 weights packed two per
byte) against TFLM: random depths (odd ones leave half a byte), units, batches, activations, quantization,
weight zero points (TFLM's int8 kernel applies them) and bias or none. The first cases also run under QEMU."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects
from mcugen.testing.random_quant import rand_act_quant, rand_bias
from tests.ops.test_conv_s4 import rand_int4

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def fc_s4_model(seed, small=False, per_channel=False, zero_point=0, bias=True):
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 24 if small else 200))
    units = int(rng.integers(1, 8 if small else 40))
    batches = int(rng.integers(1, 4))
    (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    wt, ws = rand_int4(rng, (units, depth), per_channel, 0)
    b = TensorSpec((units,), "int32", [si * s for s in ws], [0] * len(ws), data=rand_bias(rng, units) // 8) \
        if bias else None
    return single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec((batches, depth), "int8", si, zi),
         TensorSpec(wt.shape, "int4", ws, [zero_point] * len(ws), data=wt), b],
        [TensorSpec((batches, units), "int8", so, zo)], {"fused_activation_function": ACTS[seed % 4]})


@pytest.mark.parametrize("seed", range(14))
def test_fully_connected_s4_random(seed, bit_exact):
    # the first cases also run on the QEMU boards: keep them small
    bit_exact(fc_s4_model(4600 + seed, small=seed < 6, zero_point=(0, 0, 3, -8)[seed % 4], bias=seed % 5 != 4))


def test_fully_connected_s4_sanitized(bit_exact):
    for seed in (4700, 4701):
        bit_exact(fc_s4_model(seed, zero_point=seed % 2), sanitize=True)


def test_per_channel_int4_is_rejected():
    """TFLM fails to prepare a per-channel int4 FULLY_CONNECTED; mcugen refuses it too."""
    m = fc_s4_model(4800, small=True)  # the same kind of model with one scale: accepted by both
    assert not tflm_rejects(m) and rule_problems(m) == []
    wt_units = 2
    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec((1, 5), "int8", 0.1, 0),
         TensorSpec((wt_units, 5), "int4", [0.1, 0.2], [0, 0], data=np.ones((wt_units, 5), np.int8))],
        [TensorSpec((1, wt_units), "int8", 0.1, 0)], {})
    assert tflm_rejects(model)
    assert any("per channel" in msg for msg in rule_problems(model))


def test_fully_connected_s4_large_multiplier(bit_exact):
    """A real multiplier above 1: TFLM's mcu_requantize path (rq NULL)."""
    rng = np.random.default_rng(4950)
    wt, _ = rand_int4(rng, (5, 9), False, 0)
    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec((2, 9), "int8", 0.1, 3), TensorSpec(wt.shape, "int4", [0.5], [0], data=wt),
         TensorSpec((5,), "int32", [0.05], [0], data=rng.integers(-50, 50, 5).astype(np.int32))],
        [TensorSpec((2, 5), "int8", 0.02, -5)], {})
    bit_exact(model)


def _matrix_vector_model(seed, depth, units, conv):
    """A FULLY_CONNECTED (per tensor) or a per-channel CONV_2D 1x1 on a 1x1 image (what `mcugen quantize
    --weights int4` writes for a per-channel FULLY_CONNECTED) with long rows: input zero point 127, so the
    all-minimum sample gives x - zp = -255, and one row of -8 everywhere (the chunk bound of mcu_s4_dot4)."""
    rng = np.random.default_rng(seed)
    si, zi = 0.05, 127
    wt, ws = rand_int4(rng, (units, depth), conv, 0)
    wt[1] = -8
    so = si * max(ws) * 4.0 * np.sqrt(depth) * 4.0
    b = TensorSpec((units,), "int32", [si * s for s in ws], [0] * len(ws), data=rand_bias(rng, units) // 64)
    if not conv:
        return single_op_model(
            "FULLY_CONNECTED", [TensorSpec((1, depth), "int8", si, zi),
                                TensorSpec(wt.shape, "int4", ws, [0], data=wt), b],
            [TensorSpec((1, units), "int8", so, -3)], {"fused_activation_function": "NONE"})
    w4 = wt.reshape(units, 1, 1, depth)
    return single_op_model(
        "CONV_2D", [TensorSpec((1, 1, 1, depth), "int8", si, zi),
                    TensorSpec(w4.shape, "int4", ws, [0] * units, data=w4, quantized_dimension=0), b],
        [TensorSpec((1, 1, 1, units), "int8", so, -3)],
        {"padding": "VALID", "stride_h": 1, "stride_w": 1, "dilation_h_factor": 1, "dilation_w_factor": 1,
         "fused_activation_function": "RELU"})


@pytest.mark.parametrize("conv", [False, True], ids=["fully_connected", "conv1x1_one_pixel"])
def test_s4_matrix_vector_paths(conv):
    """mcu_fully_connected_s4's 4-row blocks (rows interleaved by word; on DSP cores the nibbles masked into
    the top of each int16 lane, summed in chunks of 256 values) and the rows after them, with rows of 600
    values: per-tensor FULLY_CONNECTED and a per-channel CONV_2D 1x1 on one pixel, which runs the same kernel;
    host (plain C), cortex-m4 (the assembly) and cortex-m3 (no DSP) under QEMU, against TFLM."""
    from mcugen.compiler import compile_bytes
    from tests.conftest import assert_bit_exact, have_arm_tools
    model = _matrix_vector_model(4990 + conv, 600, 14, conv)
    layer = compile_bytes(model, "m", board="cortex-m4").project.layers[0]
    fields = dict(layer.fields)
    assert layer.function == "fully_connected_s4" and fields["blocked_units"] == 12
    assert fields["per_channel"] == int(conv)
    cmp = assert_bit_exact(model, count=5, boards=("cortex-m4", "cortex-m3") if have_arm_tools() else ())
    assert len(np.unique(cmp.ref[0])) > 8  # the outputs are not saturated


def test_s4_matrix_vector_sanitized():
    """The same kernels on the host under AddressSanitizer and UBSan (the plain-C dot4), 3 units after the
    blocks."""
    from tests.conftest import assert_bit_exact
    assert_bit_exact(_matrix_vector_model(4993, 300, 7, True), count=3, sanitize=True)
