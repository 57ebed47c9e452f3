"""Stage 6: build and run the generated project on the host or, under QEMU, on a board."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..compiler import Compiled
from . import host, qemu

Runner = Callable[[list[np.ndarray]], list[np.ndarray]]


def make_runner(compiled: Compiled, project_dir: Path, sanitize: bool = False, timeout: float = 600) -> Runner:
    """Build what the board needs (host harness or firmware) and return a function: inputs -> outputs."""
    name = compiled.project.name
    specs = [(t.shape, t.dtype) for t in compiled.graph.outputs]
    if compiled.board.is_host:
        exe = host.build_runner(project_dir, name, sanitize=sanitize)
        return lambda xs: host.run_runner(exe, xs, specs, timeout=timeout)
    elf = qemu.build_firmware(project_dir, name, compiled.board)
    return lambda xs: qemu.run_firmware(compiled.board, elf, name, xs, specs, timeout=timeout)
