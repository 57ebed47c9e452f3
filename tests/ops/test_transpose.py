"""TRANSPOSE against TFLM over random ranks, shapes and permutations, plus the support rules."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant
from mcugen.testing.compare import rule_problems, tflm_rejects


def _perm(p, dtype="int32"):
    p = np.asarray(p)
    return TensorSpec(p.shape, dtype, data=p)


def _model(shape, perm, dtype="int8", out_shape=None, in_q=(0.05, 3), out_q=None, perm_dtype="int32"):
    quant = dtype in ("int8", "int16")
    out_q = out_q or in_q
    x = TensorSpec(tuple(shape), dtype, *(in_q if quant else (None, None)))
    out_shape = out_shape or tuple(shape[p] for p in perm)
    y = TensorSpec(tuple(out_shape), dtype, *(out_q if quant else (None, None)))
    return single_op_model("TRANSPOSE", [x, _perm(perm, perm_dtype)], [y])






@pytest.mark.parametrize("seed", range(14))
def test_transpose_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    rank = [1, 2, 3, 4, 5][seed % 5]
    shape = tuple(int(d) for d in rng.integers(1, 7, size=rank))
    perm = [int(p) for p in rng.permutation(rank)]
    # TFLM copies bytes: the output's quantization may differ from the input's
    in_q = rand_act_quant(rng)
    out_q = in_q if seed % 3 else rand_act_quant(rng)
    bit_exact(_model(shape, perm, in_q=in_q, out_q=out_q), sanitize=seed in (4, 9))


@pytest.mark.parametrize("shape,perm", [
    ((1, 8, 8, 16), (0, 3, 1, 2)),      # NHWC -> NCHW
    ((2, 3, 4, 5), (0, 1, 2, 3)),       # identity: one memcpy
    ((2, 3, 4, 5), (1, 0, 2, 3)),       # inner block stays contiguous
    ((3, 1, 5, 1, 2), (4, 3, 2, 1, 0)),  # size-1 dimensions
    ((7,), (0,)),
])
def test_transpose_layouts(shape, perm, bit_exact):
    bit_exact(_model(shape, perm))


@pytest.mark.parametrize("dtype", ["int16", "float32"])
def test_transpose_other_types(dtype, bit_exact):
    bit_exact(_model((2, 3, 5), (2, 0, 1), dtype=dtype, in_q=(0.001, 0)), sanitize=dtype == "int16")


def test_transpose_rules():
    # TFLM rejects these too
    for model, words in [
        (_model((2,) * 6, list(range(6))[::-1]), "1 to 5"),
        (_model((2, 3), (1, 0), dtype="int32"), "int32"),
        (single_op_model("TRANSPOSE", [TensorSpec((2, 3), "int8", 0.1, 0), TensorSpec((2,), "int32")],
                         [TensorSpec((3, 2), "int8", 0.1, 0)]), "constant"),
    ]:
        msgs = rule_problems(model)
        assert any(words in m for m in msgs), msgs
    # TFLM accepts these but computes garbage (duplicate axes; int64 read as int32)
    for model, words in [
        (_model((2, 3), (0, 0), out_shape=(2, 2)), "not a permutation"),
        (_model((2, 3, 4), (2, 0, 1), perm_dtype="int64"), "int64"),
        (_model((2, 3), (1, 0), out_shape=(2, 3)), "output shape"),
    ]:
        msgs = rule_problems(model)
        assert any(words in m for m in msgs), msgs
    assert tflm_rejects(_model((2,) * 6, list(range(6))[::-1]))
