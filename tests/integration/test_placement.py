"""Placement hooks: NAME_WEIGHTS_ATTR, NAME_PARAMS_ATTR and NAME_ARENA_ATTR (NAME.h) put the weights, the
layer parameters and the static arena in the sections a user names, checked in the objects, the linked
firmware's symbol table and its linker map; the defaults keep .rodata / .bss and the 8-byte alignment."""
from __future__ import annotations

import re
import subprocess

from mcugen.backend import qemu
from mcugen.boards import load_board
from tests.conftest import need_arm_tools

from .helpers import project, run, tiny_model

ATTRS = {
    "TINY_WEIGHTS_ATTR": '__attribute__((section(".qspi")))',
    "TINY_PARAMS_ATTR": '__attribute__((section(".params")))',
    "TINY_ARENA_ATTR": '__attribute__((section(".sdram"), aligned(32)))',
}


def _sections(obj) -> dict[str, tuple[int, int]]:
    """section name -> (size, alignment) of an object file."""
    out = run(["arm-none-eabi-objdump", "-h", obj]).stdout
    found = {}
    for m in re.finditer(r"^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+2\*\*(\d+)", out, re.M):
        found[m.group(1)] = (int(m.group(2), 16), 1 << int(m.group(3)))
    return found


def _symbol_sections(elf) -> dict[str, str]:
    """symbol -> section in a linked ELF (objdump -t)."""
    out = run(["arm-none-eabi-objdump", "-t", elf]).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1].startswith("tiny_"):
            table[parts[-1]] = parts[-3]
    return table


def test_placement_macros_put_each_part_in_its_section(tmp_path):
    need_arm_tools()
    d = tmp_path / "tiny"
    c = project(tiny_model(), d, board="cortex-m4")
    header = (d / "tiny_weights.h").read_text()
    weights = re.findall(r"extern const \w+ (tiny_\w+)\[", header)
    assert weights
    cppflags = " ".join(f"-D{k}='{v}'" for k, v in ATTRS.items())
    run(["make", "-s", "-C", d, "firmware", f"CPPFLAGS={cppflags}", "LDFLAGS=-Wl,-Map=build/tiny.map"])
    w = _sections(d / "build/tiny_weights.o")
    m = _sections(d / "build/tiny.o")
    # every weight byte in .qspi, still 8-aligned; nothing left in .rodata of the weights object
    assert w[".qspi"][0] >= c.project.report["weight_bytes"] and w[".qspi"][1] >= 8
    assert not any(s.startswith(".rodata") and size for s, (size, _) in w.items())
    assert ".params" in m and m[".params"][0] > 0
    assert m[".sdram"][0] >= c.plan.arena_size and m[".sdram"][1] >= 32
    # the linked firmware: every weight array and the arena in its section, and the map says so
    syms = _symbol_sections(d / "build/tiny.elf")
    assert all(syms[s] == ".qspi" for s in weights), {s: syms.get(s) for s in weights}
    assert syms["tiny_arena_storage"] == ".sdram"
    mapping = (d / "build/tiny.map").read_text()
    for sec in (".qspi", ".params", ".sdram"):
        assert re.search(rf"^{re.escape(sec)}\s", mapping, re.M), sec
    # the linker places the orphan sections in flash / RAM: the firmware still runs
    r = qemu.run_qemu(qemu.qemu_command(load_board("cortex-m4"), d / "build/tiny.elf", ["tiny"]), str(d), 120)
    assert r.returncode == 0 and "mcugen: PASS tiny" in r.stdout


def test_placement_through_a_config_header(tmp_path):
    """The same hooks from a header of the user's (NAME_CONFIG_HEADER), the way CMake passes them."""
    need_arm_tools()
    d = tmp_path / "tiny"
    project(tiny_model(), d, board="cortex-m4")
    (tmp_path / "place.h").write_text('#define TINY_WEIGHTS_ATTR __attribute__((section(".flash2"), aligned(64)))\n')
    run(["make", "-s", "-C", d, "all", f"CPPFLAGS=-I{tmp_path} -DTINY_CONFIG_HEADER='\"place.h\"'"])
    w = _sections(d / "build/tiny_weights.o")
    assert w[".flash2"][1] == 64


def test_defaults_keep_rodata_bss_and_alignment(tmp_path):
    need_arm_tools()
    d = tmp_path / "tiny"
    c = project(tiny_model(), d, board="cortex-m4")
    run(["make", "-s", "-C", d, "all"])
    w = _sections(d / "build/tiny_weights.o")
    rodata = {s: v for s, v in w.items() if s.startswith(".rodata")}
    assert sum(size for size, _ in rodata.values()) >= c.project.report["weight_bytes"]
    assert all(align >= 8 for size, align in rodata.values() if size)
    m = _sections(d / "build/tiny.o")
    assert any(s.startswith(".bss") and size >= c.plan.arena_size and align >= 8 for s, (size, align) in m.items())
    syms = subprocess.run(["arm-none-eabi-nm", str(d / "build/tiny_weights.o")], capture_output=True, text=True).stdout
    assert all(line.split()[1] in "rR" for line in syms.splitlines() if line.strip())
