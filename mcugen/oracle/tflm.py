"""Run a model in the TFLM Python interpreter (pip `tflite-micro`), the bit-exactness oracle.

Do not import ai-edge-litert in the same process: the two clash.
"""
from __future__ import annotations

import contextlib
import os

import numpy as np

ARENA = 16 * 1024 * 1024


@contextlib.contextmanager
def _quiet_stderr():
    """TFLM prints allocation chatter on fd 2; keep it out of the user's terminal."""
    try:
        fd = os.dup(2)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(fd, 2)
            os.close(fd)


def interpreter(model: bytes):
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        from ..backend.tools import missing
        raise missing("tflite_micro", "comparing with the reference interpreter") from None
    with _quiet_stderr():
        return runtime.Interpreter.from_bytes(model, arena_size=max(ARENA, 8 * len(model)))


def run(model: bytes, inputs: list[np.ndarray], n_out: int) -> list[np.ndarray]:
    """inputs: arrays of shape (N, *input_shape); returns n_out arrays (N, *output_shape)."""
    ip = interpreter(model)
    n = inputs[0].shape[0]
    results: list[list[np.ndarray]] = [[] for _ in range(n_out)]
    for s in range(n):
        for i, x in enumerate(inputs):
            ip.set_input(np.array(x[s], copy=True), i)
        ip.invoke()
        for j in range(n_out):
            results[j].append(np.array(ip.get_output(j)))
    return [np.stack(r) for r in results]
