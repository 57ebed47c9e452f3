"""`mcugen verify` compares with LiteRT's reference kernels where TFLM cannot run the model (hybrid, legacy
uint8), and with TFLM everywhere else; it says which."""
from pathlib import Path

from click.testing import CliRunner

from mcugen.cli import main
from mcugen.compiler import compile_model
from mcugen.testing.compare import reference_for
from tests.conftest import shared_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"


def _verify(path):
    r = CliRunner().invoke(main, ["verify", str(path), "--count", "4"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    return r.output


def test_legacy_uint8_with_litert():
    assert reference_for(compile_model(FIXTURES / "legacy_uint8.tflite").graph) == "litert"
    assert "bit-exact with LiteRT on 4 inputs" in _verify(FIXTURES / "legacy_uint8.tflite")


def test_hybrid_with_litert():
    path = shared_model("dynamic/ad01_dynamic.tflite")
    assert reference_for(compile_model(path).graph) == "litert"
    assert "matches LiteRT on 4 inputs" in _verify(path)


def test_int8_with_tflm():
    assert "bit-exact with TFLM on 4 inputs" in _verify(FIXTURES / "residual_add.tflite")
