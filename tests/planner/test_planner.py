"""Placement algorithms on the same graphs with known answers; the verifier catches clashes."""
import pytest

from mcugen.errors import InternalError
from mcugen.planner import Buffer, plan_arena, verify_plan
from mcugen.planner.algorithms import ALGORITHMS, arena_size
from mcugen.planner.analysis import liveness_lower_bound


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
    offs = ALGORITHMS[algo](buffers, 4)
    for b, o in zip(buffers, offs):
        b.offset = o
    size = arena_size(buffers, offs)
    verify_plan(buffers, size, 4)
    assert size >= liveness_lower_bound(buffers)
    assert size == best


def test_plan_keeps_best_and_reports_bound():
    buffers, best = CASES["chain"]
    plan = plan_arena(buffers)
    assert plan.arena_size == best and plan.lower_bound == 300


def test_verifier_rejects_overlap_and_misalignment():
    a, b = Buffer("a", 16, 0, 1), Buffer("b", 16, 1, 2)
    a.offset, b.offset = 0, 8
    with pytest.raises(InternalError, match="overlap"):
        verify_plan([a, b], 24, 4)
    b.offset = 18
    with pytest.raises(InternalError, match="multiple of 4"):
        verify_plan([a, b], 34, 4)
