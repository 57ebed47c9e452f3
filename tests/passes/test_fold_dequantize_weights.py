"""DEQUANTIZE of a constant weight feeding a float layer (weight-only quantization) is not executed
(mcugen/passes/fold_dequantize_weights.py): no DEQUANTIZE step remains, the layer reads the int8 weights
(scheme w8), and its results equal TFLM's (per-tensor weights: TFLM runs DEQUANTIZE) and LiteRT's
(per-channel weights too) bit for bit on the host (each weight is dequantized to the same float and summed
in the float kernel's order)."""
import numpy as np
import pytest

from mcugen.compiler import compile_bytes
from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.compare import compare_model


def _model(rng, op, per_channel):
    if op == "FULLY_CONNECTED":
        wshape, xshape, yshape, axis = (6, 10), (2, 10), (2, 6), 0
        opts = {"fused_activation_function": "RELU"}
    else:
        wshape, xshape, yshape, axis = (5, 3, 3, 4), (1, 6, 7, 4), (1, 6, 7, 5), 0
        opts = {"padding": "SAME", "stride_h": 1, "stride_w": 1}
    oc = wshape[0]
    w = rng.integers(-127, 128, wshape).astype(np.int8)
    scale = list(map(float, rng.uniform(0.01, 0.1, oc))) if per_channel else 0.05
    zp = [0] * oc if per_channel else 0
    ts = [TensorSpec(xshape, "float32"),
          TensorSpec(wshape, "int8", scale=scale, zero_point=zp, data=w, quantized_dimension=axis),
          TensorSpec(wshape, "float32"),
          TensorSpec((oc,), "float32", data=rng.normal(0, 1, oc).astype(np.float32)),
          TensorSpec(yshape, "float32")]
    ops = [OpSpec("DEQUANTIZE", [1], [2]), OpSpec(op, [0, 2, 3], [4], opts)]
    return build_model(ts, ops, [0], [4]), xshape


@pytest.mark.parametrize("op", ["FULLY_CONNECTED", "CONV_2D"])
@pytest.mark.parametrize("per_channel,oracle", [(False, "tflm"), (True, "litert")])
def test_dequantized_weights_fold(op, per_channel, oracle):
    rng = np.random.default_rng(61)
    model, xshape = _model(rng, op, per_channel)
    graph = compile_bytes(model, "m").graph
    assert [o.op for o in graph.operators] == [op]
    assert graph.operators[0].inputs[1].is_const and graph.operators[0].inputs[1].dtype == "int8"
    assert graph.operators[0].attrs.get("weight_only")
    xs = [rng.normal(0, 3, (4, *xshape)).astype(np.float32)]
    cmp = compare_model(model, inputs=xs, oracle=oracle, sanitize=True)
    assert np.array_equal(cmp.ours[0], cmp.ref[0])
