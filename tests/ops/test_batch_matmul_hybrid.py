"""BATCH_MATMUL, hybrid (float32 LHS and output, constant int8 RHS with one scale): against LiteRT's reference
kernels within 1e-4 of the output range. Seeded random ranks 2 to 5, broadcast batch dimensions, adj_x / adj_y,
sizes 1 and non-multiples of 4, symmetric and asymmetric LHS quantization; LHS rows whose ranges differ by
orders of magnitude, an all-zero row and an all-zero input. Refused as LiteRT's kernel gets them wrong or
ignores them: per-channel RHS scales, more than one batch dimension above 1 in an operand."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from tests.ops.recurrent_hybrid_cases import check_hybrid_recurrent, ranged_inputs


def bmm_hybrid_model(rng, lhs_batch, rhs_batch, m, n, k, adj_x=False, adj_y=False, asym=False, per_channel=False):
    a = (*lhs_batch, *((k, m) if adj_x else (m, k)))
    b = (*rhs_batch, *((n, k) if adj_y else (k, n)))
    r = max(len(lhs_batch), len(rhs_batch))
    lb = [1] * (r - len(lhs_batch)) + list(lhs_batch)
    rb = [1] * (r - len(rhs_batch)) + list(rhs_batch)
    out = (*[max(p, q) for p, q in zip(lb, rb)], m, n)
    w = rng.integers(-127, 128, b).astype(np.int8)
    s = float(rng.uniform(0.5, 2.0)) / 127
    spec = (TensorSpec(b, "int8", scale=[s] * b[-1], zero_point=[0] * b[-1], quantized_dimension=len(b) - 1, data=w)
            if per_channel else TensorSpec(b, "int8", scale=s, zero_point=0, data=w))
    model = single_op_model("BATCH_MATMUL", [TensorSpec(a, "float32"), spec], [TensorSpec(out, "float32")],
                            {"adj_x": adj_x, "adj_y": adj_y, "asymmetric_quantize_inputs": asym})
    return model, a


CASES = [  # lhs batch, rhs batch
    ((), ()), ((3,), ()), ((2,), (2,)), ((1,), (3,)), ((2, 1), (1,)), ((1, 4), (4,)), ((1, 1, 3), (3,)),
    ((2,), (1,)), ((1, 2, 1), (1, 1, 2)), ((5,), (5,)), ((), (2,)), ((1, 1), ()),
]


@pytest.mark.parametrize("seed", range(len(CASES)))
def test_batch_matmul_hybrid_random(seed):
    rng = np.random.default_rng(9300 + seed)
    lb, rb = CASES[seed]
    m, n, k = int(rng.integers(1, 6)), int(rng.integers(1, 9)), [1, 3, 4, 9, 17, 32][seed % 6]
    model, shape = bmm_hybrid_model(rng, lb, rb, m, n, k, adj_x=bool(seed & 2), adj_y=bool(seed & 4),
                                    asym=bool(seed & 1))
    assert rule_problems(model) == []
    # quantized rows: along k (the last axis; with adj_x the second last)
    x = ranged_inputs(shape, rng, count=4, row_axes=len(shape) - 1)
    if seed & 2:
        x = np.ascontiguousarray(np.swapaxes(ranged_inputs(shape[:-2] + shape[-2:][::-1], rng, count=4,
                                                           row_axes=len(shape) - 1), -1, -2))
    check_hybrid_recurrent(model, __name__, [x])


def test_batch_matmul_hybrid_rejects_per_channel():
    rng = np.random.default_rng(1)
    model, _ = bmm_hybrid_model(rng, (2,), (), 3, 4, 5, per_channel=True)
    assert any("one scale per tensor" in p for p in rule_problems(model))


def test_batch_matmul_hybrid_rejects_two_batch_dims():
    rng = np.random.default_rng(2)
    model, _ = bmm_hybrid_model(rng, (2, 3), (), 3, 4, 5)
    assert any("more than one batch dimension" in p for p in rule_problems(model))
