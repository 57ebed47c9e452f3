"""Legacy uint8 models (passes/uint8_to_int8.py): uint8 layers run the int8 kernels on values shifted by 128.

TFLM no longer runs uint8 kernels ("Hybrid models are not supported" for the TF1 fake-quant fixture), so the
reference is LiteRT's reference kernels (mcugen.oracle.litert). Each operator of SHIFT_EXACT is checked on
builder-made single-op uint8 models; an operator outside it is refused with a reason.
"""
import numpy as np
import pytest

from mcugen.passes.uint8_to_int8 import SHIFT_EXACT
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import compare_model, rule_problems


def _q(rng):
    return float(np.exp(rng.uniform(-5, -1))), int(rng.integers(0, 256))


def _assert_exact(model, count=8):
    cmp = compare_model(model, count=count, oracle="litert")
    for a, b in zip(cmp.ours, cmp.ref):
        assert a.dtype == b.dtype
    assert cmp.exact, f"differing bytes per output: {cmp.mismatches()}"
    return cmp


@pytest.mark.parametrize("seed", range(4))
def test_uint8_fully_connected(seed):
    rng = np.random.default_rng(seed)
    batches, depth, units = int(rng.integers(1, 3)), int(rng.integers(1, 40)), int(rng.integers(1, 20))
    (si, zi), (sw, zw), (so, zo) = _q(rng), _q(rng), _q(rng)
    w = rng.integers(0, 256, (units, depth), dtype=np.uint8)
    bias = rng.integers(-2000, 2000, units).astype(np.int32)
    act = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"][seed]
    model = single_op_model("FULLY_CONNECTED", [
        TensorSpec((batches, depth), "uint8", si, zi), TensorSpec((units, depth), "uint8", sw, zw, data=w),
        TensorSpec((units,), "int32", si * sw, 0, data=bias)],
        [TensorSpec((batches, units), "uint8", so * 4, zo)], {"fused_activation_function": act})
    _assert_exact(model)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_uint8_binary(op):
    rng = np.random.default_rng(len(op))
    (s1, z1), (s2, z2) = _q(rng), _q(rng)
    so = max(s1, s2) * (4 if op == "MUL" else 2)
    model = single_op_model(op, [TensorSpec((2, 3, 5), "uint8", s1, z1), TensorSpec((1, 3, 5), "uint8", s2, z2)],
                            [TensorSpec((2, 3, 5), "uint8", so, 128)])
    _assert_exact(model)


def test_uint8_max_pool_concat_softmax_logistic():
    rng = np.random.default_rng(7)
    s, z = _q(rng)
    cases = [
        single_op_model("MAX_POOL_2D", [TensorSpec((1, 6, 5, 3), "uint8", s, z)], [TensorSpec((1, 3, 3, 3), "uint8", s, z)],
                        {"filter_height": 2, "filter_width": 2, "stride_h": 2, "stride_w": 2, "padding": "SAME"}),
        single_op_model("CONCATENATION", [TensorSpec((1, 2, 3), "uint8", s, z), TensorSpec((1, 2, 4), "uint8", s, z)],
                        [TensorSpec((1, 2, 7), "uint8", s, z)], {"axis": -1}),
        single_op_model("SOFTMAX", [TensorSpec((2, 10), "uint8", s, z)], [TensorSpec((2, 10), "uint8", 1 / 256, 0)],
                        {"beta": 1.0}),
        single_op_model("LOGISTIC", [TensorSpec((3, 7), "uint8", s * 8, z)], [TensorSpec((3, 7), "uint8", 1 / 256, 0)]),
        single_op_model("QUANTIZE", [TensorSpec((4, 9), "uint8", s, z)], [TensorSpec((4, 9), "int8", s, z - 128)]),
        single_op_model("QUANTIZE", [TensorSpec((4, 9), "uint8", s, z)], [TensorSpec((4, 9), "int16", s / 50, 0)]),
        single_op_model("DEQUANTIZE", [TensorSpec((4, 9), "uint8", s, z)], [TensorSpec((4, 9), "float32")]),
    ]
    for model in cases:
        _assert_exact(model)


def test_uint8_average_pool_is_refused_with_a_reason():
    model = single_op_model("AVERAGE_POOL_2D", [TensorSpec((1, 4, 4, 2), "uint8", 0.1, 100)],
                            [TensorSpec((1, 2, 2, 2), "uint8", 0.1, 100)],
                            {"filter_height": 2, "filter_width": 2, "stride_h": 2, "stride_w": 2, "padding": "VALID"})
    msgs = rule_problems(model)
    assert msgs and any("uint8" in m for m in msgs), msgs
    assert "AVERAGE_POOL_2D" not in SHIFT_EXACT
