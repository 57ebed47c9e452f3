"""Shared bits of the integration tests: small models and generated projects on disk."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mcugen.codegen import write_project
from mcugen.compiler import Compiled, compile_bytes
from tests.cli.test_build_project import _two_layer_model
from tests.conftest import IN_CI

__all__ = ["tiny_model", "project", "need", "run", "_two_layer_model"]


def tiny_model(seed: int = 0) -> bytes:
    """CONV_2D + RESHAPE + FULLY_CONNECTED, int8 (the model of tests/cli/test_build_project.py)."""
    return _two_layer_model(seed)


def project(model: bytes, out: Path, name: str = "tiny", board: str = "host") -> Compiled:
    c = compile_bytes(model, name, board=board)
    write_project(c.project.files, out, force=True)
    return c


def need(*tools: str) -> None:
    """Skip (fail in CI, where `make deps` installs them) when a tool is missing."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        msg = f"{', '.join(missing)} not installed (run `make deps`)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    """Run a command; on failure the assertion shows its output."""
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def as_bytes(x: np.ndarray) -> bytes:
    return np.ascontiguousarray(x).tobytes()
