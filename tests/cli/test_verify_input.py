"""`mcugen verify MODEL --input X.npy`: the user's recorded samples (leading sample axis) against TFLM, on the
host and on a board under QEMU; a wrong shape, dtype or file count is exit 2 naming what the model needs."""
import numpy as np
import pytest
from click.testing import CliRunner

from mcugen.cli import main
from tests.cli.test_build_project import _two_layer_model
from tests.conftest import need_arm_tools


@pytest.fixture
def model(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUGEN_CACHE_DIR", str(tmp_path / "cache"))
    p = tmp_path / "tiny.tflite"
    p.write_bytes(_two_layer_model())
    return p


def _recorded(tmp_path, n=5, shape=(1, 5, 5, 2), dtype=np.int8, seed=0, name="rec.npy"):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, *shape)).astype(dtype)
    path = tmp_path / name
    np.save(path, x)
    return path


def _verify(*args):
    return CliRunner().invoke(main, ["verify", *map(str, args)])


def test_recorded_inputs_are_verified(model, tmp_path):
    r = _verify(model, "--input", _recorded(tmp_path))
    assert r.exit_code == 0, r.output
    assert "output 0: 0 of 20 bytes differ over 5 inputs (5 recorded)" in r.output
    assert "bit-exact with TFLM on 5 inputs (5 recorded)" in r.output


def test_recorded_and_random_together(model, tmp_path):
    r = _verify(model, "--input", _recorded(tmp_path, n=3), "--count", "4")
    assert r.exit_code == 0, r.output
    assert "bit-exact with TFLM on 7 inputs (3 recorded, 4 random)" in r.output


def test_one_sample_of_the_exact_shape(model, tmp_path):
    path = tmp_path / "one.npy"
    np.save(path, np.zeros((1, 5, 5, 2), np.int8))  # the input's own shape: one sample
    r = _verify(model, "--input", path)
    assert r.exit_code == 0 and "on 1 inputs (1 recorded)" in r.output, r.output


@pytest.mark.parametrize("shape,dtype,expect", [
    ((1, 5, 4, 2), np.int8, "shape (4, 1, 5, 4, 2), the model's input 'in' needs (1, 5, 5, 2) or (N, 1, 5, 5, 2)"),
    ((1, 5, 5, 2), np.float32, "dtype float32, the model's input 'in' needs int8"),
])
def test_wrong_shape_or_dtype_is_exit_2(model, tmp_path, shape, dtype, expect):
    r = _verify(model, "--input", _recorded(tmp_path, n=4, shape=shape, dtype=dtype))
    assert r.exit_code == 2, r.output
    assert expect in r.output


def test_wrong_file_count_and_unreadable_file(model, tmp_path):
    a, b = _recorded(tmp_path, name="a.npy"), _recorded(tmp_path, name="b.npy")
    r = _verify(model, "--input", a, "--input", b)
    assert r.exit_code == 2 and "the model has 1 input(s), 2 --input given" in r.output, r.output
    bad = tmp_path / "bad.npy"
    bad.write_text("not numpy")
    r = _verify(model, "--input", bad)
    assert r.exit_code == 2 and "cannot read as .npy" in r.output, r.output
    empty = tmp_path / "empty.npy"
    np.save(empty, np.zeros((0, 1, 5, 5, 2), np.int8))
    r = _verify(model, "--input", empty)
    assert r.exit_code == 2 and "no samples" in r.output, r.output


def test_a_difference_on_recorded_data_names_the_layer_and_sample(model, tmp_path, monkeypatch):
    import mcugen.ops.fully_connected as fc
    real = fc.quantize_multiplier
    monkeypatch.setattr(fc, "quantize_multiplier", lambda x: real(x * 1.5))
    r = _verify(model, "--input", _recorded(tmp_path, n=3))
    assert r.exit_code == 1, r.output
    assert "first differing layer: step 2 (node 2, FULLY_CONNECTED)" in r.output
    assert "recorded sample 0" in r.output


def test_recorded_inputs_on_a_board_in_qemu(model, tmp_path):
    need_arm_tools()
    r = _verify(model, "--board", "cortex-m4", "--input", _recorded(tmp_path, n=6, seed=3))
    assert r.exit_code == 0, r.output
    assert "bit-exact with TFLM on 6 inputs (6 recorded)" in r.output
