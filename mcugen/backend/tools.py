"""The external tools mcugen runs, found at the moment a command needs them (never at import).

A missing tool is a MissingToolError (exit code 7) that names the tool, what needed it and how to
install it. `mcugen build` needs none of them (the Arm toolchain only makes the flash/RAM figures
measured instead of estimated); `run`/`verify` on the host need make and a C compiler; on a Cortex-M
board the Arm toolchain and qemu-system-arm; `bench` both plus a host C compiler for its QEMU plugin;
`verify` the TFLM interpreter; quantization LiteRT.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil

from ..errors import MissingToolError

_HOST_CC = ("Debian/Ubuntu: sudo apt-get install build-essential; Fedora: sudo dnf install gcc make binutils; "
            "macOS: xcode-select --install")
_ARM_GCC = ("Debian/Ubuntu: sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi; Fedora: sudo dnf "
            "install arm-none-eabi-gcc-cs arm-none-eabi-newlib; macOS: brew install --cask gcc-arm-embedded; "
            "or the Arm GNU Toolchain from developer.arm.com (put its bin/ on PATH)")
_ARM_BINUTILS = ("Debian/Ubuntu: sudo apt-get install binutils-arm-none-eabi; Fedora: sudo dnf install "
                 "arm-none-eabi-binutils-cs; or the Arm GNU Toolchain from developer.arm.com")

# tool -> (what it is, how to install it)
HINTS: dict[str, tuple[str, str]] = {
    "make": ("GNU make", _HOST_CC),
    "cc": ("a host C compiler (cc, gcc or clang)", _HOST_CC),
    "ar": ("the host archiver `ar` (binutils)", _HOST_CC),
    "arm-none-eabi-gcc": ("the Arm GNU toolchain (arm-none-eabi-gcc with newlib)", _ARM_GCC),
    "arm-none-eabi-ar": ("arm-none-eabi-ar (Arm binutils)", _ARM_BINUTILS),
    "arm-none-eabi-nm": ("arm-none-eabi-nm (Arm binutils)", _ARM_BINUTILS),
    "arm-none-eabi-size": ("arm-none-eabi-size (Arm binutils)", _ARM_BINUTILS),
    "newlib": ("newlib for arm-none-eabi (nano.specs, rdimon.specs)",
               "Debian/Ubuntu: sudo apt-get install libnewlib-arm-none-eabi; Fedora: sudo dnf install "
               "arm-none-eabi-newlib; the Arm GNU Toolchain from developer.arm.com includes it"),
    "qemu-system-arm": ("the QEMU Arm system emulator (qemu-system-arm)",
                        "Debian/Ubuntu: sudo apt-get install qemu-system-arm; Fedora: sudo dnf install "
                        "qemu-system-arm; macOS: brew install qemu"),
    # Python packages: the extras of the mcugen distribution (pyproject.toml)
    "tflite_micro": ("the TFLM Python interpreter (pip package tflite-micro)",
                     "pip install 'mcugen[verify]' (or: pip install tflite-micro)"),
    "ai_edge_litert": ("LiteRT (pip package ai-edge-litert)",
                       "pip install 'mcugen[quantize]' (or: pip install ai-edge-litert)"),
}

HOST_COMPILERS = ("cc", "gcc", "clang")


def missing(tool: str, purpose: str) -> MissingToolError:
    what, how = HINTS.get(tool, (tool, "install it and put it on PATH"))
    return MissingToolError(f"{purpose} needs {what}, which is not installed (`{tool}` not found). "
                            f"Install it: {how}.")


def require(tool: str, purpose: str) -> str:
    """The path of a program on PATH, or MissingToolError with its install hint."""
    path = shutil.which(tool)
    if path is None:
        raise missing(tool, purpose)
    return path


def host_compiler(purpose: str) -> str:
    """The host C compiler: $CC if set (it must exist), else the first of cc, gcc, clang on PATH."""
    env = os.environ.get("CC", "").split()
    if env:
        if shutil.which(env[0]) is None:
            raise missing("cc", f"{purpose} (CC={os.environ['CC']})")
        return os.environ["CC"]
    found = next((c for c in HOST_COMPILERS if shutil.which(c)), None)
    if found is None:
        raise missing("cc", purpose)
    return found


def require_module(module: str, purpose: str) -> None:
    """Check that a Python package can be imported, without importing it (LiteRT and TFLM must not
    share a process, so the check must not load either)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise missing(module, purpose)


_OVERFLOW = re.compile(r"region [`'\"]?(\w+)['\"]? overflowed by (\d+) bytes")
_STACK_ROOM = re.compile(r"mcugen-stack-room (\d+)")  # templates/firmware/link.ld.j2's ASSERT


def firmware_build_problem(output: str, board=None, what: str = "firmware"):
    """A firmware build that failed for a reason the user can act on, as its error (None otherwise): newlib
    missing (the compiler exists but has no specs), the linked image larger than the board's flash or RAM
    (the linker's "region `X' overflowed by N bytes"), which says by how much, or static data reaching into the
    stack's room at the top of RAM (link.ld.j2's ASSERT "mcugen-stack-room")."""
    low = output.lower()
    if ("nano.specs" in low or "rdimon.specs" in low) and ("no such file" in low or "cannot read spec" in low
                                                            or "cannot find" in low):
        return missing("newlib", "building the firmware")
    name = f"board '{board.name}'" if board is not None else "the board"
    over: dict[str, int] = {}
    for region, n in _OVERFLOW.findall(output):
        over[region.upper()] = max(over.get(region.upper(), 0), int(n))
    if over:
        from ..errors import BudgetError
        sizes = {"FLASH": getattr(getattr(board, "flash", None), "size", None),
                 "RAM": getattr(getattr(board, "ram", None), "size", None)}
        parts = []
        for region, n in sorted(over.items()):
            has = f" (the board has {sizes[region]:,})" if sizes.get(region) else ""
            parts.append(f"{region.lower() if region in sizes else region}: {n:,} bytes too many{has}")
        return BudgetError(f"the {what} does not fit {name}: " + "; ".join(parts) + ". It holds the model's "
                           "library and mcugen's test harness (start-up code, newlib's semihosting stdio: about "
                           "16 KB of flash and 1 KB of RAM), so it needs more than the model alone (`mcugen build` "
                           "measures that). Pick a board with more memory or shrink the model.")
    room_hit = _STACK_ROOM.search(output)
    if room_hit:  # (a region overflow, above, says more)
        from ..errors import BudgetError
        ram = getattr(getattr(board, "ram", None), "size", None)
        stack = int(room_hit.group(1))
        room = f" (its RAM: {ram:,} bytes, of which the top {stack:,} are kept for the stack)" if ram else \
            f" (the top {stack:,} bytes of its RAM are kept for the stack)"
        return BudgetError(f"the {what} does not fit {name}{room}: its static data (.data + .bss: the model's "
                           "arena and state, the test harness, newlib) reaches into the stack's room, where the "
                           "stack would overwrite it. Pick a board with more RAM or shrink the model's arena "
                           "(`--memory min` may).")
    return None


#: variables an enclosing `make` passes down to every make it runs (command-line overrides such as BUILD=...)
_MAKE_INHERITED = ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL", "GNUMAKEFLAGS")


def make_env() -> dict[str, str]:
    """The environment for mcugen's own `make` runs in a generated project: the caller's, without what an
    enclosing make would pass down (mcugen run from a Makefile with `make BUILD=...` must not move the
    generated project's build folder) and without BUILD (the generated Makefile's `BUILD ?= build`)."""
    return {k: v for k, v in os.environ.items() if k not in _MAKE_INHERITED and k != "BUILD"}

