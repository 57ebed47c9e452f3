"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR against TFLM: up/down scaling, every option, types; rules."""
import numpy as np
import pytest

from mcugen.testing.builder import single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects

from .shape_cases import seeds, const, rand_shape, tensor


def _model(op, in_shape, size, dtype, align=False, half=False, rng=None):
    x = tensor(in_shape, dtype, rng)
    y = tensor((in_shape[0], *size, in_shape[3]), dtype, q=(x.scale, x.zero_point))
    return single_op_model(op, [x, const(list(size))], [y], {"align_corners": align, "half_pixel_centers": half})


OPTIONS = [(False, False), (True, False), (False, True), (True, True)]


@pytest.mark.parametrize("seed", seeds(8))
def test_resize_nearest_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    dtype = ["int8", "int16", "float32"][seed % 3]
    in_shape = (int(rng.integers(1, 3)), *rand_shape(rng, 2, 1, 7), int(rng.integers(1, 5)))
    size = tuple(int(v) for v in rng.integers(1, 13, size=2))
    align, half = OPTIONS[seed % 4]
    bit_exact(_model("RESIZE_NEAREST_NEIGHBOR", in_shape, size, dtype, align, half, rng), sanitize=seed == 4)


@pytest.mark.parametrize("seed", seeds(8))
def test_resize_bilinear_random(seed, bit_exact):
    rng = np.random.default_rng(100 + seed)
    dtype = ["int8", "float32"][seed % 2] if seed < 10 else "int8"
    in_shape = (int(rng.integers(1, 3)), *rand_shape(rng, 2, 1, 7), int(rng.integers(1, 5)))
    size = tuple(int(v) for v in rng.integers(1, 13, size=2))
    align, half = OPTIONS[(seed // 2) % 3]
    bit_exact(_model("RESIZE_BILINEAR", in_shape, size, dtype, align, half, rng), sanitize=seed == 3)


def test_resize_rules():
    both = _model("RESIZE_BILINEAR", (1, 2, 2, 1), (4, 4), "int8", True, True)
    assert tflm_rejects(both) and any("both set" in m for m in rule_problems(both))
    b16 = _model("RESIZE_BILINEAR", (1, 2, 2, 1), (4, 4), "int16")
    assert any("int8 or float32" in m for m in rule_problems(b16))
    x = tensor((1, 2, 2, 1), "int8")
    rt = single_op_model("RESIZE_NEAREST_NEIGHBOR", [x, tensor((2,), "int32")], [tensor((1, 4, 4, 1), "int8")])
    assert tflm_rejects(rt) and any("constant" in m for m in rule_problems(rt))
