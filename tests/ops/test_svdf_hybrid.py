"""SVDF, hybrid (float32 input, state and output; int8 feature and time weights with one scale each; float32
bias or none): against LiteRT's reference kernels (EvalHybridSVDF) within 1e-4 of the output range, over
consecutive invocations (the state carried), then a reset. Seeded random batches, input sizes (1, non-multiples
of 4), filters, ranks, memory sizes, fused activations, symmetric and asymmetric input quantization; rows whose
ranges change by orders of magnitude, an all-zero row, an all-zero invocation."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from mcugen.oracle import litert
from tests.ops.recurrent_hybrid_cases import check_hybrid_recurrent, ranged_inputs, run_twice_with_reset, within

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def svdf_hybrid_model(rng, batches, input_size, units, rank, memory, act="NONE", asym=False, bias=True,
                      per_channel=False, time_dtype="int8"):
    filters = units * rank
    wf = rng.integers(-127, 128, (filters, input_size)).astype(np.int8)
    fscale = float(rng.uniform(0.5, 2.0)) / 127 / np.sqrt(input_size)
    if per_channel:
        f_spec = TensorSpec(wf.shape, "int8", scale=[fscale] * filters, zero_point=[0] * filters, data=wf)
    else:
        f_spec = TensorSpec(wf.shape, "int8", scale=fscale, zero_point=0, data=wf)
    if time_dtype == "int8":
        wt = rng.integers(-127, 128, (filters, memory)).astype(np.int8)
        t_spec = TensorSpec(wt.shape, "int8", scale=float(rng.uniform(0.2, 1.0)) / 127, zero_point=0, data=wt)
    else:
        t_spec = TensorSpec((filters, memory), "float32", data=rng.normal(0, 0.5, (filters, memory)).astype(np.float32))
    b = TensorSpec((units,), "float32", data=rng.normal(0, 0.5, units).astype(np.float32)) if bias else None
    return single_op_model(
        "SVDF",
        [TensorSpec((batches, input_size), "float32"), f_spec, t_spec, b,
         TensorSpec((batches, filters * memory), "float32", is_variable=True)],
        [TensorSpec((batches, units), "float32")],
        {"rank": rank, "fused_activation_function": act, "asymmetric_quantize_inputs": asym})


@pytest.mark.parametrize("seed", range(12))
def test_svdf_hybrid_random(seed):
    rng = np.random.default_rng(8100 + seed)
    batches = [1, 2, 3][seed % 3]
    input_size = [1, 5, 8, 13, 40][seed % 5]
    units, rank, memory = int(rng.integers(1, 7)), [1, 2, 3][seed % 3], int(rng.integers(1, 9))
    model = svdf_hybrid_model(rng, batches, input_size, units, rank, memory, ACTS[seed % 4], asym=bool(seed & 1),
                              bias=seed % 5 != 3)
    assert rule_problems(model) == []
    check_hybrid_recurrent(model, __name__, [ranged_inputs((batches, input_size), rng, count=7)])


def test_svdf_hybrid_reset():
    """6 invocations with the state carried, NAME_reset(), the same 6 again: both rounds equal bit for bit
    and within the tolerance of LiteRT (which starts from a zero state)."""
    rng = np.random.default_rng(8200)
    model = svdf_hybrid_model(rng, 2, 7, 3, 2, 5, "RELU", asym=True)
    x = ranged_inputs((2, 7), rng, count=6)
    x[-1] = rng.normal(0, 1, (2, 7))
    first, second = run_twice_with_reset(model, x)
    assert np.array_equal(first, second)
    ref = litert.run(model, [np.concatenate([x, x])])[0]
    within(first, ref[:6], "before reset")
    assert not np.allclose(ref[6:], ref[:6], rtol=0, atol=1e-4)  # without a reset the state shows


def test_svdf_hybrid_rejects_per_channel():
    rng = np.random.default_rng(2)
    model = svdf_hybrid_model(rng, 1, 6, 3, 1, 4, per_channel=True)
    assert any("per channel" in p for p in rule_problems(model))
