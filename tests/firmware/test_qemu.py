"""Firmware for the Cortex-M boards, built with arm-none-eabi-gcc and run in QEMU, bit-exact with TFLM."""
import re
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from mcugen.backend import qemu
from mcugen.boards import load_board
from mcugen.cli import main
from mcugen.compiler import compile_model
from mcugen.errors import RunError
from mcugen.oracle import tflm
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import sample_inputs
from tests.conftest import QEMU_BOARDS, need_arm_tools, shared_model

M4_MODELS = ["hello_world_int8", "ad01_int8", "kws_ref_model", "micro_speech_quantized", "str_ww_ref_model",
             "person_detect", "vww_96_int8", "pretrainedResnet_quant"]


@pytest.fixture(autouse=True)
def _tools():
    need_arm_tools()


def _cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in r.output
    return r


def _run_via_cli(model_path, board, tmp_path, count, seed=4):
    compiled = compile_model(model_path)
    xs = sample_inputs(compiled.graph.inputs, count, seed=seed)
    args = ["run", model_path, "--board", board]
    for i, x in enumerate(xs):
        np.save(tmp_path / f"in{i}.npy", x)
        args += ["--input", tmp_path / f"in{i}.npy"]
    for i in range(len(compiled.graph.outputs)):
        args += ["--output", tmp_path / f"out{i}.npy"]
    r = _cli(*args)
    assert r.exit_code == 0, r.output
    ref = tflm.run(compiled.model_bytes, xs, len(compiled.graph.outputs))
    for i, want in enumerate(ref):
        got = np.load(tmp_path / f"out{i}.npy")
        assert got.shape == want.shape and np.count_nonzero(got != want) == 0, f"{board} output {i} differs"


@pytest.mark.models
@pytest.mark.parametrize("model", M4_MODELS)
def test_models_on_cortex_m4(model, tmp_path):
    _run_via_cli(shared_model(f"{model}.tflite"), "cortex-m4", tmp_path, count=4)


@pytest.mark.models
@pytest.mark.parametrize("model", ["person_detect", "vww_96_int8", "kws_ref_model"])
def test_probe_models_every_layer_on_cortex_m4(model):
    """Every layer's output (the probe models: 20 to 31 outputs, more files than newlib's semihosting keeps
    open at once, so the harness appends and closes them per sample) bit-exact with TFLM on cortex-m4."""
    from mcugen.testing.compare import run_on_board
    path = shared_model(f"probe/{model}_probe.tflite")
    data, compiled = path.read_bytes(), compile_model(path)
    assert len(compiled.graph.outputs) > 12
    xs = sample_inputs(compiled.graph.inputs, 3, seed=5)
    ours = run_on_board(data, "cortex-m4", xs)
    ref = tflm.run(data, xs, len(compiled.graph.outputs))
    for i, (got, want) in enumerate(zip(ours, ref)):
        assert np.array_equal(got.reshape(want.shape), want), f"output {i} differs"


@pytest.mark.models
@pytest.mark.parametrize("board", QEMU_BOARDS)
def test_hello_world_on_every_board(board, tmp_path):
    _run_via_cli(shared_model("hello_world_int8.tflite"), board, tmp_path, count=6)


@pytest.mark.models
@pytest.mark.parametrize("board", [b for b in QEMU_BOARDS if b != "cortex-m0"])
def test_kws_on_every_board_but_m0(board, tmp_path):
    _run_via_cli(shared_model("kws_ref_model.tflite"), board, tmp_path, count=4)


def test_verify_on_board_reports_bit_exact():
    r = _cli("verify", "examples/tiny_cnn.tflite", "--board", "cortex-m33", "--count", "4")
    assert r.exit_code == 0 and "bit-exact with TFLM on 4 inputs" in r.output, r.output


def _big_arena_model(tmp_path):
    w = np.ones((8, 1, 1, 8), np.int8)
    p = tmp_path / "big.tflite"
    p.write_bytes(single_op_model(
        "CONV_2D", [TensorSpec((1, 64, 64, 8), "int8", 0.1, 0), TensorSpec(w.shape, "int8", [0.01] * 8, [0] * 8, data=w)],
        [TensorSpec((1, 64, 64, 8), "int8", 0.2, 0)], {"padding": "VALID"}))
    return p


def _big_weights_model(tmp_path):
    w = np.ones((600, 512), np.int8)
    p = tmp_path / "heavy.tflite"
    p.write_bytes(single_op_model("FULLY_CONNECTED", [TensorSpec((1, 512), "int8", 0.1, 0),
                                                      TensorSpec(w.shape, "int8", 0.01, 0, data=w)],
                                  [TensorSpec((1, 600), "int8", 0.5, 0)]))
    return p


def test_budget_error_gives_both_numbers_and_shortfall(tmp_path):
    r = _cli("build", _big_arena_model(tmp_path), "--board", "cortex-m0", "-o", tmp_path / "o1")
    assert r.exit_code == 5, r.output
    m = re.search(r"RAM: the model needs ([\d,]+) bytes .*?the board has 16,384: ([\d,]+) bytes short", r.output)
    assert m, r.output
    need, short = (int(g.replace(",", "")) for g in m.groups())
    assert need > 32768 and short == need - 16384
    assert not (tmp_path / "o1").exists()
    r = _cli("build", _big_weights_model(tmp_path), "--board", "cortex-m0", "-o", tmp_path / "o2")
    assert r.exit_code == 5, r.output
    m = re.search(r"flash: the model needs ([\d,]+) bytes .*?the board has 262,144: ([\d,]+) bytes short", r.output)
    assert m, r.output
    need, short = (int(g.replace(",", "")) for g in m.groups())
    assert need > 600 * 512 and short == need - 262144
    r = _cli("build", _big_arena_model(tmp_path), "--board", "cortex-m0", "-o", tmp_path / "o3", "--ignore-budget")
    assert r.exit_code == 0, r.output


def _firmware_with_main(tmp_path, body):
    out = tmp_path / "fw"
    assert _cli("build", "examples/tiny_cnn.tflite", "--board", "cortex-m4", "-o", out).exit_code == 0
    (out / "harness/tiny_cnn_main.c").write_text("int main(void)\n{\n" + body + "\n}\n")
    return qemu.build_firmware(out, "tiny_cnn")


@pytest.mark.parametrize("command", ["verify", "bench"])
def test_firmware_too_big_for_the_board_says_by_how_much(command, tmp_path):
    """`verify` and `bench` link the model with the test harness; a firmware larger than the board gives the
    budget error (exit 5) with the linker's overflow per region, not the linker's log."""
    r = _cli(command, _big_arena_model(tmp_path), "--board", "cortex-m0")
    assert r.exit_code == 5, r.output
    m = re.search(r"does not fit board 'cortex-m0': ram: ([\d,]+) bytes too many \(the board has 16,384\)", r.output)
    assert m, r.output
    assert int(m.group(1).replace(",", "")) > 64 * 64 * 8 - 16384  # one 32 KB tensor alone
    assert "collect2" not in r.output and "overflowed" not in r.output


def _conv_model(tmp_path, hw):
    """A 3x3 CONV_2D over hw x hw x 6: its arena is about one 6 hw^2-byte tensor (the output lags its input)."""
    w = np.ones((6, 3, 3, 6), np.int8)
    p = tmp_path / f"conv{hw}.tflite"
    p.write_bytes(single_op_model(
        "CONV_2D", [TensorSpec((1, hw, hw, 6), "int8", 0.1, 0), TensorSpec(w.shape, "int8", [0.01] * 6, [0] * 6, data=w)],
        [TensorSpec((1, hw, hw, 6), "int8", 0.2, 0)], {"padding": "SAME"}))
    return p


def test_firmware_without_room_for_stack_or_stdio_heap_says_so(tmp_path):
    """On cortex-m0 (16 KB of RAM, the top 2 KB kept for the stack): static data reaching into the stack's
    room fails to link (link.ld.j2's ASSERT), and too little heap for newlib's files is named as such; both
    the budget error (exit 5), never a HardFault or "cannot create"."""
    r = _cli("verify", _conv_model(tmp_path, 49), "--board", "cortex-m0", "--count", "1")
    assert r.exit_code == 5 and "reaches into the stack's room" in r.output, r.output
    assert "of which the top 2,048 are kept for the stack" in r.output
    r = _cli("verify", _conv_model(tmp_path, 46), "--board", "cortex-m0", "--count", "1")
    assert r.exit_code == 5, r.output
    m = re.search(r"it has ([\d,]+) bytes of heap, and newlib's semihosting files need about 2,048", r.output)
    assert m and int(m.group(1).replace(",", "")) < 2048, r.output
    r = _cli("verify", _conv_model(tmp_path, 40), "--board", "cortex-m0", "--count", "1")
    assert r.exit_code == 0 and "bit-exact" in r.output, r.output


def test_firmware_build_problem_reads_both_regions():
    from mcugen.backend.tools import firmware_build_problem
    log = ("ld: region `FLASH' overflowed by 28440 bytes\nld: region `RAM' overflowed by 12 bytes\n"
           "collect2: error: ld returned 1 exit status\n")
    e = firmware_build_problem(log, load_board("cortex-m0"))
    assert e.exit_code == 5
    assert "flash: 28,440 bytes too many (the board has 262,144); ram: 12 bytes too many" in e.message
    assert firmware_build_problem("undefined reference to `foo'") is None


def test_faulting_firmware_reports_fault_and_pc(tmp_path):
    elf = _firmware_with_main(tmp_path, "    ((void (*)(void))0x0badc0de)();\n    return 0;")
    with pytest.raises(RunError, match=r"HardFault at PC=0x0badc0de"):
        qemu.run_qemu(qemu.qemu_command(load_board("cortex-m4"), elf, ["fw"]), str(tmp_path), timeout=60)


def test_hanging_firmware_times_out(tmp_path):
    elf = _firmware_with_main(tmp_path, "    for (volatile int i = 0;; i++) {\n    }\n    return 0;")
    with pytest.raises(RunError, match=r"did not finish within 3 s"):
        qemu.run_qemu(qemu.qemu_command(load_board("cortex-m4"), elf, ["fw"]), str(tmp_path), timeout=3)


def test_own_board_file_builds_but_cannot_run(tmp_path):
    out = tmp_path / "stm"
    r = _cli("build", "examples/tiny_cnn.tflite", "--board", "boards/stm32f746-example.toml", "-o", out)
    assert r.exit_code == 0 and "on stm32f746-example (measured)" in r.output, r.output
    subprocess.run(["make", "-s", "-C", str(out), "firmware"], check=True, capture_output=True)
    ld = (out / "firmware/tiny_cnn.ld").read_text()
    assert "0x08000000" in ld.lower() or "134217728" in ld
    np.save(tmp_path / "x.npy", np.zeros((1, 32, 16, 1), np.int8))
    r = _cli("run", "examples/tiny_cnn.tflite", "--board", "boards/stm32f746-example.toml",
             "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    assert r.exit_code == 8 and "no QEMU machine" in r.output


def test_cmake_toolchain_builds_firmware(tmp_path):
    out = tmp_path / "p"
    assert _cli("build", "examples/tiny_cnn.tflite", "--board", "cortex-m7", "-o", out).exit_code == 0
    b = tmp_path / "b"
    subprocess.run(["cmake", "-S", str(out), "-B", str(b), f"-DCMAKE_TOOLCHAIN_FILE={out}/cmake/tiny_cnn-toolchain.cmake"],
                   check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(b)], check=True, capture_output=True)
    elf = b / "tiny_cnn.elf"
    assert elf.exists()
    r = qemu.run_qemu(qemu.qemu_command(load_board("cortex-m7"), elf, ["tiny_cnn"]), str(tmp_path), timeout=60)
    assert r.returncode == 0 and "mcugen: PASS tiny_cnn" in r.stdout
