"""--optimize size|speed: `size` keeps every weight int8 (no int16 copies for the DSP convolutions, no
pre-extended depthwise weights) and stays bit-exact; `speed` takes every fast layout (the default,
`balanced`, is speed where the flash has room: tests/cli/test_balanced.py)."""
import json
import re

import pytest
from click.testing import CliRunner

from mcugen import api
from mcugen.cli import main
from mcugen.compiler import compile_model
from tests.conftest import need_arm_tools, shared_model


def _w16(c):
    return [int(v) for v in re.findall(r"\.w16 = (\d)", c.project.files[f"{c.project.name}.c"])]


def test_size_drops_the_int16_layouts_on_kws():
    path = shared_model("kws_ref_model.tflite")
    speed = compile_model(path, "kws", "cortex-m4", optimize="speed")
    size = compile_model(path, "kws", "cortex-m4", optimize="size")
    assert speed.project.report["optimize"] == "speed" and size.project.report["optimize"] == "size"
    assert any(_w16(speed)) and _w16(size) and not any(_w16(size))
    kernels = {L["kernel"] for L in size.project.report["layers"]}
    assert "depthwise_conv_3x3_s8" not in kernels and "depthwise_conv_s8" in kernels
    # measured: 52,604 -> 31,356 bytes of constants (the model's tensors: 24,376 bytes)
    assert size.project.report["weight_bytes"] < 0.65 * speed.project.report["weight_bytes"]
    # the same arena: only the layouts changed
    assert size.plan.arena_size <= speed.plan.arena_size


def test_no_int16_weights_on_cortex_m0_by_default():
    c = compile_model(shared_model("kws_ref_model.tflite"), "kws", "cortex-m0")
    assert _w16(c) and not any(_w16(c))


@pytest.mark.parametrize("board", ["host", "cortex-m4"])
def test_size_is_bit_exact(board, tmp_path, monkeypatch):
    if board != "host":
        need_arm_tools()
    monkeypatch.setenv("MCUGEN_CACHE_DIR", str(tmp_path / "cache"))
    r = api.verify(shared_model("kws_ref_model.tflite"), board=board, count=4, optimize="size")
    assert r.ok, r.mismatches


def test_cli_build_optimize(tmp_path):
    out = tmp_path / "p"
    r = CliRunner().invoke(main, ["build", str(shared_model("kws_ref_model.tflite")), "--board", "cortex-m4",
                                  "--optimize", "size", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "report.json").read_text())["optimize"] == "size"
    r = CliRunner().invoke(main, ["build", str(shared_model("kws_ref_model.tflite")), "--optimize", "tiny",
                                  "-o", str(tmp_path / "q")])
    assert r.exit_code == 2 and "speed" in r.output and "size" in r.output and "balanced" in r.output
