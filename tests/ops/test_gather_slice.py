"""PACK, SLICE, GATHER, SPACE_TO_DEPTH and DEPTH_TO_SPACE against TFLM: random shapes, axes, types; the rules."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects

from .shape_cases import seeds, const, rand_shape, run_exact, tensor


def _smoke_models():
    """One small model per operator of this file (the first cases of a module also run under QEMU)."""
    rng = np.random.default_rng(7)
    x8 = lambda shape: tensor(shape, "int8", q=(0.1, 2))  # noqa: E731
    return [
        single_op_model("PACK", [x8((3, 2)), x8((3, 2))], [x8((3, 2, 2))], {"values_count": 2, "axis": -1}),
        single_op_model("SLICE", [tensor((3, 5, 2), "int16"), const([1, 1, 0]), const([2, -1, 1])],
                        [tensor((2, 4, 1), "int16")]),
        _gather_model((5, 3), (2, 2), 0, 0, "int8", rng, idx_values=[[4, 0], [2, 2]], const_input=False),
        single_op_model("SPACE_TO_DEPTH", [x8((1, 4, 6, 3))], [x8((1, 2, 3, 12))], {"block_size": 2}),
        single_op_model("DEPTH_TO_SPACE", [tensor((1, 2, 3, 8), "float32")], [tensor((1, 4, 6, 2), "float32")],
                        {"block_size": 2}),
        _gather_model((4, 3, 2), (2,), -2, 0, "float32", rng, idx_values=[2, 0]),
    ]


@pytest.mark.parametrize("index", range(6))
def test_smoke(index, bit_exact):
    bit_exact(_smoke_models()[index])


def test_gather_runtime_indices_on_board():
    """Run-time indices on a Cortex-M4 under QEMU (the sample inputs of bit_exact would be out of range)."""
    from tests.conftest import need_arm_tools
    from mcugen.oracle import tflm
    from mcugen.testing.compare import run_on_board
    need_arm_tools()
    rng = np.random.default_rng(3)
    model = _gather_model((2, 5, 3), (2, 3), 1, 1, "int8", rng)
    xs = [rng.integers(-128, 128, size=(3, 2, 5, 3)).astype(np.int8),
          rng.integers(0, 5, size=(3, 2, 3)).astype(np.int32)]
    ours = run_on_board(model, "cortex-m4", xs)
    ref = tflm.run(model, xs, 1)
    assert np.array_equal(ours[0].reshape(ref[0].shape), ref[0])


@pytest.mark.parametrize("seed", seeds(4))
def test_pack_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    dtype = ["int8", "int16", "int32", "int64", "float32"][seed % 5]
    rank = seed % 4 + (0 if seed % 4 else 1)
    shape = rand_shape(rng, rank, 1, 4)
    n = int(rng.integers(1, 4))
    axis = int(rng.integers(-(rank + 1), rank + 1))
    x = tensor(shape, dtype, rng)
    out = list(shape)
    out.insert(axis % (rank + 1), n)
    y = tensor(out, dtype, q=(x.scale, x.zero_point))
    bit_exact(single_op_model("PACK", [x] * 1 + [tensor(shape, dtype, rng) for _ in range(n - 1)], [y],
                              {"values_count": n, "axis": axis}), sanitize=seed == 2)


@pytest.mark.parametrize("seed", seeds(6))
def test_slice_random(seed, bit_exact):
    rng = np.random.default_rng(20 + seed)
    dtype = ["int8", "int16", "int32", "float32", "bool"][seed % 5]
    rank = 1 + seed % 5
    shape = rand_shape(rng, rank, 1, 6)
    begin = [int(rng.integers(0, n)) for n in shape]
    size = [int(rng.integers(1, n - b + 1)) for n, b in zip(shape, begin)]
    if seed % 3 == 0:
        size[int(rng.integers(rank))] = -1
    out = [n - b if s == -1 else s for n, b, s in zip(shape, begin, size)]
    idt = "int64" if seed % 2 else "int32"
    model = single_op_model("SLICE", [tensor(shape, dtype, rng), const(begin, idt), const(size, idt)],
                            [tensor(out, dtype, rng)])
    bit_exact(model, sanitize=seed == 1)


def _gather_model(shape, idx_shape, axis, bd, dtype, rng, idx_values=None, const_input=False):
    r = len(shape)
    a = axis % r
    b = bd % len(idx_shape) if idx_shape and bd < 0 else bd
    out = tuple(shape[:a]) + tuple(idx_shape[b:]) + tuple(shape[a + 1:])
    if const_input:
        data = rng.integers(-128, 128, size=shape) if dtype == "int8" else rng.standard_normal(shape)
        x = TensorSpec(tuple(shape), dtype, *((0.1, 2) if dtype == "int8" else (None, None)), data=data)
    else:
        x = tensor(shape, dtype, rng)
    idx = const(idx_values) if idx_values is not None else TensorSpec(tuple(idx_shape), "int32")
    return single_op_model("GATHER", [x, idx], [tensor(out, dtype, rng)], {"axis": axis, "batch_dims": bd})


@pytest.mark.parametrize("seed", seeds(5))
def test_gather_const_indices(seed, bit_exact):
    rng = np.random.default_rng(40 + seed)
    dtype = ("int8", "float32")[seed % 2]
    rank = 1 + seed % 4
    shape = rand_shape(rng, rank, 1, 5)
    axis = int(rng.integers(-rank, rank))
    idx_shape = rand_shape(rng, int(rng.integers(0, 3)), 1, 4)
    idx = rng.integers(0, shape[axis], size=idx_shape)
    bit_exact(_gather_model(shape, idx_shape, axis, 0, dtype, rng, idx_values=idx))


@pytest.mark.parametrize("seed", seeds(5))
def test_gather_runtime_indices(seed):
    """Run-time indices (in range) with batch_dims, and constant tables (embedding lookups)."""
    rng = np.random.default_rng(60 + seed)
    dtype = ("int8", "float32")[seed % 2]
    rank = 2 + seed % 3
    shape = rand_shape(rng, rank, 1, 5)
    bd = int(rng.integers(0, rank)) if seed % 3 else 0
    axis = int(rng.integers(bd, rank))
    idx_shape = tuple(shape[:bd]) + rand_shape(rng, int(rng.integers(0, 2)), 1, 4)
    const_input = seed % 4 == 1
    model = _gather_model(shape, idx_shape, axis - rank if seed % 2 else axis, bd, dtype, rng,
                          const_input=const_input)
    n = 4
    idx = rng.integers(0, shape[axis], size=(n, *idx_shape)).astype(np.int32)
    xs = [idx] if const_input else [
        (rng.integers(-128, 128, size=(n, *shape)).astype(np.int8) if dtype == "int8"
         else rng.standard_normal((n, *shape)).astype(np.float32)), idx]
    run_exact(model, xs, sanitize=seed == 2)


@pytest.mark.parametrize("seed", seeds(4))
def test_depth_space_random(seed, bit_exact):
    rng = np.random.default_rng(80 + seed)
    dtype = ("int8", "float32")[seed % 2]
    b = int(rng.integers(1, 4))
    n, h, w, c = (int(v) for v in rng.integers(1, 4, size=4))
    if seed < 3:
        x, y = tensor((n, h * b, w * b, c), dtype, rng), tensor((n, h, w, c * b * b), dtype, rng)
        op = "SPACE_TO_DEPTH"
    else:
        x, y = tensor((n, h, w, c * b * b), dtype, rng), tensor((n, h * b, w * b, c), dtype, rng)
        op = "DEPTH_TO_SPACE"
    bit_exact(single_op_model(op, [x], [y], {"block_size": b}))


def test_data_movement_rules():
    x = tensor((3, 4), "int16")
    # GATHER: TFLM refuses int16 data and int64 indices
    g16 = single_op_model("GATHER", [x, const([0, 1])], [tensor((2, 4), "int16")], {"axis": 0})
    assert tflm_rejects(g16) and any("needs int8" in m for m in rule_problems(g16))
    g64 = single_op_model("GATHER", [tensor((3, 4), "int8"), const([0, 1], "int64")], [tensor((2, 4), "int8")])
    assert tflm_rejects(g64) and any("int32" in m for m in rule_problems(g64))
    oob = single_op_model("GATHER", [tensor((3, 4), "int8"), const([0, 3])], [tensor((2, 4), "int8")])
    assert any("outside" in m for m in rule_problems(oob))
    # SLICE: the box must fit; 6-D is beyond TFLM
    s = single_op_model("SLICE", [x, const([2, 0]), const([2, -1])], [tensor((2, 4), "int16")])
    assert any("leave the input" in m for m in rule_problems(s))
    s6 = single_op_model("SLICE", [tensor((1,) * 6, "int8"), const([0] * 6), const([1] * 6)],
                         [tensor((1,) * 6, "int8")])
    assert any("1 to 5" in m for m in rule_problems(s6))
    # SPACE_TO_DEPTH: int16 refused by TFLM, block must divide
    sd = single_op_model("SPACE_TO_DEPTH", [tensor((1, 4, 4, 2), "int16")], [tensor((1, 2, 2, 8), "int16")],
                         {"block_size": 2})
    assert tflm_rejects(sd) and any("int8 or float32" in m for m in rule_problems(sd))
    sd3 = single_op_model("SPACE_TO_DEPTH", [tensor((1, 4, 4, 2), "int8")], [tensor((1, 1, 1, 18), "int8")],
                          {"block_size": 3})
    assert any("does not divide" in m for m in rule_problems(sd3))
    # PACK: uint8 fails in TFLM
    pu = single_op_model("PACK", [tensor((2,), "uint8")] * 2, [tensor((2, 2), "uint8")], {"values_count": 2})
    assert any("needs int8" in m for m in rule_problems(pu))


def test_gather_overlap_offsets():
    """The minimum input-past-output offsets the strided-gather kernels declare to the planner."""
    from mcugen.ops.transpose import gather_overlap
    assert gather_overlap([3], [1], 2, 1) == {0: (0, None)}          # a slice reads ahead: in place
    assert gather_overlap([2, 3], [3, 1], 0, 4) == {0: (0, None)}    # identity
    assert gather_overlap([3, 2], [1, 3], 0, 1) == {0: (2, None)}    # 2x3 transpose
    assert gather_overlap([3], [-1], 2, 2) == {0: (4, None)}         # reversed: the last element in place


def test_chain_in_place(bit_exact):
    """PAD -> SLICE -> TRANSPOSE: the planner places the transpose's output over its input (declared
    overlap); the result is still exact (under the sanitizers)."""
    from mcugen.testing.builder import OpSpec, build_model
    from mcugen.compiler import compile_bytes
    ts = [tensor((4, 6, 8), "int8"), const([[1, 1], [0, 0], [0, 0]]), tensor((6, 6, 8), "int8"), const([1, 0, 0]),
          const([4, 6, 8]), tensor((4, 6, 8), "int8"), const([2, 0, 1]), tensor((8, 4, 6), "int8")]
    ops = [OpSpec("PAD", [0, 1], [2]), OpSpec("SLICE", [2, 3, 4], [5]), OpSpec("TRANSPOSE", [5, 6], [7])]
    model = build_model(ts, ops, [0], [7])
    plan = compile_bytes(model, "m").plan
    spans = {b.name: (b.offset, b.offset + b.size) for b in plan.buffers}
    (a0, a1), (b0, b1) = spans["tensor_5"], spans["tensor_7"]
    assert a0 < b1 and b0 < a1  # the transpose writes over its input
    bit_exact(model, sanitize=True)
