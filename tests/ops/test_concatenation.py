"""CONCATENATION against TFLM over random ranks, axes and input counts, plus the support rules."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant
from mcugen.testing.compare import rule_problems, tflm_rejects


def _model(base, axis, sizes, dtype="int8", q=(0.05, 3), in_qs=None, const=(), act="NONE", out_q=None):
    """Inputs of shape `base` with `sizes[i]` along `axis`; the inputs listed in `const` are constants."""
    quant = dtype in ("int8", "int16")
    r = len(base)
    ax = axis + r if axis < 0 else axis
    rng = np.random.default_rng(len(sizes))
    inputs = []
    for i, n in enumerate(sizes):
        shape = tuple(n if d == ax else base[d] for d in range(r))
        qi = (in_qs[i] if in_qs else q) if quant else (None, None)
        data = rng.integers(-100, 100, size=shape).astype(dtype) if i in const else None
        inputs.append(TensorSpec(shape, dtype, *qi, data=data))
    out_shape = tuple(sum(sizes) if d == ax else base[d] for d in range(r))
    y = TensorSpec(out_shape, dtype, *((out_q or q) if quant else (None, None)))
    return single_op_model("CONCATENATION", inputs, [y], {"axis": axis, "fused_activation_function": act})






@pytest.mark.parametrize("seed", range(12))
def test_concatenation_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    rank = [1, 2, 3, 4, 5, 6][seed % 6]
    base = tuple(int(d) for d in rng.integers(1, 5, size=rank))
    axis = int(rng.integers(-rank, rank))
    n = int(rng.integers(1, 11))
    sizes = [int(s) for s in rng.integers(1, 5, size=n)]
    # one input is a constant now and then (the rest are model inputs)
    const = (int(rng.integers(0, n)),) if n > 1 and seed % 4 == 3 else ()
    bit_exact(_model(base, axis, sizes, q=rand_act_quant(rng), const=const), sanitize=seed in (2, 11))


@pytest.mark.parametrize("base,axis,sizes", [
    ((1, 8, 8, 1), -1, [16, 8, 24]),    # channel concat of NHWC maps
    ((1, 8, 8, 1), 1, [3, 5]),          # height
    ((2, 3), 0, [1, 4, 2]),             # outermost: one memcpy per input
    ((4, 1), -1, [1, 1, 1, 1, 1]),      # single elements, round robin
])
def test_concatenation_layouts(base, axis, sizes, bit_exact):
    bit_exact(_model(base, axis, sizes))


@pytest.mark.parametrize("dtype", ["int16", "int32", "int64", "float32", "bool"])
def test_concatenation_other_types(dtype, bit_exact):
    # TFLM checks quantization only for int8: int16 inputs may differ from the output (bytes are copied)
    in_qs = [(0.001, 0), (0.002, 0), (0.003, 0)]
    bit_exact(_model((2, 3, 2), 1, [1, 2, 3], dtype=dtype, in_qs=in_qs, out_q=(0.004, 0), const=(1,)),
              sanitize=dtype == "int16")


def test_concatenation_rules():
    # TFLM rejects these too
    rejected = [
        (_model((2, 3), 1, [1] * 11), "1 to 10"),
        (_model((2,) * 7, 0, [1, 2]), "1 to 6"),
        (_model((2, 3), 1, [1, 2], in_qs=[(0.05, 3), (0.05, 4)]), "scale or zero point"),
        (_model((2, 3), 1, [1, 2], in_qs=[(0.05, 3), (0.06, 3)]), "scale or zero point"),
        (_model((2, 3), 1, [1, 2], out_q=(0.05, 2)), "scale or zero point"),
        (_model((2, 3), 1, [1, 2], act="RELU"), "fused activation"),
    ]
    for model, words in rejected:
        msgs = rule_problems(model)
        assert any(words in m for m in msgs), (words, msgs)
        assert tflm_rejects(model), words
    # TFLM accepts an out-of-range axis, then reads out of bounds
    x = TensorSpec((2, 3), "int8", 0.1, 0)
    bad_axis = single_op_model("CONCATENATION", [x, x], [TensorSpec((2, 6), "int8", 0.1, 0)], {"axis": 3})
    assert any("out of range" in m for m in rule_problems(bad_axis))
    bad_shape = single_op_model("CONCATENATION", [x, TensorSpec((3, 3), "int8", 0.1, 0)],
                                [TensorSpec((2, 6), "int8", 0.1, 0)], {"axis": 1})
    assert any("does not fit" in m for m in rule_problems(bad_shape))
