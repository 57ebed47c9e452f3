"""RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH and PRELU, float32, against TFLM within the float
tolerance (random shapes, alphas, inputs wide enough to reach LOGISTIC's cutoffs), special values
(infinities, NaN, signed zeros) compared exactly, and RELU_N1_TO_1 against LiteRT's reference kernels (TFLM
has no RELU_N1_TO_1)."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import compare_model, rule_problems, tflm_rejects
from tests.ops.binary_cases import out_shape, rand_inputs
from tests.ops.f32_cases import check_float, float_inputs

UNARY = ["LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH"]


def _shape(rng):
    rank = int(rng.integers(1, 5))
    return tuple(int(rng.integers(1, 8)) for _ in range(rank))


def _options(op, rng):
    return {"alpha": float(rng.choice([0.2, 0.01, -0.5, 1.5]))} if op == "LEAKY_RELU" else {}


@pytest.mark.parametrize("seed", range(12))
def test_activation_f32_random(seed):
    rng = np.random.default_rng(1400 + seed)
    op = UNARY[seed % len(UNARY)]
    shape = _shape(rng)
    model = single_op_model(op, [TensorSpec(shape, "float32")], [TensorSpec(shape, "float32")], _options(op, rng))
    errs = check_float(model, __name__, rng, scale=[8.0, 20.0][seed // len(UNARY)])
    if op not in ("LOGISTIC", "TANH"):  # no libm: the same IEEE operations as TFLM
        assert errs[0].max_abs == 0.0, errs[0].describe()


SPECIAL = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 3.4e38, -3.4e38, 1e-45, -1e-45, 6.0, -3.0, 16.62, -9.0,
                    -9.01, 16.619047164916992188, 88.8, -104.0, 1e-8, -1e-8, 0.5], np.float32)


@pytest.mark.parametrize("op", UNARY)
def test_activation_f32_special_values(op):
    """Special values and the branch points of the recipes, compared exactly with TFLM on the host."""
    n = SPECIAL.size
    model = single_op_model(op, [TensorSpec((n,), "float32")], [TensorSpec((n,), "float32")],
                            {"alpha": 0.3} if op == "LEAKY_RELU" else {})
    cmp = compare_model(model, sanitize=True, inputs=[SPECIAL.reshape(1, n)])
    assert np.array_equal(cmp.ours[0].reshape(cmp.ref[0].shape), cmp.ref[0], equal_nan=True), (cmp.ours, cmp.ref)


@pytest.mark.parametrize("seed", range(8))
def test_prelu_f32_random(seed):
    """Alpha constant (as Keras writes it: per channel, broadcast over the batch and pixels) or an input."""
    rng = np.random.default_rng(1500 + seed)
    if seed % 2 == 0:
        shape = _shape(rng)
        a, b = shape, shape[-1:] if seed % 4 == 0 else (1,) * (len(shape) - 1) + shape[-1:]
    else:
        a, b = rand_inputs(rng, ["same", "channel", "cross", "one"][seed // 2])
        if len(a) > 4 or len(b) > 4 or len(out_shape(a, b)) > 4:
            a, b = (2, 3, 4), (3, 1)
    const = seed % 2 == 0
    data = rng.uniform(-1, 1, size=b).astype(np.float32) if const else None
    model = single_op_model("PRELU", [TensorSpec(a, "float32"), TensorSpec(b, "float32", data=data)],
                            [TensorSpec(out_shape(a, b), "float32")])
    errs = check_float(model, __name__ + ".prelu", rng)
    assert errs[0].max_abs == 0.0, errs[0].describe()


@pytest.mark.parametrize("seed", range(3))
def test_relu_n1_to_1_f32_litert(seed):
    """TFLM refuses RELU_N1_TO_1; mcugen compiles the float32 one and matches LiteRT's reference exactly."""
    rng = np.random.default_rng(1600 + seed)
    shape = _shape(rng)
    model = single_op_model("RELU_N1_TO_1", [TensorSpec(shape, "float32")], [TensorSpec(shape, "float32")])
    assert tflm_rejects(model)
    assert rule_problems(model) == []
    xs = float_inputs([TensorSpec(shape, "float32")], rng, 3.0)
    if seed == 0:
        xs[0].reshape(-1)[:SPECIAL.size] = SPECIAL[:xs[0].size]
    cmp = compare_model(model, sanitize=True, inputs=xs, oracle="litert")
    assert np.array_equal(cmp.ours[0].reshape(cmp.ref[0].shape), cmp.ref[0], equal_nan=True)


def test_relu_n1_to_1_int8_rejected():
    """RELU_N1_TO_1 stays float32 only: int8 is rejected as TFLM rejects it."""
    model = single_op_model("RELU_N1_TO_1", [TensorSpec((4,), "int8", 0.1, 0)], [TensorSpec((4,), "int8", 0.1, 0)])
    assert tflm_rejects(model)
    assert rule_problems(model)
