"""What `mcugen build` writes: a deterministic, self-contained project that builds with make and CMake,
with prefixed symbols so two models link into one program."""
import json
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from mcugen.cli import main
from mcugen.testing.builder import OpSpec, TensorSpec, build_model


def _two_layer_model(seed=0):
    rng = np.random.default_rng(seed)
    w1 = rng.integers(-127, 128, (6, 3, 3, 2), dtype=np.int8)
    w2 = rng.integers(-127, 128, (4, 54), dtype=np.int8)
    tensors = [
        TensorSpec((1, 5, 5, 2), "int8", 0.05, 3, name="in"),
        TensorSpec(w1.shape, "int8", [0.01] * 6, [0] * 6, data=w1),
        TensorSpec((6,), "int32", [0.0005] * 6, [0] * 6, data=rng.integers(-500, 500, 6, dtype=np.int32)),
        TensorSpec((1, 3, 3, 6), "int8", 0.1, -5, name="conv"),
        TensorSpec((2,), "int32", data=np.array([1, 54], np.int32)),
        TensorSpec((1, 54), "int8", 0.1, -5, name="flat"),
        TensorSpec(w2.shape, "int8", 0.02, 0, data=w2),
        TensorSpec((1, 4), "int8", 0.3, 2, name="out"),
    ]
    ops = [OpSpec("CONV_2D", [0, 1, 2], [3], {"padding": "VALID", "fused_activation_function": "RELU"}),
           OpSpec("RESHAPE", [3, 4], [5], {"new_shape": [1, 54]}),
           OpSpec("FULLY_CONNECTED", [5, 6, -1], [7])]
    return build_model(tensors, ops, [0], [7])


@pytest.fixture
def model(tmp_path):
    p = tmp_path / "tiny.tflite"
    p.write_bytes(_two_layer_model())
    return p


def _build(model, out, *extra):
    r = CliRunner().invoke(main, ["build", str(model), "-o", str(out), *extra])
    assert r.exit_code == 0, r.output
    return r


def test_output_is_byte_identical_between_runs(model, tmp_path):
    _build(model, tmp_path / "a")
    _build(model, tmp_path / "b")
    a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert a == b
    for rel in a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_project_layout_and_report(model, tmp_path):
    out = tmp_path / "p"
    r = _build(model, out)
    assert "arena" in r.output and "lower bound" in r.output
    report = json.loads((out / "report.json").read_text())
    kernels = {f"tiny_{L['kernel']}.c" for L in report["layers"] if L["kernel"] != "(alias)"}
    for f in ("tiny.h", "tiny.c", "tiny_weights.c", "Makefile", "CMakeLists.txt", "README.md", "report.json",
              "harness/tiny_main.c", *kernels):
        assert (out / f).is_file(), f
    assert not (out / "tiny_avgpool_s8.c").exists()  # only the kernels the model uses
    assert report["liveness_lower_bound"] == 50 + 54  # input + conv output (the reshape aliases it)
    scratch = max(L["scratch_bytes"] for L in report["layers"])
    assert 1 <= report["arena_bytes"] <= report["liveness_lower_bound"] + scratch
    assert [L["op"] for L in report["layers"]] == ["CONV_2D", "RESHAPE", "FULLY_CONNECTED"]
    header = (out / "tiny.h").read_text()
    assert "#define TINY_ARENA_SIZE" in header and "#define TINY_INPUT0_ZERO_POINT 3" in header
    for f in out.glob("*.c"):
        text = f.read_text()
        assert "malloc" not in text and "printf" not in text and "stdio" not in text, f


def _nm_globals(obj_dir):
    syms = set()
    for o in obj_dir.glob("*.o"):
        out = subprocess.run(["nm", "-g", "--defined-only", str(o)], capture_output=True, text=True).stdout
        syms |= {line.split()[-1] for line in out.splitlines() if line.strip()}
    return syms


def test_make_and_every_symbol_prefixed(model, tmp_path):
    out = tmp_path / "p"
    _build(model, out, "--name", "kws_a")
    subprocess.run(["make", "-s", "-C", str(out)], check=True)
    syms = _nm_globals(out / "build")
    assert syms and all(s.startswith("kws_a_") for s in syms), sorted(syms)


def test_two_models_link_into_one_program(tmp_path):
    for tag, seed in (("one", 1), ("two", 2)):
        p = tmp_path / f"{tag}.tflite"
        p.write_bytes(_two_layer_model(seed))
        _build(p, tmp_path / tag)
        subprocess.run(["make", "-s", "-C", str(tmp_path / tag)], check=True)
    main_c = tmp_path / "main.c"
    main_c.write_text(
        '#include "one.h"\n#include "two.h"\n'
        "int main(void) {\n"
        "    if (one_init(0) || two_init(0)) return 1;\n"
        "    if (one_invoke() || two_invoke()) return 2;\n"
        "    return one_output(0) == 0 || two_output(0) == 0;\n}\n")
    exe = tmp_path / "both"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{tmp_path / 'one'}", f"-I{tmp_path / 'two'}",
                    str(main_c), str(tmp_path / "one/build/libone.a"), str(tmp_path / "two/build/libtwo.a"),
                    "-o", str(exe)], check=True)
    assert subprocess.run([str(exe)]).returncode == 0


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")
def test_cmake_build(model, tmp_path):
    out = tmp_path / "p"
    _build(model, out)
    b = tmp_path / "cmake-build"
    subprocess.run(["cmake", "-S", str(out), "-B", str(b), "-DMCUGEN_HOST_RUNNER=ON"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(b)], check=True, capture_output=True)
    assert (b / "tiny_host").exists()


def test_inspect_json(model):
    r = CliRunner().invoke(main, ["inspect", str(model), "--json"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert [o["op"] for o in info["operators"]] == ["CONV_2D", "RESHAPE", "FULLY_CONNECTED"]
    assert info["total_macs"] == 9 * 6 * 18 + 54 * 4
    assert info["unsupported"] == [] and info["liveness_lower_bound"] == 50 + 54


def test_verify_passes_and_reports_first_bad_layer(model, tmp_path, monkeypatch):
    monkeypatch.setenv("MCUGEN_CACHE_DIR", str(tmp_path / "cache"))
    r = CliRunner().invoke(main, ["verify", str(model), "--count", "5"])
    assert r.exit_code == 0 and "bit-exact" in r.output, r.output
    # Break the FC layer's requantization on purpose: verify must fail and name that layer.
    import mcugen.ops.fully_connected as fc
    real = fc.quantize_multiplier
    monkeypatch.setattr(fc, "quantize_multiplier", lambda x: real(x * 1.5))
    r = CliRunner().invoke(main, ["verify", str(model), "--count", "5"])
    assert r.exit_code == 1, r.output
    assert "first differing layer: step 2 (node 2, FULLY_CONNECTED)" in r.output
