"""BATCH_MATMUL (int8 and int16) against TFLM over random ranks 2..5, broadcast batch dimensions, adj_x /
adj_y, constant or run-time operands, zero points (int8) and int16 extremes."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects


def bmm_model(seed, dtype, small=False):
    rng = np.random.default_rng(seed)
    m, n, k = (int(rng.integers(1, 4 if small else 9)) for _ in range(3))
    ra, rb = int(rng.integers(2, 4 if small else 6)), int(rng.integers(2, 4 if small else 6))
    r = max(ra, rb)
    batch = [int(rng.integers(1, 4)) for _ in range(r - 2)]
    ba = [d if rng.random() < 0.7 else 1 for d in batch][r - ra:]
    bb = [d if rng.random() < 0.7 else 1 for d in batch][r - rb:]
    out_batch = [max(x, y) for x, y in zip([1] * (r - ra) + ba, [1] * (r - rb) + bb)]
    adj_x, adj_y = bool(seed & 1), bool(seed & 2)
    sa = tuple(ba) + ((k, m) if adj_x else (m, k))
    sb = tuple(bb) + ((n, k) if adj_y else (k, n))
    info = np.iinfo(dtype)
    const = seed % 3  # 0: both run-time, 1: rhs constant, 2: lhs constant
    data_a = rng.integers(info.min, info.max + 1, sa).astype(dtype) if const == 2 else None
    data_b = rng.integers(info.min, info.max + 1, sb).astype(dtype) if const == 1 else None
    if dtype == "int8":
        s1, s2 = (float(np.exp(rng.uniform(np.log(1e-3), np.log(0.1)))) for _ in range(2))
        z1, z2, zo = (int(rng.integers(-128, 128)) for _ in range(3))
        so = s1 * s2 * 128 * np.sqrt(k) * float(np.exp(rng.uniform(np.log(0.1), np.log(10))))
    else:
        s1, s2 = (float(np.exp(rng.uniform(np.log(1e-5), np.log(1e-2)))) for _ in range(2))
        z1 = z2 = zo = 0
        so = s1 * s2 * 32768 * np.sqrt(k) * float(np.exp(rng.uniform(np.log(0.1), np.log(10))))
    return single_op_model(
        "BATCH_MATMUL", [TensorSpec(sa, dtype, s1, z1, data=data_a), TensorSpec(sb, dtype, s2, z2, data=data_b)],
        [TensorSpec(tuple(out_batch) + (m, n), dtype, so, zo)], {"adj_x": adj_x, "adj_y": adj_y})


@pytest.mark.parametrize("seed", range(10))
def test_batch_matmul_s8(seed, bit_exact):
    bit_exact(bmm_model(2700 + seed, "int8", small=seed < 3))


@pytest.mark.parametrize("seed", range(10))
def test_batch_matmul_s16(seed, bit_exact):
    bit_exact(bmm_model(2800 + seed, "int16", small=seed < 3))


def test_batch_matmul_sanitized(bit_exact):
    for seed, dtype in ((2900, "int8"), (2903, "int16"), (2905, "int8")):
        bit_exact(bmm_model(seed, dtype), sanitize=True)


def test_rejections():
    """What TFLM refuses, mcugen refuses: an int16 zero point, contracted dimensions that differ."""
    zp = single_op_model("BATCH_MATMUL", [TensorSpec((2, 3), "int16", 0.01, 1), TensorSpec((3, 4), "int16", 0.01, 0)],
                         [TensorSpec((2, 4), "int16", 0.1, 0)], {})
    assert tflm_rejects(zp) and rule_problems(zp)
    k = single_op_model("BATCH_MATMUL", [TensorSpec((2, 3), "int8", 0.01, 1), TensorSpec((4, 4), "int8", 0.01, 0)],
                        [TensorSpec((2, 4), "int8", 0.1, 0)], {})
    assert tflm_rejects(k) and rule_problems(k)
