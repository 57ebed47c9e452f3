"""The generated C builds warning-free at every optimisation level a firmware engineer uses, on every
board's compiler flags (debug builds at -O0 included: asm-heavy DSP paths must step aside there)."""
import subprocess

import pytest
from click.testing import CliRunner

from mcugen.boards import load_board
from mcugen.cli import main
from tests.conftest import QEMU_BOARDS, need_arm_tools


@pytest.mark.parametrize("board", ["cortex-m0", "cortex-m4", "cortex-m7", "cortex-m55"])
def test_library_compiles_at_every_level(board, tmp_path):
    need_arm_tools()
    assert board in QEMU_BOARDS
    out = tmp_path / "p"
    r = CliRunner().invoke(main, ["build", "examples/tiny_cnn.tflite", "--board", board, "-o", str(out)])
    assert r.exit_code == 0, r.output
    flags = load_board(board).cflags
    for level in ("-O0", "-Og", "-Os", "-O3"):
        for src in sorted(out.glob("*.c")):
            subprocess.run(["arm-none-eabi-gcc", *flags, "-std=c99", "-Wall", "-Wextra", "-Werror", level,
                            f"-I{out}", "-c", str(src), "-o", str(tmp_path / "x.o")],
                           check=True, timeout=120, capture_output=True)
