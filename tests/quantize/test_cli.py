"""`mcugen quantize` on the command line: the result builds, and each bad input is one paragraph and an exit code."""
from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from mcugen.cli import main
from mcugen.frontend import read_model
from tests.conftest import shared_model
from tests.quantize.realistic import hello_world


def run(*args):
    r = CliRunner().invoke(main, ["quantize", *map(str, args)])
    return r.exit_code, r.output


def test_quantize_command(tmp_path):
    cal = tmp_path / "cal.npy"
    np.save(cal, hello_world(32, 0))
    out = tmp_path / "q.tflite"
    code, text = run(shared_model("float/hello_world_float.tflite"), "--calibration", cal, "-o", out)
    assert code == 0, text
    # 6 of the 32 samples (every 5th) are held back for the report
    assert "int8, 3 operators, minmax ranges from 26 samples, per-channel weights, int8 I/O" in text
    assert "calibrating (sample passes): 52/52" in text  # progress on stderr (two passes: min/max, histograms)
    md, js = tmp_path / "q.quantization.md", tmp_path / "q.quantization.json"
    assert md.exists() and js.exists() and "worst layers:" in text
    import json
    rep = json.loads(js.read_text())
    assert [r["op"] for r in rep["layers"]] == ["FULLY_CONNECTED"] * 3
    assert rep["outputs"][0]["sqnr_db"] > 25 and rep["evaluation"].startswith("6 samples held back")
    assert "## Worst layers" in md.read_text()
    g = read_model(out)
    assert g.inputs[0].dtype == "int8" and g.signatures and g.signatures[0].key == "serving_default"
    code, text = run(shared_model("float/hello_world_float.tflite"), "--calibration", cal, "-o", out,
                     "--io", "float", "--per-tensor")
    assert code == 0, text
    assert read_model(out).inputs[0].dtype == "float32"


def test_errors(tmp_path):
    cal = tmp_path / "cal.npy"
    np.save(cal, hello_world(8, 0))
    nan = tmp_path / "nan.npy"
    x = hello_world(8, 0)
    x[3] = np.nan
    np.save(nan, x)
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((8, 3), np.float32) + np.arange(3, dtype=np.float32))
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    out = tmp_path / "q.tflite"
    fl = shared_model("float/hello_world_float.tflite")
    from tests.quantize.test_quantize_lstm import _variant  # an LSTM form the integer kernel lacks
    peephole, lstm_cal = tmp_path / "peephole.tflite", tmp_path / "lstm_cal.npy"
    peephole.write_bytes(_variant("peephole"))
    np.save(lstm_cal, np.random.default_rng(0).uniform(-1, 1, (4, 1, 2, 3)).astype(np.float32))
    cases = [
        ((shared_model("hello_world_int8.tflite"), "--calibration", cal), 4, "is already quantized"),
        ((empty, "--calibration", cal), 3, "0 bytes"),
        ((fl, "--calibration", nan), 2, "1 of 8 values are NaN"),
        ((fl, "--calibration", wrong), 2, "shape (8, 3)"),
        ((fl, "--calibration", cal, "--calibration", cal), 2, "2 calibration file(s) given"),
        ((peephole, "--calibration", lstm_cal), 4, "UNIDIRECTIONAL_SEQUENCE_LSTM: peephole"),
        ((fl, "--calibration", cal, "--percentile", "20"), 2, "--percentile 20.0: must be in (50, 100]"),
        ((fl, "--calibration", cal, "--eval", wrong), 2, "shape (8, 3)"),
    ]
    for args, code, words in cases:
        got, text = run(*args, "-o", out)
        assert got == code and words in text, (args, got, text)
        assert text.startswith("mcugen: ") and "Traceback" not in text
    assert not out.exists()
    # an output folder that does not exist: a usage error before any calibration
    got, text = run(fl, "--calibration", cal, "-o", tmp_path / "missing" / "q.tflite")
    assert got == 2 and "does not exist" in text and "Traceback" not in text, text


def test_options_int16_entropy_bias_correction_eval(tmp_path):
    cal, ev = tmp_path / "cal.npy", tmp_path / "ev.npy"
    np.save(cal, hello_world(32, 0))
    np.save(ev, hello_world(12, 1))
    out = tmp_path / "q16.tflite"
    code, text = run(shared_model("float/hello_world_float.tflite"), "--calibration", cal, "-o", out,
                     "--method", "entropy", "--activations", "int16", "--bias-correction", "--eval", ev)
    assert code == 0, text
    assert "int16, 3 operators, entropy ranges from 32 samples" in text and "bias correction" in text
    assert "12 evaluation samples given" in text
    g = read_model(out)
    assert g.inputs[0].dtype == "int16" and g.operators[0].inputs[2].dtype == "int64"
    import json
    rep = json.loads((tmp_path / "q16.quantization.json").read_text())
    s = rep["settings"]
    assert (s["activations"], s["method"], s["bias_correction"], s["bias_corrected_layers"]) == \
        ("int16", "entropy", True, 3)
    assert all(r["method"] == "entropy" and r["zero_point"] == 0 for r in rep["layers"])
    assert all(0.0 <= r["clipped"] < 0.05 for r in rep["layers"])
    assert len(rep["worst_layers"]) == 3 and rep["outputs"][0]["sqnr_db"] > 28
    md = (tmp_path / "q16.quantization.md").read_text()
    assert "| node | op | tensor | method |" in md and "int16 activations, method entropy" in md
