"""Shared case builders for the one-input int8 element-wise operator tests (relu, logistic/tanh).

Several independent operators share one model, each with its own input and output quantization, so
one compilation checks many quantizations. Inputs of 256 or more elements see every int8 value over
the sampled inputs (checked).
"""
import numpy as np

from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.compare import sample_inputs

COUNT = 24  # samples per comparison: 22 random ones cover all 256 values of a 256-element input


def parallel_model(opcode, cases, dtype="int8"):
    """One model, one `opcode` per case = (shape, (in_scale, in_zp), (out_scale, out_zp), options)."""
    tensors, ops, ins, outs = [], [], [], []
    for shape, (si, zi), (so, zo), options in cases:
        ins.append(len(tensors))
        tensors.append(TensorSpec(shape, dtype, si, zi))
        outs.append(len(tensors))
        tensors.append(TensorSpec(shape, dtype, so, zo))
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


INT16_ROW = 4096  # every int16 value once: 16 samples of 4096 elements


def check_every_int16(model: bytes):
    """Run every int16 value through each input of `model` (inputs of INT16_ROW elements), on the host and in
    TFLM; demand identical bytes."""
    import tempfile
    from pathlib import Path

    from mcugen.backend import make_runner
    from mcugen.codegen import write_project
    from mcugen.compiler import compile_bytes
    from mcugen.oracle import tflm
    from mcugen.testing.compare import count_mismatches

    compiled = compile_bytes(model, "model")
    values = np.arange(-32768, 32768, dtype=np.int16)
    xs = []
    for k, t in enumerate(compiled.graph.inputs):
        assert t.size == INT16_ROW and t.dtype == "int16"
        xs.append(np.roll(values, 977 * k).reshape(16, *t.shape))  # each input sees the values in its own order
    with tempfile.TemporaryDirectory(prefix="mcugen-s16-") as tmp:
        d = Path(tmp) / "model"
        write_project(compiled.project.files, d, force=True)
        ours = make_runner(compiled, d)(xs)
    ref = tflm.run(model, xs, len(compiled.graph.outputs))
    bad = count_mismatches(ours, ref)
    assert not any(bad), f"differing bytes per output: {bad}"
