"""Exact instruction counts from QEMU: build the TCG plugin (qemu_icount.c) and run firmware under it.

QEMU 7.2 can load TCG plugins (`-plugin lib.so,arg=...`) but Debian ships neither a plugin nor
the `qemu-plugin.h` header, so mcugen carries its own plugin source and compiles it with the
host C compiler the first time it is needed (`cc -shared -fPIC -O2`). The shared library lives
in the build cache under a name that holds the hash of the source: a changed plugin is rebuilt,
an unchanged one is reused.

The plugin counts every guest instruction QEMU executes and logs the running count each time a
watched address is about to execute; see the comment at the top of qemu_icount.c.
"""
from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from ..boards import Board
from ..cache import cache_root
from ..errors import RunError, ToolchainError
from . import tools
from .qemu import qemu_command, run_qemu

PLUGIN_SOURCE = Path(__file__).resolve().parent / "qemu_icount.c"
HOST_COMPILERS = tools.HOST_COMPILERS


def plugin_library() -> Path:
    """The compiled plugin (built on first use, then cached by source hash)."""
    try:
        source = PLUGIN_SOURCE.read_bytes()
    except OSError as e:
        raise ToolchainError(f"the QEMU plugin source {PLUGIN_SOURCE} is missing ({e}); reinstall mcugen.") from None
    digest = hashlib.sha256(source).hexdigest()[:16]
    folder = cache_root() / "qemu-plugins"
    lib = folder / f"qemu_icount-{digest}.so"
    if lib.is_file():
        return lib
    cc = tools.host_compiler("`mcugen bench` (it compiles a QEMU plugin with the host C compiler)")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="qemu_icount-", suffix=".so.tmp", dir=folder)
    os.close(fd)
    try:
        r = subprocess.run([*shlex.split(cc), "-shared", "-fPIC", "-O2", "-o", tmp, str(PLUGIN_SOURCE)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise ToolchainError(f"compiling the QEMU instruction-counting plugin with `{cc} -shared -fPIC -O2 "
                                 f"{PLUGIN_SOURCE}` failed:\n{(r.stdout + r.stderr).strip()}")
        os.replace(tmp, lib)  # atomic: a concurrent run sees either no library or a whole one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return lib


def _qemu_opt(value: str) -> str:
    """QEMU's option syntax: a literal comma inside a value is written twice."""
    return value.replace(",", ",,")


def run_counted(board: Board, elf: Path, args: list[str], watches: dict[str, int], timeout: float = 600,
                mode: str = "tb", mix: bool = False) -> tuple[list[tuple[str, int]], str]:
    """Run `elf` in QEMU with the plugin; returns the log records (label, count) and the program's output.

    `watches` maps a label to an address. The last record is ("total", instructions of the whole run).
    mix: also the per-class counts ("LABEL.load", ... after each record; qemu_icount.c, mix=on).
    """
    if mode not in ("tb", "insn"):
        raise ValueError(mode)
    lib = plugin_library()
    with tempfile.TemporaryDirectory(prefix="mcugen-bench-") as tmp:
        log = Path(tmp) / "icount.log"
        spec = [_qemu_opt(str(lib)), f"log={_qemu_opt(str(log))}", f"mode={mode}"] + (["mix=on"] if mix else [])
        spec += [f"watch={label}:{addr:#x}" for label, addr in watches.items()]
        cmd = qemu_command(board, elf, args, extra=["-plugin", ",".join(spec)])
        r = run_qemu(cmd, tmp, timeout)
        output = (r.stdout + r.stderr).strip()
        text = log.read_text() if log.exists() else ""
        if r.returncode != 0:
            if not text and ("plugin" in output.lower() or "-plugin" in output):
                raise ToolchainError(f"QEMU could not load the instruction-counting plugin {lib} (it is written "
                                     f"for the QEMU 7.2 plugin API, version 1):\n{output[-2000:]}")
            raise RunError(f"the bench firmware exited with status {r.returncode}:\n{output[-2000:]}")
    records = []
    for line in text.splitlines():
        label, _, value = line.partition(" ")
        try:
            records.append((label, int(value)))
        except ValueError:
            raise RunError(f"the instruction-counting plugin wrote an unreadable line: {line!r}.") from None
    if not records or records[-1][0] not in ("total", "dropped"):
        raise RunError("the instruction-counting plugin wrote no total: QEMU stopped before its exit handlers ran.")
    dropped = [v for label, v in records if label == "dropped"]
    if dropped:
        raise RunError(f"the instruction-counting plugin dropped {dropped[0]} records (log limit reached).")
    return records, output
