"""Build the generated project with the host C compiler and run it on numpy inputs."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..errors import RunError, ToolchainError
from . import tools

SANITIZE_FLAGS = "-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"


def build_runner(project_dir: Path, name: str, sanitize: bool = False) -> Path:
    """`make host` in the project; returns the harness executable."""
    purpose = "building the generated project for the host"
    make = tools.require("make", purpose)
    cc = tools.host_compiler(purpose)
    tools.require("ar", purpose)
    build = "build-asan" if sanitize else "build"
    args = [make, "-s", "-C", str(project_dir), "host", f"BUILD={build}", f"CC={cc}"]
    if sanitize:
        args += [f"CFLAGS={SANITIZE_FLAGS}", f"LDFLAGS={SANITIZE_FLAGS}"]
    r = subprocess.run(args, capture_output=True, text=True, env=tools.make_env())
    if r.returncode != 0:
        raise ToolchainError(f"building the host harness in {project_dir} failed:\n{r.stdout}{r.stderr}".strip())
    return project_dir / build / f"{name}_host"


def run_runner(exe: Path, inputs: list[np.ndarray], outputs: list[tuple[tuple[int, ...], str]],
               timeout: float = 600) -> list[np.ndarray]:
    """Run the harness on N samples. inputs: arrays of shape (N, *input_shape); returns (N, *output_shape)."""
    n = inputs[0].shape[0] if inputs else 1
    with tempfile.TemporaryDirectory(prefix="mcugen-run-") as tmp:
        t = Path(tmp)
        in_files = []
        for i, x in enumerate(inputs):
            p = t / f"in{i}.bin"
            p.write_bytes(np.ascontiguousarray(x).tobytes())
            in_files.append(str(p))
        out_files = [str(t / f"out{i}.bin") for i in range(len(outputs))]
        try:
            r = subprocess.run([str(exe), str(n), *in_files, *out_files], capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RunError(f"{exe.name} did not finish within {timeout:.0f} s.") from None
        if r.returncode != 0:
            raise RunError(f"{exe.name} exited with status {r.returncode}:\n{r.stderr.strip()[-4000:]}")
        results = []
        for path, (shape, dtype) in zip(out_files, outputs):
            data = np.frombuffer(Path(path).read_bytes(), dtype=dtype)
            results.append(data.reshape((n, *shape)))
        return results
