"""CAST against TFLM: every pair of int8, int16, int32, float32 and bool; wrap-around and truncation."""
import numpy as np
import pytest

from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.compare import rule_problems

from .shape_cases import run_exact

TYPES = ["int8", "int16", "int32", "float32", "bool"]


def _values(dtype, rng, n):
    if dtype == "bool":
        return rng.integers(0, 2, size=n).astype(bool)
    if dtype == "float32":
        special = np.array([0.0, -0.0, 0.5, -0.5, 0.999, -0.999, 127.9, -128.9, 300.7, -300.7, 40000.5,
                            -40000.5, 2.1e9, -2.1e9, 1e-30, 3e9, -3e9, np.nan, np.inf, -np.inf, 1e30], np.float32)
        return np.concatenate([special, rng.uniform(-70000, 70000, n - special.size).astype(np.float32)])
    info = np.iinfo(dtype)
    ext = np.array([info.min, info.max, 0, -1, 1], dtype)
    return np.concatenate([ext, rng.integers(info.min, int(info.max) + 1, size=n - ext.size, dtype=dtype)])


@pytest.mark.parametrize("src", TYPES)
def test_cast_pairs(src):
    """One model per source type: CASTs of one input to each of the five types."""
    rng = np.random.default_rng(TYPES.index(src))
    n = 64
    x = _values(src, rng, 2 * n).reshape(2, n)
    tensors = [TensorSpec((n,), src)] + [TensorSpec((n,), dst) for dst in TYPES]
    ops = [OpSpec("CAST", [0], [1 + i]) for i in range(len(TYPES))]
    model = build_model(tensors, ops, inputs=[0], outputs=list(range(1, 1 + len(TYPES))))
    run_exact(model, [x], sanitize=src == "float32")


def test_cast_shaped(bit_exact):
    model = single_op_model("CAST", [TensorSpec((2, 3, 5), "int16", 0.1, 0)], [TensorSpec((2, 3, 5), "float32")])
    bit_exact(model)


def test_cast_rules():
    for src, dst in [("uint8", "int8"), ("int8", "int64")]:
        m = single_op_model("CAST", [TensorSpec((4,), src)], [TensorSpec((4,), dst)])
        assert any("needs one of" in p for p in rule_problems(m)), (src, dst)
