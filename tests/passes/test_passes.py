"""Graph passes: the converter's SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE chain folds away,
reshapes become aliases, and a standalone RELU folds into the layer before it; results stay bit-exact."""
import numpy as np

from mcugen.compiler import compile_bytes
from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from tests.conftest import assert_bit_exact


def _flatten_chain_model():
    """conv -> SHAPE -> STRIDED_SLICE(batch) -> PACK([b, -1]) -> RESHAPE -> FC: what Keras Flatten becomes."""
    rng = np.random.default_rng(5)
    w = rng.integers(-127, 128, (4, 3, 3, 2), dtype=np.int8)
    fw = rng.integers(-127, 128, (3, 36), dtype=np.int8)
    t = [
        TensorSpec((1, 5, 5, 2), "int8", 0.05, 1),                                   # 0 input
        TensorSpec(w.shape, "int8", [0.01] * 4, [0] * 4, data=w),                     # 1
        TensorSpec((1, 3, 3, 4), "int8", 0.1, -2),                                    # 2 conv out
        TensorSpec((4,), "int32"),                                                    # 3 shape
        TensorSpec((1,), "int32", data=np.array([0], np.int32)),                      # 4 begin
        TensorSpec((1,), "int32", data=np.array([1], np.int32)),                      # 5 end
        TensorSpec((1,), "int32", data=np.array([1], np.int32)),                      # 6 strides
        TensorSpec((), "int32"),                                                      # 7 batch (scalar)
        TensorSpec((), "int32", data=np.array(-1, np.int32)),                         # 8 -1
        TensorSpec((2,), "int32"),                                                    # 9 packed shape
        TensorSpec((1, 36), "int8", 0.1, -2),                                         # 10 flat
        TensorSpec(fw.shape, "int8", 0.02, 0, data=fw),                               # 11
        TensorSpec((1, 3), "int8", 0.2, 0),                                           # 12 fc out
        TensorSpec((1, 3), "int8", 0.2, 0),                                           # 13 relu out
    ]
    ops = [
        OpSpec("CONV_2D", [0, 1, -1], [2], {"padding": "VALID"}),
        OpSpec("SHAPE", [2], [3], {"out_type": "INT32"}),
        OpSpec("STRIDED_SLICE", [3, 4, 5, 6], [7], {"shrink_axis_mask": 1}),
        OpSpec("PACK", [7, 8], [9], {"values_count": 2, "axis": 0}),
        OpSpec("RESHAPE", [2, 9], [10]),
        OpSpec("FULLY_CONNECTED", [10, 11, -1], [12]),
        OpSpec("RELU", [12], [13]),
    ]
    return build_model(t, ops, [0], [13])


def test_flatten_chain_folds_and_stays_exact():
    data = _flatten_chain_model()
    c = compile_bytes(data, "flat")
    assert [op.op for op in c.graph.operators] == ["CONV_2D", "RESHAPE", "FULLY_CONNECTED"]
    fc = c.graph.operators[2]
    assert fc.options["fused_activation_function"] == "RELU"
    reshape = c.graph.operators[1]
    assert reshape.outputs[0].alias_of is reshape.inputs[0]
    assert c.plan.offset_of(reshape.outputs[0]) == c.plan.offset_of(reshape.inputs[0])
    assert "RESHAPE (node 4)" in c.project.files["flat.c"] and "alias, no code" in c.project.files["flat.c"]
    assert_bit_exact(data, count=8)
