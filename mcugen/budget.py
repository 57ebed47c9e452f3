"""Does the model fit the board? RAM: the library's .data + .bss (the arena is in .bss);
flash: its .text + .rodata + .data (weights, parameters and kernel code).

Measured exactly with `arm-none-eabi-size` on the library compiled with the
board's flags when the Arm toolchain is installed; otherwise estimated from the
arena and constant sizes (the message says which).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .boards import Board
from .errors import BudgetError, ToolchainError

CODE_ESTIMATE_PER_KERNEL = 2048


@dataclass
class Footprint:
    flash: int
    ram: int
    measured: bool


def measure_library(files: dict[str, str], name: str) -> Footprint | None:
    """Compile the library part for the board (Makefile `all`) and sum `size` over its objects."""
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("arm-none-eabi-size") is None:
        return None
    from .codegen import write_project
    with tempfile.TemporaryDirectory(prefix="mcugen-size-") as tmp:
        write_project(files, tmp, force=True)
        from .backend.tools import make_env
        r = subprocess.run(["make", "-s", "-C", tmp, "all"], capture_output=True, text=True, env=make_env())
        if r.returncode != 0:
            raise ToolchainError(f"compiling the library for the board failed:\n{r.stdout}{r.stderr}".strip())
        out = subprocess.run(["arm-none-eabi-size", "-t", str(Path(tmp) / "build" / f"lib{name}.a")],
                             capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(x) for x in out.strip().splitlines()[-1].split()[:3])
    return Footprint(flash=text + data, ram=data + bss, measured=True)


def estimate(arena: int, const_bytes: int, kernels: int) -> Footprint:
    return Footprint(flash=const_bytes + CODE_ESTIMATE_PER_KERNEL * kernels, ram=arena + 64, measured=False)


def check_budget(fp: Footprint, board: Board) -> None:
    how = "measured with arm-none-eabi-size" if fp.measured else "estimated (no Arm toolchain to measure)"
    problems = []
    if board.ram is not None and fp.ram > board.ram.size:
        problems.append(f"RAM: the model needs {fp.ram:,} bytes (arena and static data), the board has "
                        f"{board.ram.size:,}: {fp.ram - board.ram.size:,} bytes short")
    if board.flash is not None and fp.flash > board.flash.size:
        problems.append(f"flash: the model needs {fp.flash:,} bytes (weights, parameters and code), the board has "
                        f"{board.flash.size:,}: {fp.flash - board.flash.size:,} bytes short")
    if problems:
        raise BudgetError(f"the model does not fit board '{board.name}' ({how}). " + "; ".join(problems)
                          + ". Pick a board with more memory, shrink the model, or pass --ignore-budget.")
