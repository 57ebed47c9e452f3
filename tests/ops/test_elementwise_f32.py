"""ADD, SUB and MUL, float32, against TFLM (within the float tolerance; in practice bit-exact: one IEEE
operation per element) over random broadcast patterns (ranks 0 to 6), fused activations, a constant operand,
and special values (infinities, NaN, signed zeros, the largest finite floats)."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import compare_model
from tests.ops.binary_cases import ACTS, out_shape, rand_inputs
from tests.ops.f32_cases import check_float

KINDS = ["same", "scalar", "one", "channel", "cross", "random", "random", "random"]
OPS = ["ADD", "SUB", "MUL"]


@pytest.mark.parametrize("seed", range(15))
def test_binary_f32_random(seed):
    rng = np.random.default_rng(1300 + seed)
    op = OPS[seed % 3]
    a, b = rand_inputs(rng, KINDS[seed % len(KINDS)])
    act = ACTS[(seed // 3) % 4]
    const = seed % 4 == 1 or len(b) == 0
    data = rng.uniform(-3, 3, size=b).astype(np.float32) if const else None
    model = single_op_model(op, [TensorSpec(a, "float32"), TensorSpec(b, "float32", data=data)],
                            [TensorSpec(out_shape(a, b), "float32")], {"fused_activation_function": act})
    errs = check_float(model, __name__, rng)
    assert errs[0].max_abs == 0.0, errs[0].describe()  # the same IEEE operation as TFLM's


SPECIAL = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 3.4e38, -3.4e38, 1e-45, 1.5, -2.5], np.float32)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("act", ["NONE", "RELU"])
def test_binary_f32_special_values(op, act):
    """Every pair of special values (a column against a row): overflow to infinity, inf - inf, 0 * inf, NaN,
    and the activation's clamp of +-inf to +-FLT_MAX (TFLM's NONE range is [-FLT_MAX, FLT_MAX])."""
    n = SPECIAL.size
    model = single_op_model(op, [TensorSpec((n, 1), "float32"), TensorSpec((1, n), "float32", data=SPECIAL)],
                            [TensorSpec((n, n), "float32")], {"fused_activation_function": act})
    cmp = compare_model(model, sanitize=True, inputs=[SPECIAL.reshape(1, n, 1)])
    ours, ref = cmp.ours[0].reshape(cmp.ref[0].shape), cmp.ref[0]
    assert np.array_equal(ours, ref, equal_nan=True), (ours, ref)
