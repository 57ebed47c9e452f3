"""Small Keras models (tests/fixtures/keras/, written by examples/keras/make_keras_models.py), bit-exact with TFLM.

Each fixture is what TFLiteConverter makes of ordinary Keras layers with
full-integer int8 quantization: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE
chains for Flatten/Reshape, EXPAND_DIMS + CONV_2D for Conv1D, MEAN for global
average pooling, QUANTIZE/DEQUANTIZE at float edges, and so on.

A dilated convolution in a model with a dynamic batch dimension (the Keras
default) becomes SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND whose middle
tensors are stored with the placeholder batch 1 instead of their real batch
(2 for Conv1D, 4 for Conv2D); TFLM runs them with the stored shapes and gets
wrong outputs (docs/tflm-differences.md). mcugen must refuse those models with
exit code 4 and name the operators, rather than reproduce the wrong numbers.
"""
from pathlib import Path

import pytest
from click.testing import CliRunner

from mcugen.cli import main
from mcugen.testing.compare import compare_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"

BIT_EXACT = [
    "dense_flatten",
    "conv2d_bn_relu_maxpool",
    "depthwise_separable",
    "conv1d",
    "conv2d_dilated",
    "residual_add",
    "activations",
    "padding_permute",
    "float_io",
]
# fixture -> operators the error must name
UNSUPPORTED = {
    "conv1d_dilated": ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"),
    "conv2d_dilated_dynamic_batch": ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"),
}


def _fixture(name: str) -> Path:
    p = FIXTURES / f"{name}.tflite"
    assert p.exists(), f"{p} is missing: run examples/keras/make_keras_models.py (tests/fixtures/keras/README.md)"
    return p


def test_every_fixture_is_tested():
    on_disk = {p.stem for p in FIXTURES.glob("*.tflite")}
    assert on_disk == set(BIT_EXACT) | set(UNSUPPORTED)


@pytest.mark.parametrize("name", BIT_EXACT)
def test_keras_model_bit_exact(name):
    cmp = compare_model(_fixture(name).read_bytes(), count=10, name=name)
    bad = cmp.mismatches()
    assert cmp.exact, f"{name}: differing bytes per output (-1: size differs): {bad}"


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_keras_model_dynamic_batch_space_to_batch_rejected(name, tmp_path):
    r = CliRunner().invoke(main, ["build", str(_fixture(name)), "--board", "host", "-o", str(tmp_path / "out")])
    assert r.exit_code == 4, r.output
    assert "Traceback" not in r.output
    for op in UNSUPPORTED[name]:
        assert op in r.output, r.output
    assert "node 0" in r.output, r.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
