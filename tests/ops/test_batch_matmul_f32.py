"""BATCH_MATMUL, float32, against TFLM within the float tolerance (in practice bit-exact: TFLM's order of
the k products) over random ranks 2..5, broadcast batch dimensions, adj_x / adj_y and constant or run-time
operands."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from tests.ops.f32_cases import check_float


def bmm_f32_model(rng, seed, small=False):
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
    const = seed % 3  # 0: both run-time, 1: rhs constant (a Keras Dense on a 3-D input), 2: lhs constant
    data_a = rng.normal(0, 1, sa).astype(np.float32) if const == 2 else None
    data_b = rng.normal(0, 1, sb).astype(np.float32) if const == 1 else None
    return single_op_model(
        "BATCH_MATMUL", [TensorSpec(sa, "float32", data=data_a), TensorSpec(sb, "float32", data=data_b)],
        [TensorSpec(tuple(out_batch) + (m, n), "float32")], {"adj_x": adj_x, "adj_y": adj_y})


@pytest.mark.parametrize("seed", range(12))
def test_batch_matmul_f32_random(seed):
    rng = np.random.default_rng(1800 + seed)
    model = bmm_f32_model(rng, seed, small=seed < 2)
    assert rule_problems(model) == []
    errs = check_float(model, __name__, rng)
    assert errs[0].max_abs == 0.0, errs[0].describe()
