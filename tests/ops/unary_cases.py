"""Shared case builders for the one-input int8 element-wise operator tests (relu, logistic/tanh).

Several independent operators share one model, each with its own input and output quantization, so
one compilation checks many quantizations. Inputs of 256 or more elements see every int8 value over
the sampled inputs (checked).
"""
import numpy as np

from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.compare import sample_inputs

COUNT = 24  # samples per comparison: 22 random ones cover all 256 values of a 256-element input


def parallel_model(opcode, cases):
    """One model, one `opcode` per case = (shape, (in_scale, in_zp), (out_scale, out_zp), options)."""
    tensors, ops, ins, outs = [], [], [], []
    for shape, (si, zi), (so, zo), options in cases:
        ins.append(len(tensors))
        tensors.append(TensorSpec(shape, "int8", si, zi))
        outs.append(len(tensors))
        tensors.append(TensorSpec(shape, "int8", so, zo))
        ops.append(OpSpec(opcode, [ins[-1]], [outs[-1]], options))
    return build_model(tensors, ops, ins, outs)


def check(bit_exact, opcode, cases, seed, sanitize=False):
    cmp = bit_exact(parallel_model(opcode, cases), count=COUNT, seed=seed, sanitize=sanitize)
    for x in sample_inputs(cmp.compiled.graph.inputs, COUNT, seed):
        if x[0].size >= 256:
            assert np.unique(x).size == 256, "an input value was never exercised"
    return cmp


def rand_shape(rng):
    """A rank 1-4 shape of mostly 256 or more elements."""
    rank = int(rng.integers(1, 5))
    shape = [int(rng.integers(1, 9)) for _ in range(rank)]
    shape[-1] = int(rng.integers(256, 400)) // int(np.prod(shape[:-1]))
    return tuple(max(1, s) for s in shape)
