"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND: 3-D and 4-D, block sizes, paddings and crops; the rules.

BATCH_TO_SPACE_ND is compared with TFLM. SPACE_TO_BATCH_ND with padding is compared with LiteRT's reference
kernels: TFLM fills the padding from a pad value it never initialises (its OpData output_offset), which is 0
in a fresh process and garbage after the process has run other models (a long test run showed int8 padding of
32 and float padding of 1e20), so TFLM is no oracle there (docs/tflm-differences.md)."""
import numpy as np
import pytest

from mcugen.testing.builder import single_op_model
from mcugen.testing.compare import compare_model, rule_problems


from .shape_cases import seeds, const, litert_ref, run_ours, tensor


def s2b_model(in_shape, block, pads, dtype, rng=None, out_shape=None, zp=0):
    # TFLM pads int8 with 0 whatever the zero point (LiteRT, and mcugen, with the zero point):
    # the TFLM comparisons use zero point 0, test_space_to_batch_zero_point compares with LiteRT
    x = tensor(in_shape, dtype, q=(0.05, zp))
    sp = [(n + a + b) // k for n, k, (a, b) in zip(in_shape[1:], block, pads)]
    out = out_shape or (in_shape[0] * int(np.prod(block)), *sp, *in_shape[1 + len(block):])
    y = tensor(out, dtype, q=(x.scale, x.zero_point))
    return single_op_model("SPACE_TO_BATCH_ND", [x, const(block), const(pads)], [y])


def b2s_model(in_shape, block, crops, dtype, rng=None, out_shape=None):
    x = tensor(in_shape, dtype, rng)
    sp = [n * k - a - b for n, k, (a, b) in zip(in_shape[1:], block, crops)]
    out = out_shape or (in_shape[0] // int(np.prod(block)), *sp, *in_shape[1 + len(block):])
    y = tensor(out, dtype, q=(x.scale, x.zero_point))
    return single_op_model("BATCH_TO_SPACE_ND", [x, const(block), const(crops)], [y])


@pytest.mark.parametrize("seed", seeds(6))
def test_space_to_batch_random(seed):
    rng = np.random.default_rng(seed)
    dtype = ("int8", "float32")[seed % 2]
    m = 1 if seed % 3 == 0 else 2
    block = [int(v) for v in rng.integers(1, 4, size=m)]
    pads, spatial = [], []
    for k in block:
        n = int(rng.integers(1, 7))
        lo = int(rng.integers(0, 3))
        hi = (-(n + lo)) % k + k * int(rng.integers(0, 2))
        pads.append([lo, hi])
        spatial.append(n)
    shape = (int(rng.integers(1, 3)), *spatial, int(rng.integers(1, 4)))
    cmp = compare_model(s2b_model(shape, block, pads, dtype, rng), count=6, sanitize=seed == 1, oracle="litert")
    assert cmp.exact, f"differing bytes per output: {cmp.mismatches()}"


@pytest.mark.parametrize("seed", seeds(6))
def test_batch_to_space_random(seed, bit_exact):
    rng = np.random.default_rng(30 + seed)
    dtype = ("int8", "float32")[seed % 2]
    m = 1 if seed % 3 == 0 else 2
    block = [int(v) for v in rng.integers(1, 4, size=m)]
    spatial = [int(v) for v in rng.integers(1, 5, size=m)]
    crops = []
    for n, k in zip(spatial, block):
        lo = int(rng.integers(0, min(2, n * k - 1) + 1))
        hi = int(rng.integers(0, min(2, n * k - 1 - lo) + 1))
        crops.append([lo, hi])
    shape = (int(rng.integers(1, 3)) * int(np.prod(block)), *spatial, int(rng.integers(1, 4)))
    bit_exact(b2s_model(shape, block, crops, dtype, rng), sanitize=seed == 2)


@pytest.mark.parametrize("zp", [5, -128])
def test_space_to_batch_zero_point(zp):
    """int8 padding is the zero point (a real 0), as in LiteRT's reference kernel (TFLM's pad value is
    uninitialised memory: see the module docstring)."""
    rng = np.random.default_rng(zp & 0xFF)
    for shape, block, pads in [((2, 5, 3), [2], [[1, 2]]), ((1, 3, 4, 2), [2, 3], [[1, 0], [0, 2]])]:
        model = s2b_model(shape, block, pads, "int8", zp=zp)
        xs = [rng.integers(-128, 128, size=(3, *shape)).astype(np.int8)]
        ours = run_ours(model, xs, sanitize=zp == 5)[0]
        ref = litert_ref(model, xs)[0]
        assert np.array_equal(ours.reshape(ref.shape), ref)
        assert (ref == zp).sum() >= 3  # the padding is there


def test_space_batch_rules():
    # the converter's placeholder batch of 1 (a dilated Conv1D with a dynamic batch): refused
    s2b = s2b_model((1, 16, 4), [2], [[0, 0]], "int8", out_shape=(1, 8, 4))
    assert any("disagrees" in m for m in rule_problems(s2b))
    b2s = b2s_model((1, 8, 4), [2], [[0, 0]], "int8", out_shape=(1, 16, 4))
    assert any("not a multiple" in m for m in rule_problems(b2s))
    uneven = s2b_model((1, 5, 4), [2], [[0, 0]], "int8", out_shape=(2, 2, 4))
    assert any("not a multiple of block size" in m for m in rule_problems(uneven))
    i16 = s2b_model((1, 4, 4, 1), [2, 2], [[0, 0], [0, 0]], "int16")
    assert any("int8 or float32" in m for m in rule_problems(i16))
