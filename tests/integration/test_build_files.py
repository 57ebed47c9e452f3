"""The generated Makefile and CMakeLists.txt drop into a firmware build: the user's flags rule, warnings are
errors only with MCUGEN_WERROR, CMake's add_subdirectory() gives a target with its include directory, and
the toolchain file and the Makefile build with arm-none-eabi-gcc and with clang --target=arm-none-eabi
(every Cortex-M core of mcugen's boards)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from mcugen.backend import qemu
from mcugen.boards import load_board
from mcugen.compiler import compile_model
from mcugen.codegen import write_project
from mcugen.testing.compare import count_mismatches, run_on_board, sample_inputs
from mcugen.oracle import tflm
from mcugen.resources import RUNTIME_C
from tests.conftest import QEMU_BOARDS, need_arm_tools, shared_model

from .helpers import need, project, run, tiny_model

# A flag that the generated code triggers (struct padding), so a user's -Wpadded must warn and not fail.
USER_WARNING = "-Wpadded"
CHECKSUM = re.compile(r"mcugen: outputs checksum (0x[0-9a-f]{8})")


def test_make_takes_the_users_cflags_and_warnings_are_not_errors(tmp_path, monkeypatch):
    need("make", "cc")
    d = tmp_path / "tiny"
    project(tiny_model(), d)
    monkeypatch.delenv("MCUGEN_WERROR", raising=False)
    r = run(["make", "-C", d, "host", f"CFLAGS=-O1 {USER_WARNING}"])
    assert "warning:" in r.stderr and USER_WARNING in r.stderr  # it warned ...
    compile_lines = [line for line in r.stdout.splitlines() if " -c " in line]
    assert compile_lines and all(line.endswith(".o") for line in compile_lines)
    for line in compile_lines:  # ... the user's flags, last, replace the default -O2; no -Werror
        assert f"-O1 {USER_WARNING}" in line and "-O2" not in line and "-Werror" not in line, line
    assert "mcugen: PASS tiny" in run([d / "build/tiny_host"]).stdout
    # mcugen's own tests keep the code strict through the option: the same flag now fails the build
    run(["make", "-C", d, "clean"])
    r = subprocess.run(["make", "-C", str(d), "all", f"CFLAGS=-O1 {USER_WARNING}", "MCUGEN_WERROR=1"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "-Werror" in r.stdout and "error:" in r.stderr


PARENT = """cmake_minimum_required(VERSION 3.13)
project(app C)
add_subdirectory(models/tiny)
add_executable(app main.c)
target_link_libraries(app PRIVATE mcugen::tiny)
"""

APP = r"""#include <stdio.h>
#include <stdint.h>
#include "tiny.h"
/* the harness's self-test pattern and checksum, from an application of the user's own */
int main(void)
{
    if (tiny_init(NULL) != 0) return 1;
    uint8_t *in = (uint8_t *)tiny_input(0);
    for (size_t k = 0; k < tiny_input_bytes(0); k++) in[k] = (uint8_t)(k * 37u + 11u);
    if (tiny_invoke() != 0) return 2;
    uint32_t sum = 2166136261u;
    const uint8_t *out = (const uint8_t *)tiny_output(0);
    for (size_t k = 0; k < tiny_output_bytes(0); k++) sum = (sum ^ out[k]) * 16777619u;
    printf("mcugen: outputs checksum 0x%08lx\n", (unsigned long)sum);
    return 0;
}
"""


def test_cmake_add_subdirectory_links_an_app(tmp_path, monkeypatch):
    """A parent project add_subdirectory()s the generated project and links its target: the include
    directory comes as a usage requirement, the parent's CMAKE_C_FLAGS (a warning flag) apply and warn."""
    need("cmake", "make", "cc")
    monkeypatch.delenv("MCUGEN_WERROR", raising=False)
    app = tmp_path / "app"
    project(tiny_model(), app / "models/tiny")
    (app / "CMakeLists.txt").write_text(PARENT)
    (app / "main.c").write_text(APP)
    b = tmp_path / "build"
    run(["cmake", "-S", app, "-B", b, f"-DCMAKE_C_FLAGS={USER_WARNING}"])
    r = run(["cmake", "--build", b, "--verbose"])
    main_line = next(line for line in r.stdout.splitlines() if "main.c" in line and " -c " in line)
    assert f"-I{app / 'models/tiny'}" in main_line and USER_WARNING in main_line
    assert "warning:" in r.stdout + r.stderr and "-Werror" not in r.stdout
    ours = CHECKSUM.search(run([b / "app"]).stdout).group(1)
    # the same checksum as the generated harness's self-test (built by the generated Makefile)
    run(["make", "-s", "-C", app / "models/tiny", "host"])
    harness = run([app / "models/tiny/build/tiny_host"]).stdout
    assert CHECKSUM.search(harness).group(1) == ours


def test_cmake_board_project_inside_a_parent_builds_no_test_firmware(tmp_path):
    """Nested in the user's firmware, a board project contributes its library only (the self-test
    firmware, with its own main and startup, stays off); standalone it builds the firmware."""
    need("cmake", "make")
    need_arm_tools()
    app = tmp_path / "app"
    project(tiny_model(), app / "models/tiny", board="cortex-m4")
    (app / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.13)\nproject(fw C)\n"
                                        "add_subdirectory(models/tiny)\n")
    b = tmp_path / "build"
    tc = app / "models/tiny/cmake/tiny-toolchain.cmake"
    run(["cmake", "-S", app, "-B", b, f"-DCMAKE_TOOLCHAIN_FILE={tc}"])
    run(["cmake", "--build", b])
    assert (b / "models/tiny/libtiny.a").is_file()
    assert not list(b.rglob("tiny.elf"))


def _qemu_self_test(board: str, elf: Path) -> str:
    r = qemu.run_qemu(qemu.qemu_command(load_board(board), elf, ["tiny"]), str(elf.parent), 120)
    assert r.returncode == 0 and "mcugen: PASS tiny" in r.stdout, r.stdout + r.stderr
    return CHECKSUM.search(r.stdout).group(1)


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_cmake_toolchain_file_gcc_and_clang(tmp_path, compiler):
    """The toolchain file: CPU flags kept when the user passes CMAKE_C_FLAGS, clang via MCUGEN_COMPILER
    (linked by arm-none-eabi-gcc); the firmware runs in QEMU with the checksum of the make-built one."""
    need("cmake", "make")
    need_arm_tools()
    if compiler == "clang":
        need("clang")
    d = tmp_path / "tiny"
    project(tiny_model(), d, board="cortex-m4")
    b = tmp_path / "build"
    run(["cmake", "-S", d, "-B", b, f"-DCMAKE_TOOLCHAIN_FILE={d / 'cmake/tiny-toolchain.cmake'}",
         f"-DMCUGEN_COMPILER={compiler}", "-DMCUGEN_WERROR=ON", "-DCMAKE_C_FLAGS=-O2"])
    r = run(["cmake", "--build", b, "--verbose"])
    lines = [line for line in r.stdout.splitlines() if " -c " in line]
    assert lines and all("-mcpu=cortex-m4" in line and "-O2" in line and "-Werror" in line for line in lines)
    if compiler == "clang":
        assert all("clang" in line and "--target=arm-none-eabi" in line for line in lines)
    ours = _qemu_self_test("cortex-m4", b / "tiny.elf")
    run(["make", "-s", "-C", d, "firmware"])
    assert _qemu_self_test("cortex-m4", d / "build/tiny.elf") == ours


@pytest.mark.parametrize("board", QEMU_BOARDS)
def test_clang_builds_the_library_for_every_core(tmp_path, board, monkeypatch):
    """make MCUGEN_COMPILER=clang MCUGEN_WERROR=1: kws (convolutions, depthwise, FC, pooling, softmax with
    their DSP paths where the core has them) compiles warning-free and the firmware links."""
    need("clang", "make")
    need_arm_tools()
    c = compile_model(shared_model("kws_ref_model.tflite"), "kws", board)
    d = tmp_path / "kws"
    write_project(c.project.files, d, force=True)
    r = run(["make", "-C", d, "MCUGEN_COMPILER=clang", "MCUGEN_WERROR=1", "all", "firmware"])
    lines = [line for line in r.stdout.splitlines() if " -c " in line]
    assert len(lines) >= 8 and all(line.startswith("clang ") and "-Werror" in line for line in lines)
    assert "warning" not in r.stderr.lower(), r.stderr
    assert (d / "build/kws.elf").is_file()


@pytest.mark.parametrize("board", QEMU_BOARDS)
def test_clang_accepts_every_kernel_file(board):
    """Every runtime kernel file (not just kws's) is warning-free under clang -Wall -Wextra -Werror -O2 for
    the core, each #if path a core takes included (clang skips the gcc-only assembly, so helpers only that
    assembly uses must not be left unused there). -fsyntax-only: the front end gives these warnings."""
    need("clang")
    root = Path(RUNTIME_C)
    files = sorted(str(f) for f in root.rglob("*.c"))
    incs = sorted({f"-I{d}" for d in [root / "include", *{Path(f).parent for f in files}]})
    r = subprocess.run(["clang", "--target=arm-none-eabi", "--sysroot=/usr/lib/arm-none-eabi",
                        *load_board(board).cflags, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2",
                        "-fsyntax-only", *incs, *files], capture_output=True, text=True)
    assert len(files) > 60
    assert r.returncode == 0, r.stderr[-3000:]


def test_clang_firmware_is_bit_exact_in_qemu(monkeypatch):
    """The clang-compiled kws firmware on cortex-m4 gives TFLM's bytes (the backend's make reads
    MCUGEN_COMPILER from the environment)."""
    need("clang")
    need_arm_tools()
    data = shared_model("kws_ref_model.tflite").read_bytes()
    monkeypatch.setenv("MCUGEN_COMPILER", "clang")
    c = compile_model(shared_model("kws_ref_model.tflite"), "kws")
    xs = sample_inputs(c.graph.inputs, 4, seed=5)
    ours = run_on_board(data, "cortex-m4", xs, name="kws")
    assert not any(count_mismatches(ours, tflm.run(data, xs, 1)))


CORES = {  # cpu flags of every Cortex-M board (boards/*.toml)
    b: load_board(b).cflags for b in QEMU_BOARDS
}
LONG = os.environ.get("MCUGEN_LONG") == "1"


@pytest.mark.parametrize("board", QEMU_BOARDS if LONG else ["cortex-m4"])
def test_clang_compiles_the_whole_runtime(tmp_path, board):
    """Every kernel of runtime_c (what any generated project may copy), clang -Werror at -O2: the plain C
    path is the same on every core, so by default cortex-m4 (DSP paths, the most code); all six cores with
    MCUGEN_LONG=1 (each generated kws project above is built with clang for every core)."""
    need("clang")
    need_arm_tools()
    sources = sorted(RUNTIME_C.rglob("*.c"))
    includes = [f"-I{p}" for p in sorted({s.parent for s in sources} | {RUNTIME_C / "include"})]
    libc = run(["arm-none-eabi-gcc", "-print-file-name=libc.a"]).stdout.strip()
    sysroot = Path(libc).resolve().parent.parent
    run(["clang", "--target=arm-none-eabi", *CORES[board], f"--sysroot={sysroot}", "-fshort-enums", "-std=c99",
         "-Wall", "-Wextra", "-Werror", "-O2", *includes, "-c", *sources], cwd=tmp_path)
    assert len(list(tmp_path.glob("*.o"))) == len(sources)
