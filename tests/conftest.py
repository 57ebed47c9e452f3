"""Shared fixtures: the real models of ../shared/models and the single-op comparison helper."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcugen.testing.compare import compare_model

MODELS_DIR = Path(os.environ.get("MCUGEN_MODELS_DIR", Path(__file__).resolve().parents[2] / "shared" / "models"))
IN_CI = os.environ.get("CI") == "true"


def shared_model(name: str) -> Path:
    """Path of a real model; skips outside CI when it is absent, fails in CI."""
    p = MODELS_DIR / name
    if not p.exists():
        msg = f"{p} is absent (set MCUGEN_MODELS_DIR to the folder of the shared models)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return p


def assert_bit_exact(model: bytes, count: int = 6, seed: int = 0, sanitize: bool = False):
    """Compile `model`, run it on the host and in TFLM on `count` inputs, demand identical bytes."""
    cmp = compare_model(model, count=count, seed=seed, sanitize=sanitize)
    bad = cmp.mismatches()
    if any(bad):
        details = []
        for i, (a, b) in enumerate(zip(cmp.ours, cmp.ref)):
            if a.size == b.size and bad[i]:
                a = a.reshape(b.shape).astype(float)
                details.append(f"output {i}: {bad[i]} of {b.size} differ, max |diff| {abs(a - b).max():g}")
            elif bad[i]:
                details.append(f"output {i}: size {a.size} vs {b.size}")
        raise AssertionError("; ".join(details))
    return cmp


@pytest.fixture
def bit_exact():
    return assert_bit_exact
