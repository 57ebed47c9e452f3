"""Shared fixtures: the real models of ../shared/models, the toolchain checks and the comparison helper."""
from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from mcugen.testing.compare import compare_model, count_mismatches, run_on_board

# Under pytest-xdist (`make test` runs two workers, one per core), each worker builds into its own cache
# folder, so two processes never write the same cached build at once.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    _base = os.environ.get("MCUGEN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "mcugen")
    os.environ["MCUGEN_CACHE_DIR"] = os.path.join(_base, f"xdist-{_WORKER}")


def _compiler_cache() -> None:
    """Most of the suite's time is the C compiler, often building a kernel file again that an earlier test
    generated identically (same board, flags and kernel options: 44 % of the CI run's compiles hit). With
    ccache installed (`make deps` installs it), the compilers the generated Makefiles call are ccache's
    masquerade links, first on PATH. ccache hashes the preprocessed source, the flags and the compiler,
    replays warnings (so -Werror still fails), and gives the object the compiler would; MCUGEN_NO_CCACHE=1
    turns it off."""
    ccache = shutil.which("ccache")
    if not ccache or os.environ.get("MCUGEN_NO_CCACHE") == "1":
        return
    links = Path(os.environ.get("TMPDIR", "/tmp")) / f"mcugen-ccache-bin-{os.getuid()}"
    links.mkdir(exist_ok=True)
    for tool in ("cc", "gcc", "clang", "arm-none-eabi-gcc"):
        link = links / tool
        if shutil.which(tool) and not link.exists():
            try:
                link.symlink_to(ccache)
            except FileExistsError:  # the other xdist worker made it
                pass
    if str(links) not in os.environ["PATH"].split(os.pathsep):
        os.environ["PATH"] = f"{links}{os.pathsep}{os.environ['PATH']}"


_compiler_cache()

# mcugen's own tests hold the generated code to -Werror: every `make` of a generated project (the host
# harness, the firmware, the library size measure) reads MCUGEN_WERROR from the environment.
os.environ.setdefault("MCUGEN_WERROR", "1")
MODELS_DIR = Path(os.environ.get("MCUGEN_MODELS_DIR", Path(__file__).resolve().parents[2] / "shared" / "models"))
IN_CI = os.environ.get("CI") == "true"
# The CPUs whose kernels must be proven under QEMU: each operator test file sends its first cases,
# one per board, to these boards as well as to the host.
QEMU_BOARDS = ["cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]
SMALL_RAM_FALLBACK = {"cortex-m0": ("cortex-m3", 6 * 1024)}  # microbit: 16 KB RAM in all


def shared_model(name: str) -> Path:
    """Path of a real model; skips outside CI when it is absent, fails in CI."""
    p = MODELS_DIR / name
    if not p.exists():
        msg = f"{p} is absent (set MCUGEN_MODELS_DIR to the folder of the shared models)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return p


def have_arm_tools() -> bool:
    return all(shutil.which(t) for t in ("arm-none-eabi-gcc", "qemu-system-arm"))


def qemu_boards(names: tuple[str, ...]) -> tuple[str, ...]:
    """`names` when the Arm toolchain and QEMU are installed; () outside CI without them (fail in CI)."""
    if have_arm_tools():
        return names
    if IN_CI:
        pytest.fail("arm-none-eabi-gcc or qemu-system-arm is not installed (run `make setup`)")
    return ()


def need_arm_tools() -> None:
    """Skip (fail in CI) when the Arm toolchain or QEMU is missing."""
    if not have_arm_tools():
        msg = "arm-none-eabi-gcc or qemu-system-arm is not installed (run `make setup`)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


def _describe(ours, ref) -> str:
    details = []
    for i, (a, b) in enumerate(zip(ours, ref)):
        if a.size != b.size:
            details.append(f"output {i}: size {a.size} vs {b.size}")
        elif (a.reshape(b.shape) != b).any():
            d = abs(a.reshape(b.shape).astype(float) - b)
            details.append(f"output {i}: {int((d > 0).sum())} of {b.size} differ, max |diff| {d.max():g}")
    return "; ".join(details)


def assert_bit_exact(model: bytes, count: int = 6, seed: int = 0, sanitize: bool = False,
                     boards: tuple[str, ...] = ()):
    """Compile `model`, run it on the host (and on `boards` under QEMU) and in TFLM; demand identical bytes."""
    cmp = compare_model(model, count=count, seed=seed, sanitize=sanitize)
    if any(cmp.mismatches()):
        raise AssertionError("host: " + _describe(cmp.ours, cmp.ref))
    for board in boards:
        ours = run_on_board(model, board, cmp.inputs)
        if any(count_mismatches(ours, cmp.ref)):
            raise AssertionError(f"{board}: " + _describe(ours, cmp.ref))
    return cmp


_cases_seen: dict[str, int] = defaultdict(int)


@pytest.fixture
def bit_exact(request):
    """assert_bit_exact; the i-th test of each module (i < 6) also runs on QEMU_BOARDS[i]."""
    module = request.node.module.__name__
    index = _cases_seen[module]
    _cases_seen[module] += 1
    board = QEMU_BOARDS[index] if index < len(QEMU_BOARDS) and have_arm_tools() else None
    used = []

    def check(model: bytes, **kw):
        boards = ()
        if board is not None and not used:
            b = board
            if b in SMALL_RAM_FALLBACK:
                from mcugen.compiler import compile_bytes
                fallback, limit = SMALL_RAM_FALLBACK[b]
                if compile_bytes(model, "probe").plan.arena_size > limit:
                    b = fallback
            boards = (b,)
            used.append(b)
        return assert_bit_exact(model, boards=boards, **kw)
    return check


@pytest.fixture(autouse=True)
def _litert_stays_out_of_process(request):
    """LiteRT and tflite-micro clash in one process (TFLM then computes wrong numbers): LiteRT runs only in
    child processes (mcugen/oracle/litert.py). A test that imports it here fails, naming itself."""
    yield
    import sys
    assert "ai_edge_litert" not in sys.modules, f"{request.node.nodeid} imported ai_edge_litert in-process"
