"""PAD and PADV2 against TFLM over random ranks, shapes, paddings and pad values, plus the support rules."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant
from mcugen.testing.compare import rule_problems, tflm_rejects


def _pads(p, dtype="int32"):
    p = np.asarray(p)
    return TensorSpec(p.shape, dtype, data=p)


def _model(shape, pads, dtype="int8", in_q=(0.05, 3), out_q=(0.05, 3), cv=None, cv_q=None, out_shape=None,
           pads_dtype="int32", opcode=None):
    """cv: None (PAD), a number (constant PADV2 value) or 'input' (constant_values is a model input)."""
    quant = dtype in ("int8", "int16")
    pads = np.asarray(pads)
    x = TensorSpec(tuple(shape), dtype, *(in_q if quant else (None, None)))
    if out_shape is None:
        out_shape = tuple(int(n + b + a) for n, (b, a) in zip(shape, pads.reshape(-1, 2)))
    y = TensorSpec(tuple(out_shape), dtype, *(out_q if quant else (None, None)))
    inputs = [x, _pads(pads, pads_dtype)]
    if cv is not None:
        qv = (cv_q or out_q) if quant else (None, None)
        if cv == "input":  # shape (1,): the comparison harness cannot feed 0-d inputs
            inputs.append(TensorSpec((1,), dtype, *qv))
        else:
            inputs.append(TensorSpec((), dtype, *qv, data=np.array(cv, dtype=dtype)))
    return single_op_model(opcode or ("PAD" if cv is None else "PADV2"), inputs, [y])






@pytest.mark.parametrize("seed", range(14))
def test_pad_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    rank = [1, 2, 3, 4, 5][seed % 5]
    shape = tuple(int(d) for d in rng.integers(1, 6, size=rank))
    pads = rng.integers(0, 4, size=(rank, 2)) * (rng.random((rank, 2)) < 0.6)  # many zero paddings
    in_q = rand_act_quant(rng)
    out_q = in_q if seed % 3 else rand_act_quant(rng)  # TFLM copies bytes, pads with the output's zero point
    cv = [None, None, int(rng.integers(-128, 128)), "input"][seed % 4]
    bit_exact(_model(shape, pads, in_q=in_q, out_q=out_q, cv=cv), sanitize=seed in (5, 11))


@pytest.mark.parametrize("shape,pads", [
    ((1, 8, 8, 3), [[0, 0], [1, 1], [1, 1], [0, 0]]),    # the usual "SAME" padding before a conv
    ((1, 7, 9, 4), [[0, 0], [0, 1], [2, 0], [0, 0]]),    # asymmetric
    ((2, 3, 4), [[0, 0], [0, 0], [0, 0]]),               # no padding: one memcpy
    ((2, 3, 4), [[1, 2], [0, 0], [0, 0]]),               # only the outermost dimension
    ((2, 1, 3), [[0, 0], [2, 1], [0, 3]]),               # a padded size-1 dimension
    ((5,), [3, 2]),                                      # paddings given flat (TFLM reads 2*rank values)
])
def test_pad_layouts(shape, pads, bit_exact):
    bit_exact(_model(shape, pads, out_q=(0.05, -77)))


@pytest.mark.parametrize("dtype,cv", [("int16", None), ("int16", -300), ("int32", None), ("float32", 2.0),
                                      ("float32", None)])
def test_pad_other_types(dtype, cv, bit_exact):
    bit_exact(_model((2, 3, 2), [[1, 0], [0, 2], [1, 1]], dtype=dtype, in_q=(0.001, 0), out_q=(0.001, 0), cv=cv),
              sanitize=dtype == "float32" and cv is not None)


def test_pad_rules():
    # TFLM rejects these too
    x = TensorSpec((2, 3), "int8", 0.1, 0)
    y = TensorSpec((3, 4), "int8", 0.1, 0)
    rejected = [
        (_model((2,) * 6, [[1, 0]] * 6), "1 to 5"),
        (_model((2, 3), [[1, 0], [0, 1]], pads_dtype="int64"), "int64"),
        (single_op_model("PAD", [x, TensorSpec((2, 2), "int32")], [y]), "constant"),
        (_model((2, 3), [[1, 0], [0, 1]], cv=5, cv_q=(0.2, 0), out_q=(0.1, 0)), "constant_values"),
        (_model((2, 3), [[1, 0], [0, 1]], cv=5, cv_q=(0.1, 1), out_q=(0.1, 0)), "constant_values"),
        (_model((2, 3), [[1, 0], [0, 1]], out_shape=(3, 3)), "output shape"),
        (_model((2, 3), [[1, 0], [0, 1], [0, 0]]), "paddings has 6 values"),
    ]
    for model, words in rejected:
        msgs = rule_problems(model)
        assert any(words in m for m in msgs), (words, msgs)
        assert tflm_rejects(model), words
    # TFLM accepts a negative padding but then reads the input sequentially (a jumble)
    neg = _model((2, 3), [[1, 0], [-1, 1]])
    assert any("negative" in m for m in rule_problems(neg))
    assert not tflm_rejects(neg)
