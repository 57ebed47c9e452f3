"""passes/fuse_dilated_conv.py: dynamic-batch dilated convolutions (SPACE_TO_BATCH_ND -> CONV_2D ->
BATCH_TO_SPACE_ND with placeholder batch shapes) compile as dilated CONV_2D layers.

TFLM computes these models wrongly (it trusts the stored placeholder shapes: test_keras_models.py,
test_dynamic_batch_tflm_is_wrong), so the reference is desktop TFLite's reference kernels (LiteRT, which
resizes the tensors at run time). Every layer up to the last is compared with LiteRT byte for byte; the final
FULLY_CONNECTED, where desktop TFLite and TFLM differ by one step on some values (docs/tflm-differences.md),
is compared with TFLM's kernel on the same input.
"""
from pathlib import Path

import numpy as np
import pytest

from mcugen.compiler import compile_bytes
from mcugen.diagnose import single_op_of
from mcugen.frontend import read_model_bytes
from mcugen.oracle import tflm
from mcugen.testing.compare import compare_model
from mcugen.testing.probe import probe_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"
CASES = ["conv1d_dilated", "conv2d_dilated_dynamic_batch", "dilated_conv1d_stack_dynamic_batch_int8",
         "dilated_conv1d_stack_dynamic_batch_int16"]


@pytest.mark.parametrize("name", CASES)
def test_chain_becomes_one_dilated_conv(name):
    data = (FIXTURES / f"{name}.tflite").read_bytes()
    g = compile_bytes(data, "m").graph
    ops = [op.op for op in g.operators]
    assert "SPACE_TO_BATCH_ND" not in ops and "BATCH_TO_SPACE_ND" not in ops
    dilations = [(op.options["dilation_h_factor"], op.options["dilation_w_factor"])
                 for op in g.operators if op.op == "CONV_2D"]
    assert any(d != (1, 1) for d in dilations), dilations


@pytest.mark.parametrize("name", CASES)
def test_every_layer_matches_desktop_tflite(name):
    data = (FIXTURES / f"{name}.tflite").read_bytes()
    g = read_model_bytes(data)
    last = g.operators[-1]
    assert last.op == "FULLY_CONNECTED"
    # every layer before the final FULLY_CONNECTED, with LiteRT's reference kernels
    before = probe_model(data, only=[last.inputs[0].name])
    cmp = compare_model(before, count=10, oracle="litert")
    assert cmp.exact, f"{name}: {cmp.mismatches()} bytes differ from LiteRT before the last layer"
    # the whole model; its last layer against TFLM's FULLY_CONNECTED on the same input
    whole = compare_model(data, count=10, oracle="litert")
    fc = tflm.run(single_op_of(last), [cmp.ours[0].reshape(10, *last.inputs[0].shape)], 1)[0]
    assert np.array_equal(whole.ours[0].reshape(fc.shape), fc)
    assert np.abs(whole.ours[0].astype(int) - whole.ref[0].astype(int)).max() <= 1


def test_other_paddings_are_left_alone():
    """A chain with non-zero paddings is not the plain dilated convolution: not fused, and then refused."""
    from mcugen.passes import fuse_dilated_conv
    data = (FIXTURES / "conv1d_dilated.tflite").read_bytes()
    g = read_model_bytes(data)
    s2b = g.operators[0]
    s2b.inputs[2].data = np.array([[1, 1]], np.int32)
    fuse_dilated_conv(g)
    assert g.operators[0].op == "SPACE_TO_BATCH_ND"
