"""STRIDED_SLICE against TFLM over random shapes, indices, strides and masks, plus the support rules."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant
from mcugen.testing.compare import rule_problems, tflm_rejects


def _vec(v, dtype="int32"):
    v = np.asarray(v)
    return TensorSpec(v.shape, dtype, data=v)


def _expected_shape(shape, begin, end, strides, bmask, emask, smask):
    """The output shape by numpy's slicing rules (equal to TFLM's for the cases generated here)."""
    idx = []
    for i in range(len(shape)):
        b = None if bmask >> i & 1 else int(begin[i])
        if smask >> i & 1:
            idx.append(0 if b is None else b)
            continue
        e = None if emask >> i & 1 else int(end[i])
        idx.append(slice(b, e, int(strides[i])))
    return np.empty(shape)[tuple(idx)].shape


def _model(shape, begin, end, strides, out_shape=None, dtype="int8", in_q=(0.05, -3), out_q=None,
           idx_dtype="int32", **opts):
    opts = {k: v for k, v in opts.items() if v}
    if out_shape is None:
        out_shape = _expected_shape(shape, begin, end, strides, *(opts.get(k, 0) for k in
                                    ("begin_mask", "end_mask", "shrink_axis_mask")))
    quant = dtype in ("int8", "int16")
    out_q = out_q or in_q
    x = TensorSpec(tuple(shape), dtype, *(in_q if quant else (None, None)))
    y = TensorSpec(tuple(out_shape), dtype, *(out_q if quant else (None, None)))
    return single_op_model("STRIDED_SLICE", [x, _vec(begin, idx_dtype), _vec(end, idx_dtype),
                                             _vec(strides, idx_dtype)], [y], opts)






def _random_case(rng, rank):
    shape = tuple(int(d) for d in rng.integers(1, 8, size=rank))
    begin, end, strides = [], [], []
    bmask, emask, smask = (int(m) for m in rng.integers(0, 1 << rank, size=3))
    for i, n in enumerate(shape):
        s = int(rng.choice([1, 1, 2, 3, -1, -2, -3]))
        begin.append(int(rng.integers(-n - 2, n + 3)))
        end.append(int(rng.integers(-n - 2, n + 3)))
        if smask >> i & 1:
            if rng.integers(0, 3) == 0:
                smask &= ~(1 << i)  # keep some shrink bits only
            else:
                s = abs(s)
                begin[i] = int(rng.integers(-n, n))  # an element that exists
        strides.append(s)
    out = _expected_shape(shape, begin, end, strides, bmask, emask, smask)
    if 0 in out:  # an empty slice: make that axis take everything instead
        for i, d in enumerate(shape):
            if not smask >> i & 1:
                bmask |= 1 << i
                emask |= 1 << i
    return shape, begin, end, strides, bmask, emask, smask


@pytest.mark.parametrize("seed", range(12))
def test_strided_slice_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    rank = [1, 2, 3, 4][seed % 4]
    shape, begin, end, strides, bm, em, sm = _random_case(rng, rank)
    in_q = rand_act_quant(rng)
    out_q = in_q if seed % 3 else rand_act_quant(rng)  # TFLM copies bytes
    model = _model(shape, begin, end, strides, in_q=in_q, out_q=out_q,
                   begin_mask=bm, end_mask=em, shrink_axis_mask=sm)
    bit_exact(model, sanitize=seed in (3, 10))


@pytest.mark.parametrize("begin,end,strides,masks", [
    ([0, 0, 0, 0], [1, 6, 7, 8], [1, 1, 1, 1], {}),                        # whole tensor: one memcpy
    ([0, 1, 2, 3], [1, 5, 6, 7], [1, 2, 2, 3], {}),                        # interior, strided
    ([0, -1, -1, -1], [1, -7, -8, -9], [1, -1, -2, -3], {}),               # reversed with negative indices
    ([0, 9, -9, 100], [1, -100, 100, -100], [1, -1, 1, -1], {}),           # out-of-range indices clamp
    ([0, 3, 0, 0], [1, 0, 0, 0], [1, 1, 1, -1], {"begin_mask": 0b0101, "end_mask": 0b1110}),
    ([0, 2, -1, 0], [1, 0, 0, 8], [1, 1, 1, 2], {"shrink_axis_mask": 0b0110}),
    ([0, 2, 5, 0], [0, 0, 0, 8], [1, 1, 1, 1], {"shrink_axis_mask": 0b0111, "begin_mask": 0b0100}),
    ([0, 0, 0, 4], [1, 6, 7, 5], [1, 1, 1, 1], {"shrink_axis_mask": 0b1000}),  # channel pick
    ([0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1], {"begin_mask": 15, "end_mask": 15, "shrink_axis_mask": 1}),
])
def test_strided_slice_cases(begin, end, strides, masks, bit_exact):
    bit_exact(_model((1, 6, 7, 8), begin, end, strides, **masks))


@pytest.mark.parametrize("dtype", ["int16", "int32", "float32", "bool"])
def test_strided_slice_other_types(dtype, bit_exact):
    bit_exact(_model((3, 4, 5), [2, 0, 1], [0, 4, 5], [-1, 2, 2], dtype=dtype, in_q=(0.001, 0)),
              sanitize=dtype == "float32")


def test_strided_slice_rules():
    # TFLM rejects these too
    rejected = [
        (_model((2, 2, 2, 2, 2), [0] * 5, [2] * 5, [1] * 5), "1 to 4"),
        (_model((4, 5), [0, 0], [4, 5], [1, 1], idx_dtype="int64"), "int64"),
        (_model((4, 5), [0, 0], [4, 5], [0, 1], out_shape=(4, 5)), "stride is 0"),
        (_model((4, 5), [0], [2], [1], out_shape=(2, 5)), "needs (2,)"),
        (_model((4, 5), [0, 0], [4, 5], [1, 1], out_shape=(4, 4)), "output shape"),
    ]
    for model, words in rejected:
        msgs = rule_problems(model)
        assert any(words in m for m in msgs), (words, msgs)
        assert tflm_rejects(model), words
    x = TensorSpec((4, 5), "int8", 0.1, 0)
    dynamic = single_op_model("STRIDED_SLICE", [x, TensorSpec((2,), "int32"), _vec([4, 5]), _vec([1, 1])],
                              [TensorSpec((4, 5), "int8", 0.1, 0)])
    assert any("constant" in m for m in rule_problems(dynamic))
    # TFLM accepts these but ignores the option or leaves the output unwritten
    accepted = [
        (_model((4, 5), [0, 0], [4, 5], [1, 1], out_shape=(4, 5), ellipsis_mask=1), "ellipsis_mask"),
        (_model((4, 5), [0, 0], [4, 5], [1, 1], out_shape=(4, 5), new_axis_mask=1), "new_axis_mask"),
        (_model((4, 5), [1, 1], [2, 2], [1, 1], out_shape=(1, 1), offset=True), "offset"),
        (_model((4, 5), [1, 1], [0, 5], [-1, 1], out_shape=(4,), shrink_axis_mask=1), "selects nothing"),
        (_model((4, 5), [4, 1], [0, 5], [1, 1], out_shape=(4,), shrink_axis_mask=1), "selects nothing"),
    ]
    for model, words in accepted:
        msgs = rule_problems(model)
        assert any(words in m for m in msgs), (words, msgs)
        assert not tflm_rejects(model), words
