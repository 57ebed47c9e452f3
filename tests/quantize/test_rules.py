"""The per-operator rules (mcugen/quantize/rules.py) on small float models built in the test: each quantized
model loads in TFLM and mcugen compiles it bit-exact; tied and fixed quantizations are what TFLM needs."""
from __future__ import annotations

import numpy as np
import pytest

from mcugen.errors import UnsupportedModelError
from mcugen.ir import Quant, Tensor, Operator
from mcugen.quantize import quantize
from mcugen.quantize.rewrite import INT32_MAX, _quantize_params, activation_quant
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model

F = "float32"


def samples(shapes, n=8, seed=0, scale=2.0):
    rng = np.random.default_rng(seed)
    return [[(rng.normal(size=s) * scale + 0.3).astype(np.float32) for s in shapes] for _ in range(n)]


def q_of(t):
    return float(t.quant.s), t.quant.zp


def _single(op, in_shapes, out_shape, options=None, consts=()):
    ins = [TensorSpec(s, F, name=f"in{i}") for i, s in enumerate(in_shapes)] + list(consts)
    return single_op_model(op, ins, [TensorSpec(out_shape, F, name="out")], options or {})


CASES = {
    "ADD": (lambda: _single("ADD", [(1, 4, 4, 3), (1, 4, 4, 3)], (1, 4, 4, 3)), 2),
    "MUL": (lambda: _single("MUL", [(1, 5, 3), (1, 5, 3)], (1, 5, 3)), 2),
    "CONCATENATION": (lambda: _single("CONCATENATION", [(1, 3, 2), (1, 3, 5)], (1, 3, 7), {"axis": -1}), 2),
    "MAX_POOL_2D": (lambda: _single("MAX_POOL_2D", [(1, 6, 6, 2)], (1, 3, 3, 2),
                                    {"filter_height": 2, "filter_width": 2, "stride_h": 2, "stride_w": 2}), 1),
    "AVERAGE_POOL_2D": (lambda: _single("AVERAGE_POOL_2D", [(1, 6, 5, 2)], (1, 3, 2, 2),
                                        {"filter_height": 2, "filter_width": 3, "stride_h": 2, "stride_w": 2,
                                         "padding": "VALID"}), 1),
    "PAD": (lambda: _single("PAD", [(1, 3, 3, 2)], (1, 5, 4, 2), consts=[TensorSpec(
        (4, 2), "int32", data=np.array([[0, 0], [1, 1], [0, 1], [0, 0]]))]), 1),
    "LOGISTIC": (lambda: _single("LOGISTIC", [(1, 17)], (1, 17)), 1),
    "TANH": (lambda: _single("TANH", [(1, 17)], (1, 17)), 1),
    "SOFTMAX": (lambda: _single("SOFTMAX", [(1, 10)], (1, 10), {"beta": 1.0}), 1),
    "RELU": (lambda: _single("RELU", [(1, 9)], (1, 9)), 1),
}


@pytest.mark.parametrize("op", list(CASES))
def test_single_op(op, bit_exact):
    make, n_in = CASES[op]
    model = make()
    from mcugen.frontend import read_model_bytes
    shapes = [t.shape for t in read_model_bytes(model).inputs]
    r = quantize(model, samples(shapes))
    g = r.graph
    x, y = g.operators[0].inputs, g.operators[0].outputs[0]
    fixed = {"SOFTMAX": (1 / 256, -128), "LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0)}
    if op in fixed:
        assert q_of(y) == (float(np.float32(fixed[op][0])), fixed[op][1])
    if op in ("CONCATENATION", "MAX_POOL_2D", "AVERAGE_POOL_2D", "PAD"):
        assert all(q_of(t) == q_of(y) for t in x if t.dtype == "int8")
    bit_exact(r.model)


@pytest.mark.parametrize("op", list(CASES))
def test_single_op_16x8(op):
    """--activations int16: symmetric int16 (zero point 0), the int16 fixed scales, TFLM runs it, bit-exact."""
    from tests.conftest import assert_bit_exact
    make, n_in = CASES[op]
    model = make()
    from mcugen.frontend import read_model_bytes
    shapes = [t.shape for t in read_model_bytes(model).inputs]
    r = quantize(model, samples(shapes), activations="int16", report=False)
    g = r.graph
    x, y = g.operators[0].inputs, g.operators[0].outputs[0]
    assert y.dtype == "int16" and y.quant.zp == 0
    if op in ("SOFTMAX", "LOGISTIC", "TANH"):
        assert q_of(y) == (float(np.float32(1 / 32768)), 0)
    if op in ("CONCATENATION", "MAX_POOL_2D", "AVERAGE_POOL_2D", "PAD"):
        assert all(q_of(t) == q_of(y) for t in x if t.dtype == "int16")
    assert_bit_exact(r.model, count=4, seed=2)


def test_chain_of_tied_and_weighted_ops(bit_exact):
    rng = np.random.default_rng(1)
    t = [TensorSpec((1, 8, 8, 2), F, name="x"),
         TensorSpec((4, 3, 3, 2), F, data=rng.normal(size=(4, 3, 3, 2)) * 0.5),
         TensorSpec((4,), F, data=rng.normal(size=4) * 0.1),
         TensorSpec((1, 8, 8, 4), F), TensorSpec((1, 4, 4, 4), F),
         TensorSpec((2,), "int32", data=np.array([1, 64])), TensorSpec((1, 64), F),
         TensorSpec((5, 64), F, data=rng.normal(size=(5, 64)) * 0.2), TensorSpec((5,), F, data=rng.normal(size=5)),
         TensorSpec((1, 5), F), TensorSpec((1, 5), F, name="probs")]
    ops = [OpSpec("CONV_2D", [0, 1, 2], [3], {"padding": "SAME", "fused_activation_function": "RELU"}),
           OpSpec("MAX_POOL_2D", [3], [4], {"filter_height": 2, "filter_width": 2, "stride_h": 2, "stride_w": 2}),
           OpSpec("RESHAPE", [4, 5], [6], {"new_shape": [1, 64]}),
           OpSpec("FULLY_CONNECTED", [6, 7, 8], [9], {}),
           OpSpec("SOFTMAX", [9], [10], {"beta": 1.0})]
    model = build_model(t, ops, [0], [10])
    r = quantize(model, samples([(1, 8, 8, 2)], n=16))
    g = r.graph
    conv, pool, reshape = g.operators[:3]
    assert q_of(conv.outputs[0]) == q_of(pool.outputs[0]) == q_of(reshape.outputs[0])
    assert conv.outputs[0].quant.zp == -128  # RELU: the range starts at 0
    bit_exact(r.model)
    r2 = quantize(model, samples([(1, 8, 8, 2)], n=16), io="float")
    bit_exact(r2.model)


def test_bias_overflow_widens_weight_scale():
    x = Tensor("x", (1, 2), "int8", quant=Quant(np.array([1e-6], np.float32), np.array([0])))
    w = Tensor("w", (2, 2), F, data=np.array([[0.5, -0.25], [0.01, 0.02]], np.float32))
    b = Tensor("b", (2,), F, data=np.array([1.0, 5000.0], np.float32))
    y = Tensor("y", (1, 2), "int8")
    op = Operator("FULLY_CONNECTED", [x, w, b], [y])
    _quantize_params(op, 0)
    assert np.abs(b.data.astype(np.int64)).max() <= INT32_MAX
    assert w.quant.scale[0] == pytest.approx(0.5 / 127)  # channel 0 untouched
    assert w.quant.scale[1] > 0.02 / 127  # channel 1 widened so that 5000 fits
    real = b.data[1] * float(b.quant.scale[1])
    assert real == pytest.approx(5000.0, rel=1e-3)


def test_activation_quant_zero_exact():
    for lo, hi in [(0.0, 6.0), (-1.0, 1.0), (-3.0, 0.0), (-0.2, 17.0), (0.0, 0.0)]:
        q = activation_quant(lo, hi)
        assert -128 <= q.zp <= 127 and q.s > 0
        assert q.s * (-128 - q.zp) <= lo + 1e-6 * max(1, abs(lo)) + q.s / 2
        assert q.s * (127 - q.zp) >= hi - q.s / 2


def test_refuses_operators_without_a_rule():
    model = _single("EXP", [(1, 4)], (1, 4))
    with pytest.raises(UnsupportedModelError, match="node 0: EXP: the quantizer has no int8 rule") as e:
        quantize(model, samples([(1, 4)]))
    assert e.value.exit_code == 4


def test_refuses_models_without_float_tensors():
    model = single_op_model("ADD", [TensorSpec((1, 4), "int32"), TensorSpec((1, 4), "int32")],
                            [TensorSpec((1, 4), "int32")])
    with pytest.raises(UnsupportedModelError, match="no float32 activation tensors"):
        quantize(model, samples([(1, 4)]))
