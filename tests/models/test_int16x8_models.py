"""The int16x8 models of ../shared/models/int16x8 (int16 activations, int8 weights, int64 bias), bit-exact with TFLM.

Each model: 20 inputs (all -32768, all 32767, 18 random) end to end on the host; a probe version made by
mcugen.testing.probe (every layer an output) on 6 inputs, so no layer hides behind the softmax; one run
under AddressSanitizer + UBSan; and 4 inputs on cortex-m4 under QEMU (the DSP paths).
"""
import pytest

from mcugen.testing.probe import probe_model
from tests.conftest import assert_bit_exact, need_arm_tools, shared_model

MODELS = ["ad01_int16x8", "kws_ref_model_int16x8", "vww_96_int16x8"]


def _bytes(model):
    return shared_model(f"int16x8/{model}.tflite").read_bytes()


@pytest.mark.models
@pytest.mark.parametrize("model", MODELS)
def test_int16x8_model_bit_exact(model):
    cmp = assert_bit_exact(_bytes(model), count=20, seed=1)
    assert {t.dtype for t in cmp.compiled.graph.inputs} == {"int16"}


@pytest.mark.models
@pytest.mark.parametrize("model", MODELS)
def test_int16x8_probe_every_layer_bit_exact(model):
    assert_bit_exact(probe_model(_bytes(model)), count=6, seed=2)


@pytest.mark.models
@pytest.mark.parametrize("model", MODELS)
def test_int16x8_model_clean_under_sanitizers(model):
    assert_bit_exact(_bytes(model), count=2, seed=3, sanitize=True)


@pytest.mark.models
@pytest.mark.parametrize("model", MODELS)
def test_int16x8_model_on_cortex_m4(model):
    need_arm_tools()
    assert_bit_exact(_bytes(model), count=4, seed=4, boards=("cortex-m4",))
