"""Build the generated project as firmware for a board and run it in qemu-system-arm.

Inputs and outputs move as files over semihosting: the harness (the same
main.c as on the host) opens them through newlib's rdimon library, and QEMU's
`-semihosting-config target=native` serves them from a temporary folder.
The firmware's exit status is QEMU's; a fault handler prints
"mcugen: <Fault> at PC=0x...." and exits non-zero.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..boards import Board
from ..errors import RunError, ToolchainError
from . import tools

_FAULT = re.compile(r"mcugen: \w*Fault[^\n]*")


def build_firmware(project_dir: Path, name: str, board: Board | None = None) -> Path:
    purpose = "building the firmware"
    make = tools.require("make", purpose)
    for tool in ("arm-none-eabi-gcc", "arm-none-eabi-ar", "arm-none-eabi-size"):
        tools.require(tool, purpose)
    r = subprocess.run([make, "-s", "-C", str(project_dir), "firmware"], capture_output=True, text=True,
                       env=tools.make_env())
    if r.returncode != 0:
        problem = tools.firmware_build_problem(r.stdout + r.stderr, board)
        if problem is not None:
            raise problem
        raise ToolchainError(f"building the firmware in {project_dir} failed:\n{r.stdout}{r.stderr}".strip())
    return project_dir / "build" / f"{name}.elf"


#: heap bytes the harness's stdio needs (newlib: FILE structures and a 1 KB buffer per open file, from malloc)
STDIO_HEAP = 2048


def heap_room(elf: Path, name: str) -> int | None:
    """Bytes between the end of the firmware's .bss (`end`) and `<name>_heap_limit` (link.ld.j2), or None."""
    try:
        out = subprocess.run([tools.require("arm-none-eabi-nm", "reading the firmware's symbols"), str(elf)],
                             capture_output=True, text=True, check=True).stdout
    except (subprocess.CalledProcessError, OSError):
        return None
    syms = {parts[2]: int(parts[0], 16) for parts in (line.split() for line in out.splitlines()) if len(parts) == 3}
    if "end" not in syms or f"{name}_heap_limit" not in syms:
        return None
    return syms[f"{name}_heap_limit"] - syms["end"]


def qemu_command(board: Board, elf: Path, args: list[str], extra: list[str] | None = None) -> list[str]:
    if not board.can_emulate:
        raise RunError(f"board '{board.name}' has no QEMU machine, so mcugen cannot run its firmware; "
                       "flash it to the real chip instead.")
    tools.require("qemu-system-arm", f"running the {board.name} firmware")
    semi = ",".join(["enable=on", "target=native"] + [f"arg={a}" for a in args])
    return ["qemu-system-arm", "-M", board.qemu_machine, *board.qemu_args, *(extra or []), "-nographic",
            "-monitor", "none", "-serial", "none", "-semihosting-config", semi, "-kernel", str(elf)]


def run_qemu(cmd: list[str], cwd: str, timeout: float) -> subprocess.CompletedProcess:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        fault = _FAULT.search(out)
        if fault:
            raise RunError(f"the firmware faulted: {fault.group(0)}.") from None
        raise RunError(f"QEMU did not finish within {timeout:.0f} s: the firmware hangs or is too slow "
                       "for this limit (raise it with --timeout).") from None
    fault = _FAULT.search(r.stdout + r.stderr)
    if fault:
        raise RunError(f"the firmware faulted: {fault.group(0)}.")
    return r


CMDLINE_LIMIT = 250  # characters of the harness's command line (newlib's rdimon crt0 buffer: 255 bytes)


def run_firmware(board: Board, elf: Path, name: str, inputs: list[np.ndarray],
                 outputs: list[tuple[tuple[int, ...], str]], timeout: float = 600) -> list[np.ndarray]:
    """Run N samples (inputs shaped (N, ...)) through the firmware; returns (N, *shape) per output."""
    n = inputs[0].shape[0] if inputs else 1
    with tempfile.TemporaryDirectory(prefix="mcugen-qemu-") as tmp:
        t = Path(tmp)
        # short file names: newlib's semihosting start-up keeps the command line in a 255-byte buffer
        args = [name[:8], str(n)]
        for i, x in enumerate(inputs):
            (t / f"i{i}").write_bytes(np.ascontiguousarray(x).tobytes())
            args.append(f"i{i}")
        args += [f"o{i}" for i in range(len(outputs))]
        if len(" ".join(args)) > CMDLINE_LIMIT:
            raise RunError(f"the model has {len(inputs)} inputs and {len(outputs)} outputs: too many to name on "
                           f"the semihosting command line of the QEMU harness ({CMDLINE_LIMIT} characters); "
                           "run it on the host instead.")
        r = run_qemu(qemu_command(board, elf, args), tmp, timeout)
        if r.returncode == 3:  # the harness could not open or create a file: newlib's stdio had no heap?
            room = heap_room(elf, name)
            if room is not None and room < STDIO_HEAP:
                from ..errors import BudgetError
                raise BudgetError(
                    f"the firmware does not fit board '{board.name}': {(r.stdout + r.stderr).strip()[-200:]}. "
                    f"Between its static data and the stack's room it has {max(room, 0):,} bytes of heap, and "
                    f"newlib's semihosting files need about {STDIO_HEAP:,} (a FILE and a buffer each). Pick a "
                    "board with more RAM or shrink the model's arena (`--memory min` may).")
        if r.returncode != 0:
            raise RunError(f"the firmware exited with status {r.returncode}:\n{(r.stdout + r.stderr).strip()[-2000:]}")
        results = []
        for i, (shape, dtype) in enumerate(outputs):
            if not (t / f"o{i}").exists():
                raise RunError(f"the firmware wrote no output {i}:\n{(r.stdout + r.stderr).strip()[-2000:]}")
            data = np.frombuffer((t / f"o{i}").read_bytes(), dtype=dtype)
            if data.size != n * int(np.prod(shape, dtype=np.int64)):
                raise RunError(f"output {i}: the firmware wrote {data.size} values, expected "
                               f"{n} x {tuple(shape)}.")
            results.append(data.reshape((n, *shape)))
        return results
