"""The options of issue 11 beyond calibration: --labels, --keep-float, `mcugen build --calibration`, the
progress bar. Each on the small trained fixtures of tests/fixtures/quant; errors are one paragraph and an exit
code (2 bad usage / data, 4 a model the quantizer cannot take)."""
from __future__ import annotations

import io
import json

import numpy as np
from click.testing import CliRunner

from mcugen.cli import main
from mcugen.frontend import read_model, read_model_bytes
from mcugen.quantize import quantize
from mcugen.quantize.calibration import progress_bar
from tests.conftest import assert_bit_exact, shared_model
from tests.quantize.test_vs_converter import cc

F = cc.FIXTURES


def cli(*args):
    r = CliRunner().invoke(main, [*map(str, args)])
    return r.exit_code, r.output


def test_labels_give_accuracy_in_the_report(tmp_path):
    out = tmp_path / "mlp.tflite"
    code, text = cli("quantize", F / "digits_mlp_float.tflite", "--calibration", F / "digits_mlp_calib.npy",
                     "--eval", F / "digits_mlp_eval.npy", "--labels", F / "digits_mlp_eval_labels.npy", "-o", out)
    assert code == 0, text
    # minmax: the converter's own ranges on this model, same accuracy (tests/quantize/test_vs_converter.py)
    assert "accuracy 0.964 (float 0.968)" in text
    rep = json.loads((tmp_path / "mlp.quantization.json").read_text())
    assert rep["outputs"][0]["accuracy"] == 0.964 and rep["outputs"][0]["float_accuracy"] == 0.968
    assert "0.968 -> 0.964" in (tmp_path / "mlp.quantization.md").read_text()


def test_labels_without_eval_follow_the_held_back_split():
    cal = np.load(F / "digits_mlp_eval.npy")[:50]
    lab = np.load(F / "digits_mlp_eval_labels.npy")[:50]
    one_hot = np.eye(10)[lab]
    r = quantize(F / "digits_mlp_float.tflite", cal, labels=one_hot, report=True)
    o = r.report["outputs"][0]
    # 10 of the 50 held back (every 5th): their labels, not the first 10
    ref = cc.run_float((F / "digits_mlp_float.tflite").read_bytes(), [cal[4::5]])
    assert o["float_accuracy"] == float((ref.reshape(10, -1).argmax(1) == lab[4::5]).mean()) == 1.0
    assert "accuracy" in o


def test_bad_labels_exit_2(tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros(7, np.int64))
    code, text = cli("quantize", F / "digits_mlp_float.tflite", "--calibration", F / "digits_mlp_calib.npy",
                     "--eval", F / "digits_mlp_eval.npy", "--labels", bad, "-o", tmp_path / "q.tflite")
    assert code == 2 and "shape (7,)" in text and "500 evaluation samples need 500 labels" in text
    np.save(bad, np.full(500, 0.5))
    code, text = cli("quantize", F / "digits_mlp_float.tflite", "--calibration", F / "digits_mlp_calib.npy",
                     "--eval", F / "digits_mlp_eval.npy", "--labels", bad, "-o", tmp_path / "q.tflite")
    assert code == 2 and "whole class indices" in text
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    code, text = cli("quantize", F / "digits_mlp_float.tflite", "--calibration", F / "digits_mlp_calib.npy",
                     "--eval", F / "digits_mlp_eval.npy", "--labels", empty, "-o", tmp_path / "q.tflite")
    assert code == 2 and "empty" in text


def test_keep_float_builds_a_mixed_model_bit_exact(tmp_path):
    out = tmp_path / "cnn.tflite"
    code, text = cli("quantize", F / "digits_cnn_float.tflite", "--calibration", F / "digits_cnn_calib.npy",
                     "--keep-float", "SOFTMAX,0", "-o", out)
    assert code == 0, text
    assert "nodes [0, 7] kept in float" in read_model(out).description
    g = read_model(out)
    ops = [(op.op, op.inputs[0].dtype, op.outputs[0].dtype) for op in g.operators]
    assert ops[:3] == [("DEQUANTIZE", "int8", "float32"), ("CONV_2D", "float32", "float32"),
                       ("QUANTIZE", "float32", "int8")]
    assert ops[-3:] == [("DEQUANTIZE", "int8", "float32"), ("SOFTMAX", "float32", "float32"),
                        ("QUANTIZE", "float32", "int8")]
    conv = g.operators[1]
    assert conv.inputs[1].dtype == "float32" and conv.inputs[2].dtype == "float32"  # weights stay float
    assert g.inputs[0].dtype == "int8" and g.outputs[0].dtype == "int8"
    # the float CONV_2D costs nothing in accuracy
    f = cc.load_fixture("digits_cnn")
    ref = cc.run_float(f["float"], [f["ev"]])
    s = cc.score(ref, cc.run_int(out.read_bytes(), [f["ev"]]), f["labels"])
    assert s.sqnr > 38 and s.agreement >= 0.99
    assert_bit_exact(out.read_bytes(), count=4, seed=31)


def test_keep_float_with_bias_correction_and_auto():
    r = quantize(F / "digits_mlp_float.tflite", np.load(F / "digits_mlp_calib.npy"), keep_float=["1"],
                 bias_correction=True, report=False)
    assert r.bias_corrected == (2, 0)  # the two quantized layers; node 1 stays float
    ops = [op.op for op in r.graph.operators]
    assert ops == ["FULLY_CONNECTED", "DEQUANTIZE", "FULLY_CONNECTED", "QUANTIZE", "FULLY_CONNECTED", "SOFTMAX"]
    assert_bit_exact(r.model, count=3, seed=32)


def test_keep_float_errors(tmp_path):
    for arg, msg in (("LSTM", "no such operator in the model (it has CONV_2D"), ("99", "nodes 0..7")):
        code, text = cli("quantize", F / "digits_cnn_float.tflite", "--calibration", F / "digits_cnn_calib.npy",
                         "--keep-float", arg, "-o", tmp_path / "q.tflite")
        assert code == 2 and msg in text, text


def test_build_with_calibration(tmp_path):
    out = tmp_path / "out"
    code, text = cli("build", F / "digits_mlp_float.tflite", "--calibration", F / "digits_mlp_calib.npy",
                     "--method", "minmax", "--board", "host", "-o", out)
    assert code == 0, text
    q = out / "digits_mlp_int8.tflite"
    assert q.exists() and (out / "digits_mlp_int8.quantization.md").exists()
    assert f"{q}: quantized (int8, minmax" in text and "model 'digits_mlp'" in text
    assert (out / "digits_mlp.c").exists() and (out / "digits_mlp.h").exists()
    g = read_model(q)
    assert g.inputs[0].dtype == "int8" and all(t.dtype != "float32" for t in g.tensors)
    assert_bit_exact(q.read_bytes(), count=3, seed=33)
    # 16x8, again into the same folder (mcugen wrote it: no --force needed)
    code, text = cli("build", F / "digits_mlp_float.tflite", "--calibration", F / "digits_mlp_calib.npy",
                     "--method", "minmax", "--activations", "int16", "-o", out)
    assert code == 0, text
    assert read_model_bytes((out / "digits_mlp_16x8.tflite").read_bytes(), "x").inputs[0].dtype == "int16"


def test_build_with_calibration_errors(tmp_path):
    cal = F / "digits_mlp_calib.npy"
    code, text = cli("build", shared_model("kws_ref_model.tflite"), "--calibration", cal, "-o", tmp_path / "a")
    assert code == 4 and "already quantized" in text
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((4, 3), np.float32))
    code, text = cli("build", F / "digits_mlp_float.tflite", "--calibration", bad, "-o", tmp_path / "b")
    assert code == 2 and "shape (4, 3)" in text
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def test_progress_bar_on_a_tty_only():
    s = _Stream(True)
    f = progress_bar("calibrating", s, width=10)
    for d in (1, 5, 10):
        f(d, 10)
    text = s.getvalue()
    assert "\rcalibrating [#.........] 1/10" in text and "\rcalibrating [##########] 10/10\n" in text
    s = _Stream(False)
    f = progress_bar("calibrating", s, width=10)
    for d in (1, 5, 10):
        f(d, 10)
    assert s.getvalue() == "calibrating: 10/10\n"  # a log gets one line per stage, no redraws


def test_keep_float_of_an_operator_without_a_float_kernel():
    """EXP has no int8 rule (refused, with the hint) and no float kernel in mcugen: kept in float, the mixed
    model is made and then refused by mcugen's support check, exit 4, naming the operator."""
    import pytest
    from mcugen.errors import UnsupportedModelError
    from tests.quantize.test_rules import _single, samples
    m = _single("EXP", [(1, 4)], (1, 4))
    with pytest.raises(UnsupportedModelError, match="--keep-float"):
        quantize(m, samples([(1, 4)]))
    with pytest.raises(UnsupportedModelError, match="node 1: EXP: operator not supported") as e:
        quantize(m, samples([(1, 4)]), keep_float=["EXP"])
    assert e.value.exit_code == 4
