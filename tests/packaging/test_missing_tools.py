"""A tool missing on the machine is named, with how to install it, exit code 7, when a command needs it.

Programs are hidden by running `mcugen` with a PATH made of links to everything on the real PATH except
them; Python packages by blocking their import in the child process. Nothing is needed at import time:
with no program at all on PATH, --version, boards and build still work.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mcugen.backend import tools
from mcugen.cli import main
from mcugen.errors import MissingToolError, ToolchainError
from tests.conftest import need_arm_tools

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "tiny_cnn.tflite"
HOST_CC = ("cc", "gcc", "clang")


def _path_without(tmp: Path, hidden) -> str:
    """A PATH holding links to every program of the real PATH but `hidden`."""
    b = tmp / "bin"
    b.mkdir(exist_ok=True)
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            p = os.path.join(d, name)
            if name in hidden or (b / name).exists() or not (os.path.isfile(p) and os.access(p, os.X_OK)):
                continue
            if name != "ccache" and os.path.basename(os.path.realpath(p)) == "ccache":
                continue  # conftest's compiler-cache link: the real compiler, further along PATH, is linked
            (b / name).symlink_to(p)
    return str(b)


def _subprocess_mcugen(args, tmp: Path, path: str):
    """`python -m mcugen ARGS` in a fresh process from the source tree, with PATH=path."""
    env = {k: v for k, v in os.environ.items() if k not in ("CC", "PYTHONPATH")}
    env.update(PATH=path, MCUGEN_CACHE_DIR=str(tmp / "cache"))
    return subprocess.run([sys.executable, "-m", "mcugen", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def mcugen(monkeypatch, tmp_path):
    """The `mcugen` command in this process (CliRunner), with PATH, CC and blocked modules as given."""
    def run(args, path: str, block: tuple[str, ...] = (), cc: str | None = None):
        monkeypatch.setenv("PATH", path)
        monkeypatch.setenv("MCUGEN_CACHE_DIR", str(tmp_path / "cache"))
        if cc is None:
            monkeypatch.delenv("CC", raising=False)
        else:
            monkeypatch.setenv("CC", cc)
        for m in block:  # the package and any of its modules an earlier test imported
            for name in [m] + [k for k in sys.modules if k.startswith(m + ".")]:
                monkeypatch.setitem(sys.modules, name, None)
        return CliRunner().invoke(main, [str(a) for a in args])
    return run


@pytest.fixture
def npy(tmp_path):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 32, 16, 1), np.int8))  # examples/tiny_cnn.tflite's input
    return x


def _assert_missing(r, *words):
    assert r.exit_code == 7, (r.exit_code, r.output)
    assert "Traceback" not in r.output
    assert r.output.startswith("mcugen: missing tool: "), r.output
    for w in words:
        assert w in r.output, (w, r.output)


def test_nothing_is_needed_at_import(tmp_path):
    """With an empty PATH: --version, boards and build (host and Cortex-M) work; only running needs tools."""
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["--version"], ["boards"], ["build", MODEL, "--board", "host", "-o", tmp_path / "h"],
                 ["build", MODEL, "--board", "cortex-m4", "-o", tmp_path / "m4"]):
        r = _subprocess_mcugen(args, tmp_path, str(empty))
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    assert "(estimated)" in r.stdout  # no arm-none-eabi-size: the footprint is estimated, not an error


def test_exit_code_of_a_missing_tool_in_a_real_process(tmp_path, npy):
    r = _subprocess_mcugen(["run", MODEL, "--input", npy, "--output", tmp_path / "y.npy"], tmp_path,
                           _path_without(tmp_path, ("make",)))
    assert r.returncode == 7 and r.stderr.startswith("mcugen: missing tool: ") and "GNU make" in r.stderr, r.stderr


@pytest.mark.parametrize("hidden, words", [
    (HOST_CC, ["a host C compiler", "apt-get install build-essential", "xcode-select --install"]),
    (("make",), ["GNU make", "build-essential"]),
    (("ar",), ["`ar`", "build-essential"]),
])
def test_host_run_without_host_tools(hidden, words, tmp_path, npy, mcugen):
    r = mcugen(["run", MODEL, "--board", "host", "--input", npy, "--output", tmp_path / "y.npy"],
               _path_without(tmp_path, hidden))
    _assert_missing(r, "building the generated project for the host", *words)


def test_cc_variable_naming_a_missing_compiler(tmp_path, mcugen):
    r = mcugen(["verify", MODEL, "--count", "1"], os.environ["PATH"], cc="no-such-cc -O2")
    _assert_missing(r, "CC=no-such-cc -O2", "build-essential")


def test_host_compiler_fallback_without_cc(tmp_path, npy, mcugen):
    """No `cc` but gcc: the host build uses gcc (make's default CC would fail)."""
    r = mcugen(["run", MODEL, "--board", "host", "--input", npy, "--output", tmp_path / "y.npy"],
               _path_without(tmp_path, ("cc",)))
    assert r.exit_code == 0, r.output
    assert np.load(tmp_path / "y.npy").shape == (1, 10)


@pytest.mark.parametrize("hidden, words", [
    (("arm-none-eabi-gcc",), ["arm-none-eabi-gcc", "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi",
                              "developer.arm.com"]),
    (("arm-none-eabi-size",), ["arm-none-eabi-size", "binutils-arm-none-eabi"]),
])
def test_board_run_without_arm_toolchain(hidden, words, tmp_path, npy, mcugen):
    r = mcugen(["run", MODEL, "--board", "cortex-m4", "--input", npy, "--output", tmp_path / "y.npy"],
               _path_without(tmp_path, hidden))
    _assert_missing(r, "building the firmware", *words)


def test_board_run_without_qemu(tmp_path, mcugen):
    need_arm_tools()  # to get as far as QEMU
    r = mcugen(["verify", MODEL, "--board", "cortex-m4", "--count", "1"], _path_without(tmp_path, ("qemu-system-arm",)))
    _assert_missing(r, "running the cortex-m4 firmware", "qemu-system-arm", "apt-get install qemu-system-arm")


def test_bench_without_host_compiler(tmp_path, mcugen):
    """`mcugen bench` compiles its QEMU plugin with the host compiler (fresh cache, so it must compile)."""
    need_arm_tools()  # to get as far as the plugin
    r = mcugen(["bench", MODEL, "--board", "cortex-m4"], _path_without(tmp_path, HOST_CC))
    _assert_missing(r, "`mcugen bench`", "a host C compiler", "build-essential")


def test_bench_without_arm_nm(tmp_path, mcugen):
    need_arm_tools()
    r = mcugen(["bench", MODEL, "--board", "cortex-m4"], _path_without(tmp_path, ("arm-none-eabi-nm",)))
    _assert_missing(r, "`mcugen bench`", "arm-none-eabi-nm", "binutils-arm-none-eabi")


def test_verify_without_tflm(mcugen):
    r = mcugen(["verify", MODEL, "--count", "1"], os.environ["PATH"], block=("tflite_micro",))
    _assert_missing(r, "the TFLM Python interpreter", "pip install 'mcugen[verify]'", "pip install tflite-micro")


def test_litert_check_without_litert(monkeypatch):
    """LiteRT (quantization) is checked without importing it (it must never share a process with TFLM)."""
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    with pytest.raises(MissingToolError) as e:
        tools.require_module("ai_edge_litert", "quantizing a float model")
    assert e.value.exit_code == 7 and isinstance(e.value, ToolchainError)
    assert "quantizing a float model needs LiteRT" in e.value.message
    assert "pip install 'mcugen[quantize]'" in e.value.message
    monkeypatch.delitem(sys.modules, "ai_edge_litert")
    if "ai_edge_litert" not in sys.modules:  # present on this machine: the check passes and imports nothing
        try:
            tools.require_module("ai_edge_litert", "quantizing")
        except MissingToolError:
            pytest.skip("ai-edge-litert is not installed here")
        assert "ai_edge_litert" not in sys.modules


def test_every_hint_names_an_install_command():
    for tool, (what, how) in tools.HINTS.items():
        assert what and ("install" in how), tool


def test_missing_package_data_is_named(monkeypatch, tmp_path):
    """A broken install (or a checkout without its links) says so instead of "unknown board 'host'. Available: ;"."""
    import mcugen.resources as resources
    monkeypatch.setattr(resources, "BOARDS", tmp_path / "nowhere")
    r = CliRunner().invoke(main, ["boards"])
    assert r.exit_code == 70 and "package data is missing" in r.output and "core.symlinks" in r.output, r.output
