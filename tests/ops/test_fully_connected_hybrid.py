"""FULLY_CONNECTED, hybrid (float32 input and output, int8 weights): against LiteRT's reference kernels.
Seeded random batches, depths (1, non-multiples of 4, deep enough for the DSP pass) and unit counts (odd,
not multiples of the kernel's block of six), weights per tensor and per unit, symmetric and asymmetric
(asymmetric_quantize_inputs) input quantization, fused activations, with and without bias, input rows whose
ranges differ by orders of magnitude, an all-zero row and an all-zero input; rounding ties."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from tests.ops.hybrid_cases import check_hybrid, hybrid_inputs

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def fc_model(rng, batches, depth, units, per_channel, asym, act="NONE", bias=True, x_shape=None):
    w = rng.integers(-127, 128, (units, depth)).astype(np.int8)
    scale = list(map(float, rng.uniform(1e-3, 3e-2, units))) if per_channel else float(rng.uniform(1e-3, 3e-2))
    zp = [0] * units if per_channel else 0
    b = TensorSpec((units,), "float32", data=rng.normal(0, 2, units).astype(np.float32)) if bias else None
    return single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec(x_shape or (batches, depth), "float32"), TensorSpec(w.shape, "int8", scale=scale, zero_point=zp, data=w), b],
        [TensorSpec((batches, units), "float32")],
        {"fused_activation_function": act, "asymmetric_quantize_inputs": asym})


@pytest.mark.parametrize("seed", range(12))
def test_fully_connected_hybrid_random(seed):
    rng = np.random.default_rng(4200 + seed)
    batches = int(rng.integers(1, 4))
    depth = [1, 3, 8, 37, 130, 300][seed % 6]
    units = int(rng.integers(1, 20)) if seed % 3 else 7
    per_channel, asym = bool(seed & 1), bool(seed & 2)
    model = fc_model(rng, batches, depth, units, per_channel, asym, ACTS[seed % 4], bias=seed % 5 != 4)
    check_hybrid(model, __name__, [hybrid_inputs((batches, depth), rng)])


@pytest.mark.parametrize("asym", [False, True])
def test_fully_connected_hybrid_rounding_ties(asym):
    """Inputs on exact halves of the quantization step (identity weights show each quantized value)."""
    depth = 8
    w = np.eye(depth, dtype=np.int8)
    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec((1, depth), "float32"), TensorSpec(w.shape, "int8", scale=1.0, zero_point=0, data=w)],
        [TensorSpec((1, depth), "float32")], {"asymmetric_quantize_inputs": asym})
    xs = np.array([[[127, 0.5, 1.5, 2.5, -0.5, -2.5, 3.5, -3.5]], [[255, 0.5, 1.5, 2.5, 3.5, 100.5, 0, 4]],
                   [[-255, -0.5, -1.5, -2.5, -3.5, -100.5, 0, 4]], [[127, 126.5, -126.5, -127, 0, 0, 0, 0]]],
                  np.float32)
    check_hybrid(model, __name__ + ".ties", [xs], boards=())


def test_fully_connected_hybrid_rank3_input():
    """A [1, batches, depth] input is read as batches rows."""
    rng = np.random.default_rng(77)
    model = fc_model(rng, 3, 20, 5, True, True, x_shape=(1, 3, 20))
    check_hybrid(model, __name__ + ".rank3", [hybrid_inputs((1, 3, 20), rng, row_axes=2)], boards=())


def test_fully_connected_hybrid_rules():
    rng = np.random.default_rng(5)
    w = rng.integers(-127, 128, (4, 6)).astype(np.int8)
    bad_zp = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec((1, 6), "float32"), TensorSpec(w.shape, "int8", scale=0.1, zero_point=3, data=w)],
        [TensorSpec((1, 4), "float32")])
    assert any("zero point" in p for p in rule_problems(bad_zp))
    assert rule_problems(fc_model(rng, 2, 6, 4, True, False)) == []
