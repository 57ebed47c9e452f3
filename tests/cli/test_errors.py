"""Bad input gets a one-paragraph error and its documented exit code, never a traceback."""
import numpy as np
import pytest
from click.testing import CliRunner

from mcugen.cli import main
from mcugen.testing.builder import TensorSpec, single_op_model


def _cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in r.output
    return r


@pytest.fixture
def conv_model(tmp_path):
    w = np.ones((2, 3, 3, 1), np.int8)
    data = single_op_model(
        "CONV_2D", [TensorSpec((1, 5, 5, 1), "int8", 0.1, 0), TensorSpec(w.shape, "int8", [0.01, 0.02], [0, 0], data=w),
                    TensorSpec((2,), "int32", [0.001, 0.002], [0, 0], data=np.zeros(2, np.int32))],
        [TensorSpec((1, 5, 5, 2), "int8", 0.2, 1)], {"padding": "SAME"})
    p = tmp_path / "conv.tflite"
    p.write_bytes(data)
    return p


def test_missing_file(tmp_path):
    r = _cli("build", tmp_path / "nope.tflite", "-o", tmp_path / "out")
    assert r.exit_code == 3 and "no such file" in r.output


def test_truncated_file(tmp_path, conv_model):
    data = conv_model.read_bytes()
    for cut in (6, 40, len(data) // 2, len(data) - 7):
        p = tmp_path / f"cut{cut}.tflite"
        p.write_bytes(data[:cut])
        r = _cli("build", p, "-o", tmp_path / "out")
        assert r.exit_code == 3, (cut, r.output)
        assert "cannot read model" in r.output


def test_random_bytes(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(5):
        p = tmp_path / f"r{i}.tflite"
        body = rng.integers(0, 256, size=2000, dtype=np.uint8).tobytes()
        p.write_bytes(body[:4] + b"TFL3" + body[8:] if i % 2 else body)  # half of them carry the identifier
        r = _cli("inspect", p)
        assert r.exit_code == 3, r.output


def test_not_a_tflite_file(tmp_path):
    p = tmp_path / "notes.tflite"
    p.write_text("this is a text file, not a model\n" * 10)
    r = _cli("build", p, "-o", tmp_path / "out")
    assert r.exit_code == 3 and "not a TensorFlow Lite model" in r.output


def test_unsupported_operators_listed_with_node_index(tmp_path):
    from mcugen.testing.builder import OpSpec, build_model
    tensors = [TensorSpec((1, 4), "float32"), TensorSpec((1, 4), "float32"), TensorSpec((1, 4), "float32")]
    ops = [OpSpec("EXP", [0], [1]), OpSpec("FLOOR", [1], [2])]
    p = tmp_path / "unsup.tflite"
    p.write_bytes(build_model(tensors, ops, [0], [2]))
    r = _cli("build", p, "-o", tmp_path / "out")
    assert r.exit_code == 4
    assert "node 0: EXP" in r.output and "node 1: FLOOR" in r.output and "Supported operators:" in r.output


def test_float_model_builds_and_warns_without_fpu(tmp_path):
    w = np.ones((4, 8), np.float32)
    p = tmp_path / "float.tflite"
    p.write_bytes(single_op_model("FULLY_CONNECTED", [TensorSpec((1, 8), "float32"), TensorSpec((4, 8), "float32", data=w)],
                                  [TensorSpec((1, 4), "float32")]))
    r = _cli("build", p, "-o", tmp_path / "out")
    assert r.exit_code == 0 and "warning" not in r.output
    r = _cli("build", p, "--board", "cortex-m3", "-o", tmp_path / "m3")
    assert r.exit_code == 0 and "no FPU" in r.output
    r = _cli("build", p, "--board", "cortex-m4", "-o", tmp_path / "m4")
    assert r.exit_code == 0 and "no FPU" not in r.output


def test_float_operator_without_float_kernel_hint(tmp_path):
    from mcugen.testing.builder import OpSpec, build_model
    tensors = [TensorSpec((1, 4), "float32"), TensorSpec((1, 4), "float32")]
    p = tmp_path / "exp.tflite"
    p.write_bytes(build_model(tensors, [OpSpec("EXP", [0], [1])], [0], [1]))
    r = _cli("build", p, "-o", tmp_path / "out")
    assert r.exit_code == 4 and "no float32 kernel for EXP" in r.output


def test_never_overwrites_foreign_files(tmp_path, conv_model):
    out = tmp_path / "out"
    out.mkdir()
    (out / "Makefile").write_text("mine\n")
    r = _cli("build", conv_model, "-o", out)
    assert r.exit_code == 6 and "Makefile" in r.output
    assert (out / "Makefile").read_text() == "mine\n"
    assert _cli("build", conv_model, "-o", out, "--force").exit_code == 0


def test_rebuild_over_own_output_is_allowed_but_edits_are_kept(tmp_path, conv_model):
    out = tmp_path / "out"
    assert _cli("build", conv_model, "-o", out).exit_code == 0
    assert _cli("build", conv_model, "-o", out).exit_code == 0
    (out / "conv.c").write_text("/* my edit */\n")
    r = _cli("build", conv_model, "-o", out)
    assert r.exit_code == 6 and "conv.c" in r.output
    assert (out / "conv.c").read_text() == "/* my edit */\n"


def test_run_with_wrong_input_shape_and_dtype(tmp_path, conv_model):
    np.save(tmp_path / "bad.npy", np.zeros((1, 4, 4, 1), np.int8))
    r = _cli("run", conv_model, "--input", tmp_path / "bad.npy", "--output", tmp_path / "y.npy")
    assert r.exit_code == 2 and "needs (1, 5, 5, 1)" in r.output
    np.save(tmp_path / "badt.npy", np.zeros((1, 5, 5, 1), np.float32))
    r = _cli("run", conv_model, "--input", tmp_path / "badt.npy", "--output", tmp_path / "y.npy")
    assert r.exit_code == 2 and "dtype float32" in r.output


def test_unknown_board(tmp_path, conv_model):
    r = _cli("build", conv_model, "--board", "z80", "-o", tmp_path / "out")
    assert r.exit_code == 2 and "unknown board" in r.output
