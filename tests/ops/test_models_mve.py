"""The shared int8 models whose layers take the Helium (MVE) kernels (fast conv products, depthwise layouts 1
and 2, average pooling, ADD, FULLY_CONNECTED) bit-exact with TFLM on cortex-m55 under QEMU, on random inputs
(the final outputs). With MCUGEN_LONG=1 a probe of every layer of kws_ref_model (every layer an output) checks
the intermediate tensors too."""
import pytest

from tests.conftest import assert_bit_exact, have_arm_tools, shared_model

M55 = ("cortex-m55",)
MODELS = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "person_detect",
          "str_ww_ref_model", "micro_speech_quantized"]
pytestmark = pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")


@pytest.mark.parametrize("model", MODELS)
def test_shared_model_bit_exact_on_m55(model):
    assert_bit_exact(shared_model(f"{model}.tflite").read_bytes(), count=1, boards=M55)


@pytest.mark.skipif(not __import__("os").environ.get("MCUGEN_LONG"), reason="long: MCUGEN_LONG=1")
def test_kws_every_layer_bit_exact_on_m55():
    from mcugen.testing.probe import probe_model
    assert_bit_exact(probe_model(shared_model("kws_ref_model.tflite").read_bytes()), count=2, boards=M55)
