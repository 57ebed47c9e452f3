"""SVDF, float32, against TFLM within the float tolerance over 6 consecutive invocations (the state carried
on both sides): random batches, input sizes, units, ranks, memory lengths, fused activations. Without bias
the pip TFLM interpreter crashes (segmentation fault), so mcugen refuses that form."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from tests.ops.f32_cases import check_float

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def svdf_f32_model(rng, batches, input_size, units, rank, memory, act="NONE", bias=True, variable=True):
    filters = units * rank
    wf = rng.normal(0, 0.5, (filters, input_size)).astype(np.float32)
    wt = rng.normal(0, 0.5, (filters, memory)).astype(np.float32)
    b = TensorSpec((units,), "float32", data=rng.normal(0, 1, units).astype(np.float32)) if bias else None
    return single_op_model("SVDF", [
        TensorSpec((batches, input_size), "float32"), TensorSpec(wf.shape, "float32", data=wf),
        TensorSpec(wt.shape, "float32", data=wt), b,
        TensorSpec((batches, filters * memory), "float32", is_variable=variable)],
        [TensorSpec((batches, units), "float32")], {"rank": rank, "fused_activation_function": act})


@pytest.mark.parametrize("seed", range(10))
def test_svdf_f32_random(seed):
    rng = np.random.default_rng(1300 + seed)
    model = svdf_f32_model(rng, int(rng.integers(1, 4)), int(rng.integers(1, 30)), int(rng.integers(1, 12)),
                           int(rng.integers(1, 4)), int(rng.integers(1, 10)), ACTS[seed % 4])
    assert not rule_problems(model)
    check_float(model, __name__, rng)


def test_svdf_f32_rules():
    rng = np.random.default_rng(5)
    assert any("variable" in m for m in rule_problems(svdf_f32_model(rng, 1, 4, 2, 1, 3, variable=False)))
    assert any("bias" in m for m in rule_problems(svdf_f32_model(rng, 1, 4, 2, 1, 3, bias=False)))
