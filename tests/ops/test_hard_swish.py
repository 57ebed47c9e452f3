"""HARD_SWISH (int8) against TFLM: every input value, many random quantizations.

Several independent operators share one model, each with its own input and
output quantization, so one compilation checks many quantizations. Inputs of
256 or more elements see every int8 value over the sampled inputs (checked).
"""
import numpy as np
import pytest

from mcugen.ir import Operator, Quant, Tensor
from mcugen.ops.hard_swish import HardSwish, downscale_to_int16, hard_swish_params
from mcugen.oracle import tflm
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.compare import sample_inputs
from mcugen.testing.random_quant import rand_act_quant

COUNT = 24  # samples per comparison: 22 random ones cover all 256 values of a 256-element input


def parallel_model(cases):
    """One model, one HARD_SWISH per case = (shape, (in_scale, in_zp), (out_scale, out_zp))."""
    tensors, ops, ins, outs = [], [], [], []
    for shape, (si, zi), (so, zo) in cases:
        ins.append(len(tensors))
        tensors.append(TensorSpec(shape, "int8", si, zi))
        outs.append(len(tensors))
        tensors.append(TensorSpec(shape, "int8", so, zo))
        ops.append(OpSpec("HARD_SWISH", [ins[-1]], [outs[-1]]))
    return build_model(tensors, ops, ins, outs)


def check(bit_exact, cases, seed, sanitize=False):
    cmp = bit_exact(parallel_model(cases), count=COUNT, seed=seed, sanitize=sanitize)
    for x in sample_inputs(cmp.compiled.graph.inputs, COUNT, seed):
        if x[0].size >= 256:
            assert np.unique(x).size == 256, "an input value was never exercised"
    return cmp


def rand_shape(rng):
    rank = int(rng.integers(1, 5))
    shape = [int(rng.integers(1, 9)) for _ in range(rank)]
    shape[-1] = int(rng.integers(256, 400)) // int(np.prod(shape[:-1]))
    return tuple(max(1, s) for s in shape)


def rand_quant_pair(rng):
    """Input and output quantization TFLM accepts: out_scale above in_scale / 128."""
    (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    return (si, zi), (max(so, si / 100.0), zo)


@pytest.mark.parametrize("seed", range(6))
def test_hard_swish_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    cases = [((1, 256) if k == 0 else rand_shape(rng), *rand_quant_pair(rng)) for k in range(6)]
    check(bit_exact, cases, seed)


def test_hard_swish_edges(bit_exact):
    cases = [
        ((1, 256), (0.002, 0), (2.0, 0)),            # output exponent -16: gemmlowp's int16 shift quirk
        ((1, 256), (0.002, -30), (0.6, 5)),          # output exponent -15
        ((1, 256), (1e-7, 0), (1e-7, 0)),            # reluish exponent far below -16
        ((1, 256), (0.5, 0), (0.5 / 127, -128)),     # output exponent 0, largest pre-shift values
        ((1, 256), (0.5, 127), (0.5 / 100, 127)),
        ((1, 256), (3.0, 0), (1.0, 0)),              # reluish multiplier with a large left shift
        ((1, 256), (0.01171875, 3), (0.01, -3)),     # reluish multiplier exactly 1 (in_scale = 3 * 2^-8)
        ((1, 256), (3 * 2.0 ** -9, 0), (0.005, 0)),  # reluish multiplier exactly 1/2
    ]
    check(bit_exact, cases, seed=11)


def test_hard_swish_sanitized(bit_exact):
    rng = np.random.default_rng(3)
    cases = [((1, 256), *rand_quant_pair(rng)), ((1, 256), (0.002, 0), (2.0, 0)), ((2, 3), (3.0, 0), (1.0, 0))]
    check(bit_exact, cases, seed=4, sanitize=True)


def test_hard_swish_params():
    assert downscale_to_int16((1 << 31) - 1) == 32767
    assert downscale_to_int16(1 << 30) == 1 << 14
    om, oe, rm, re = hard_swish_params(3 * 2.0 ** -8, 1.0)
    assert (rm, re) == (1 << 14, 1)  # reluish multiplier 1.0 = 0.5 * 2^1


def _op(in_scale, out_scale):
    x = Tensor("x", (1, 8), "int8", Quant(np.array([in_scale], np.float32), np.array([0])))
    y = Tensor("y", (1, 8), "int8", Quant(np.array([out_scale], np.float32), np.array([0])))
    return Operator("HARD_SWISH", [x], [y], {})


@pytest.mark.parametrize("in_scale,out_scale", [(0.5, 0.5 / 128), (0.5, 0.001), (0.1, 0.0005)])
def test_hard_swish_output_scale_rule(in_scale, out_scale):
    """TFLM's Prepare rejects out_scale <= in_scale / 128 (a positive output exponent), and so does the rule."""
    assert any("output scale" in m for m in HardSwish().problems(_op(in_scale, out_scale)))
    model = single_op_model("HARD_SWISH", [TensorSpec((1, 8), "int8", in_scale, 0)],
                            [TensorSpec((1, 8), "int8", out_scale, 0)])
    with pytest.raises(RuntimeError):
        tflm.run(model, [np.zeros((1, 1, 8), np.int8)], 1)


def test_hard_swish_rules_accept():
    assert HardSwish().problems(_op(0.5, 0.5 / 127)) == []
    assert HardSwish().problems(_op(0.01, 0.02)) == []


def test_hard_swish_int16_rejected():
    """TFLM prepares an int16 HARD_SWISH but fails to invoke it ("Unsupported type INT16"): no reference."""
    import pytest as _pytest

    from mcugen.oracle import tflm
    from mcugen.testing.builder import TensorSpec, single_op_model
    from mcugen.testing.compare import rule_problems
    model = single_op_model("HARD_SWISH", [TensorSpec((1, 8), "int16", 0.001, 0)], [TensorSpec((1, 8), "int16", 0.001, 0)])
    assert any("is not supported" in m for m in rule_problems(model))
    with _pytest.raises(RuntimeError):
        tflm.run(model, [np.zeros((1, 1, 8), np.int16)], 1)
