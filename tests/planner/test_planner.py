"""Placement algorithms on the same graphs with known answers; overlap rules; the verifier catches clashes."""
import numpy as np
import pytest

from mcugen.compiler import compile_bytes
from mcugen.errors import InternalError
from mcugen.planner import Buffer, Overlap, plan_arena, verify_plan
from mcugen.planner.algorithms import ALGORITHMS, arena_size
from mcugen.planner.analysis import liveness_lower_bound
from mcugen.planner.apply import _groups
from mcugen.planner.overlap import streaming_min_offset, window_first_needed
from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from tests.conftest import assert_bit_exact


def chain(sizes):
    """A straight chain: buffer i is written at step i-1 and read at step i."""
    return [Buffer(f"t{i}", s, max(i - 1, 0), i) for i, s in enumerate(sizes)]


CASES = {
    "chain": (chain([100, 200, 100, 50]), 300),
    "diamond": ([Buffer("in", 64, 0, 1), Buffer("a", 32, 0, 2), Buffer("b", 32, 1, 2), Buffer("out", 16, 2, 2)], 128),
    "disjoint": ([Buffer("x", 40, 0, 0), Buffer("y", 40, 1, 1), Buffer("z", 40, 2, 2)], 40),
}


@pytest.mark.parametrize("algo", sorted(ALGORITHMS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_algorithm_on_known_graphs(algo, case):
    buffers, best = CASES[case]
    groups = _groups(buffers, [])
    bases = ALGORITHMS[algo](groups, 4)
    for g, base in zip(groups, bases):
        for b, rel in g.members:
            b.offset = base + rel
    size = arena_size(groups, bases)
    verify_plan(buffers, size, 4)
    assert size >= liveness_lower_bound(buffers)
    assert size == best


def test_plan_keeps_best_and_reports_bound():
    buffers, best = CASES["chain"]
    plan = plan_arena(buffers)
    assert plan.arena_size == best and plan.lower_bound == 300


def test_overlap_pair_goes_below_the_liveness_bound():
    a, b, c = Buffer("a", 100, 0, 1), Buffer("b", 100, 1, 2), Buffer("c", 100, 2, 2)
    pairs = [Overlap(a, b, 8, 1), Overlap(b, c, 8, 2)]
    plan = plan_arena([a, b, c], pairs)
    assert plan.lower_bound == 200 and plan.arena_size == 116
    assert a.offset - b.offset == 8 and b.offset - c.offset == 8


def test_verifier_rejects_overlap_and_misalignment():
    a, b = Buffer("a", 16, 0, 1), Buffer("b", 16, 1, 2)
    a.offset, b.offset = 0, 8
    with pytest.raises(InternalError, match="overlap"):
        verify_plan([a, b], 24, 4)
    b.offset = 18
    with pytest.raises(InternalError, match="multiple of 4"):
        verify_plan([a, b], 34, 4)


def test_verifier_rejects_a_pair_closer_than_its_rule():
    x, y = Buffer("x", 64, 0, 1), Buffer("y", 64, 1, 2)
    x.offset, y.offset = 4, 0
    with pytest.raises(InternalError, match="breaks its rule"):
        verify_plan([x, y], 68, 4, [Overlap(x, y, 8, 1)])
    backwards = Overlap(x, y, 8, 1, backward=8, reverse=True)
    x.offset, y.offset = 0, 4
    with pytest.raises(InternalError, match="breaks its rule"):
        verify_plan([x, y], 68, 4, [backwards])
    y.offset = 8
    verify_plan([x, y], 72, 4, [backwards])


def test_streaming_rule_values():
    # 1x1 conv, 64 -> 64 channels, 5x5: the input must start one output pixel after the output.
    first = window_first_needed(1, 5, 5, 64, 5, 5, 1, 1, 0, 0)
    assert streaming_min_offset(64, first) == 64
    # 3x3 SAME depthwise on 25x5x64: one row and two pixels of lag.
    first = window_first_needed(1, 25, 5, 64, 25, 5, 1, 1, 1, 1)
    assert streaming_min_offset(64, first) == (5 + 2) * 64
    # A 2x downsampling conv writing 16 channels from 1: output grows faster than input is consumed.
    first = window_first_needed(1, 8, 8, 1, 4, 4, 2, 2, 0, 0)
    assert streaming_min_offset(16, first) > 0


def _dw_pw_chain(seed=3):
    rng = np.random.default_rng(seed)
    c = 8
    wd = rng.integers(-127, 128, (1, 3, 3, c), dtype=np.int8)
    wp = rng.integers(-127, 128, (c, 1, 1, c), dtype=np.int8)
    bias = TensorSpec((c,), "int32", [0.001] * c, [0] * c, data=rng.integers(-300, 300, c, dtype=np.int32))
    t = [TensorSpec((1, 9, 7, c), "int8", 0.05, 2),
         TensorSpec(wd.shape, "int8", [0.02] * c, [0] * c, quantized_dimension=3, data=wd),
         TensorSpec((1, 9, 7, c), "int8", 0.1, -3),
         TensorSpec(wp.shape, "int8", [0.01] * c, [0] * c, data=wp),
         TensorSpec((1, 9, 7, c), "int8", 0.1, 1),
         TensorSpec(wd.shape, "int8", [0.02] * c, [0] * c, quantized_dimension=3, data=wd),
         TensorSpec((1, 9, 7, c), "int8", 0.2, 0), bias]
    ops = [OpSpec("DEPTHWISE_CONV_2D", [0, 1, 7], [2], {"padding": "SAME", "depth_multiplier": 1}),
           OpSpec("CONV_2D", [2, 3, 7], [4], {"padding": "VALID"}),
           OpSpec("DEPTHWISE_CONV_2D", [4, 5, 7], [6], {"padding": "SAME", "depth_multiplier": 1})]
    return build_model(t, ops, [0], [6])


def test_overlapping_layers_stay_bit_exact():
    model = _dw_pw_chain()
    c = compile_bytes(model, "chain")
    assert c.plan.overlaps and c.plan.arena_size < c.plan.lower_bound
    assert_bit_exact(model, count=8, sanitize=True)


def test_a_too_close_overlap_is_caught_by_comparison(monkeypatch):
    """If the depthwise rule let the output start right on its input, results would be wrong: the
    comparison with TFLM must see it (this is what makes the real rule's test meaningful)."""
    import mcugen.ops.conv as conv
    monkeypatch.setattr(conv, "streaming_min_offset", lambda out_bytes, first: 0)
    monkeypatch.setattr(conv, "reverse_min_offset", lambda out_bytes, last: 0)
    model = _dw_pw_chain()
    with pytest.raises(AssertionError):
        assert_bit_exact(model, count=4)
