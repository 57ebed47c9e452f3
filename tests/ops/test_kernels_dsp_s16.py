"""DSP paths of the 16x8 DEPTHWISE_CONV_2D, TRANSPOSE_CONV (int8 and 16x8) and BATCH_MATMUL (int8 and 16x8)
kernels, bit-exact with TFLM on cortex-m4 and cortex-m55 (DSP) and cortex-m3 (plain C) under QEMU over a few
seeded cases with int16 extremes, odd sizes and every adj_x/adj_y combination; and the planner's overlap of
input and output for these layers, exact under ASan/UBSan."""
import numpy as np
import pytest

from mcugen.compiler import compile_bytes
from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from tests.conftest import assert_bit_exact, have_arm_tools, need_arm_tools
from tests.ops.s16_cases import conv_model
from tests.ops.test_batch_matmul import bmm_model
from tests.ops.test_transpose_conv import tconv_model

BOARDS = ("cortex-m3", "cortex-m4", "cortex-m55")


def _fields(model, board):
    return dict(compile_bytes(model, "m", board=board).project.layers[0].fields)


def test_depthwise_s16_dsp_layout_only_on_dsp_boards():
    """The packed tap-pair weights and the folded requantization table exist only for DSP boards; there the
    int8 filter, bias and multipliers are left out."""
    model = conv_model(3100, True, "int64", per_channel=True)
    host, m3, m4 = (_fields(model, b) for b in ("host", "cortex-m3", "cortex-m4"))
    assert host.get("weights", "NULL") == "NULL" and m3.get("weights", "NULL") == "NULL"
    assert m4["weights"] != "NULL" and m4["rq"] != "NULL" and m4["filter"] == "NULL"


@pytest.mark.parametrize("seed,extreme", [(3101, True), (3102, False), (3105, False), (3110, True)])
def test_depthwise_s16_dsp(seed, extreme):
    """Odd channel counts, depth multipliers 1..3, strides, dilation, padding; extremes: weights +-127/-128
    with all -32768 / all 32767 inputs (sample_inputs)."""
    need_arm_tools()
    assert_bit_exact(conv_model(seed, True, "int64", per_channel=seed % 2 == 0, extreme=extreme),
                     count=3, boards=BOARDS)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_transpose_conv_dsp(dtype):
    need_arm_tools()
    for seed, extreme in ((3200, True), (3203, False)):
        model = tconv_model(seed, dtype, "int32" if dtype == "int8" else "int64", extreme=extreme)
        assert_bit_exact(model, count=3, boards=BOARDS)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_batch_matmul_dsp(dtype):
    """Seeds 0..3 mod 4 give every (adj_x, adj_y): column gather, row gather, direct rows, plain C."""
    need_arm_tools()
    for seed in (3300, 3301, 3302, 3303):
        assert_bit_exact(bmm_model(seed, dtype), count=3, boards=BOARDS)


def _chain(kind, seed):
    """Two layers of `kind` (int16 activations) where the second one's input dies there."""
    rng = np.random.default_rng(seed)
    t = [TensorSpec((1, 9, 7, 6), "int16", 1e-3, 0)]
    ops = []
    for j in range(2):
        if kind == "DEPTHWISE_CONV_2D":
            w = rng.integers(-127, 128, (1, 3, 3, 6)).astype(np.int8)
            t += [TensorSpec(w.shape, "int8", [0.02] * 6, [0] * 6, data=w, quantized_dimension=3),
                  TensorSpec((6,), "int64", [2e-5] * 6, [0] * 6, data=rng.integers(-1000, 1000, 6)),
                  TensorSpec((1, 9, 7, 6), "int16", 2e-3 * (j + 1), 0)]
            ops.append(OpSpec(kind, [len(t) - 4, len(t) - 3, len(t) - 2], [len(t) - 1],
                              {"padding": "SAME", "depth_multiplier": 1}))
        elif kind == "CONV_2D":
            w = rng.integers(-127, 128, (6, 3, 3, 6)).astype(np.int8)
            t += [TensorSpec(w.shape, "int8", [0.02] * 6, [0] * 6, data=w),
                  TensorSpec((6,), "int64", [2e-5] * 6, [0] * 6, data=rng.integers(-1000, 1000, 6)),
                  TensorSpec((1, 9, 7, 6), "int16", 5e-3 * (j + 1), 0)]
            ops.append(OpSpec(kind, [len(t) - 4, len(t) - 3, len(t) - 2], [len(t) - 1], {"padding": "SAME"}))
        else:  # AVERAGE_POOL_2D / MAX_POOL_2D
            t.append(TensorSpec((1, 9, 7, 6), "int16", 1e-3, 0))
            ops.append(OpSpec(kind, [len(t) - 2], [len(t) - 1],
                              {"padding": "SAME", "stride_h": 1, "stride_w": 1, "filter_height": 3,
                               "filter_width": 2}))
    return build_model(t, ops, [0], [len(t) - 1])


@pytest.mark.parametrize("kind", ["DEPTHWISE_CONV_2D", "CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_s16_layers_overlap(kind):
    """The planner lays an int16 layer's output over its input (the s8 kernels' order contract, which the
    s16 kernels keep); exact under ASan+UBSan, and on cortex-m4 (the depthwise DSP path)."""
    model = _chain(kind, 3400)
    assert compile_bytes(model, "m").plan.overlaps
    assert_bit_exact(model, count=3, sanitize=True)
    if kind == "DEPTHWISE_CONV_2D" and have_arm_tools():
        assert compile_bytes(model, "m", board="cortex-m4").plan.overlaps
        assert_bit_exact(model, count=3, boards=("cortex-m4",))


def _after_relu(op_spec_fn, in_spec, dtype):
    """A RELU whose output feeds the layer built by op_spec_fn (so the layer's input is an arena tensor that
    dies at the layer)."""
    t = [in_spec, TensorSpec(in_spec.shape, dtype, in_spec.scale, in_spec.zero_point)]
    ops = [OpSpec("RELU", [0], [1], {})]
    op_spec_fn(t, ops)
    return build_model(t, ops, [0], [len(t) - 1])


def test_transpose_conv_and_batch_matmul_overlap():
    rng = np.random.default_rng(3500)
    models = []
    for dtype in ("int8", "int16"):
        s = 0.05 if dtype == "int8" else 1e-3

        def tconv(t, ops, dtype=dtype, s=s):
            w = rng.integers(-127, 128, (5, 3, 3, 4)).astype(np.int8)
            t += [TensorSpec((4,), "int32", data=np.array((1, 6, 6, 5), np.int32)),
                  TensorSpec(w.shape, "int8", [0.01] * 5, [0] * 5, data=w),
                  TensorSpec((1, 6, 6, 5), dtype, s * 4, 0)]
            ops.append(OpSpec("TRANSPOSE_CONV", [len(t) - 3, len(t) - 2, 1], [len(t) - 1],
                              {"padding": "SAME", "stride_h": 2, "stride_w": 2}))

        def bmm(t, ops, dtype=dtype, s=s):
            rhs = rng.integers(-100, 100, (2, 5, 7)).astype(dtype)
            t += [TensorSpec((2, 5, 7), dtype, s, 0, data=rhs), TensorSpec((2, 3, 5), dtype, s * s * 30, 0)]
            ops.append(OpSpec("BATCH_MATMUL", [1, len(t) - 2], [len(t) - 1], {"adj_x": False, "adj_y": True}))

        models.append(_after_relu(tconv, TensorSpec((1, 3, 3, 4), dtype, s, 0), dtype))
        models.append(_after_relu(bmm, TensorSpec((2, 3, 7), dtype, s, 0), dtype))
    for model in models:
        assert compile_bytes(model, "m").plan.overlaps
        assert_bit_exact(model, count=3, sanitize=True)
        if have_arm_tools():
            assert compile_bytes(model, "m", board="cortex-m4").plan.overlaps
            assert_bit_exact(model, count=3, boards=("cortex-m4",))
