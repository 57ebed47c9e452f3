"""The 16x8 real models (shared/models/int16x8): every CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and
pooling layer, cut out as a single-operator model (mcugen.diagnose.single_op_of), is bit-exact with TFLM
on all -32768, all 32767 and random int16 inputs; ad01 (FULLY_CONNECTED only) matches end to end."""
import pytest

from mcugen.compiler import load
from mcugen.diagnose import single_op_of
from tests.conftest import assert_bit_exact, shared_model

LAYER_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D"}
MODELS = ["ad01", "kws_ref_model", "vww_96"]


@pytest.mark.parametrize("name", MODELS)
def test_layers_bit_exact(name):
    graph, _ = load(shared_model(f"int16x8/{name}_int16x8.tflite"))
    layers = [op for op in graph.operators if op.op in LAYER_OPS]
    assert layers and all(op.inputs[0].dtype == "int16" for op in layers)
    seen = set()
    for op in layers:
        cmp = assert_bit_exact(single_op_of(op), count=3)
        seen.add(cmp.compiled.project.layers[0].function)
    assert seen  # the s16 kernels ran
    assert all(f.endswith("_s16") for f in seen), seen


def test_ad01_end_to_end():
    model = shared_model("int16x8/ad01_int16x8.tflite").read_bytes()
    cmp = assert_bit_exact(model, count=4)
    assert {L.function for L in cmp.compiled.project.layers if not L.alias} == {"fully_connected_s16"}
