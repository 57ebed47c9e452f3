"""Placement algorithms: pure functions (groups, alignment) -> base offsets.

A group is a set of buffers with fixed offsets relative to each other (a chain
of overlap pairs, planner/overlap.py; a lone buffer is a group of one). Each
algorithm returns one base offset per group such that two buffers of different
groups alive at a common step never share a byte. apply.py runs them all and
keeps the smallest arena.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from .analysis import Buffer


@dataclass(eq=False)
class Group:
    members: list[tuple[Buffer, int]]  # (buffer, offset relative to the group's base), all >= 0

    @property
    def size(self) -> int:
        return max(rel + b.size for b, rel in self.members)

    @property
    def align(self) -> int:
        return max((b.align for b, _ in self.members), default=1)

    @property
    def span(self) -> int:
        return max(b.last for b, _ in self.members) - min(b.first for b, _ in self.members)

    @property
    def bytes_time(self) -> int:
        return sum(b.size * (b.last - b.first + 1) for b, _ in self.members)


def _align(x: int, a: int) -> int:
    return (x + a - 1) // a * a


def _place(order: list[int], groups: list[Group], align: int) -> list[int]:
    """First fit: each group, in `order`, goes at the lowest aligned base where none of its buffers
    meets a buffer already placed that is alive at a common step."""
    bases = [-1] * len(groups)
    placed: list[tuple[Buffer, int]] = []  # (buffer, absolute offset)
    for gi in order:
        forbidden = []
        for b, rel in groups[gi].members:
            for p, off in placed:
                if p.overlaps_in_time(b) and p.size and b.size:
                    forbidden.append((off - rel - b.size, off + p.size - rel))  # open interval of bases
        a = max(align, groups[gi].align)
        candidates = sorted({0} | {_align(max(hi, 0), a) for _, hi in forbidden})
        base = next(c for c in candidates if all(not (lo < c < hi) for lo, hi in forbidden))
        bases[gi] = base
        placed.extend((b, base + rel) for b, rel in groups[gi].members)
    return bases


def arena_size(groups: list[Group], bases: list[int]) -> int:
    return max((base + g.size for g, base in zip(groups, bases)), default=0)


def greedy_by_size(groups: list[Group], align: int = 4) -> list[int]:
    """Largest group first (ties: longest lifetime first), each at its lowest free base."""
    order = sorted(range(len(groups)), key=lambda i: (-groups[i].size, -groups[i].span, i))
    return _place(order, groups, align)


def greedy_by_area(groups: list[Group], align: int = 4) -> list[int]:
    """Groups holding the most bytes x steps first."""
    order = sorted(range(len(groups)), key=lambda i: (-groups[i].bytes_time, i))
    return _place(order, groups, align)


def hill_climb(groups: list[Group], align: int = 4, iterations: int = 200, seed: int = 0) -> list[int]:
    """Start from greedy-by-size's order and keep random swaps that do not grow the arena.

    Deterministic for a given seed, so builds stay reproducible.
    """
    n = len(groups)
    order = sorted(range(n), key=lambda i: (-groups[i].size, -groups[i].span, i))
    best = _place(order, groups, align)
    best_size = arena_size(groups, best)
    if n < 2:
        return best
    rng = random.Random(seed)
    for _ in range(iterations):
        a, b = rng.randrange(n), rng.randrange(n)
        if a == b:
            continue
        order[a], order[b] = order[b], order[a]
        bases = _place(order, groups, align)
        size = arena_size(groups, bases)
        if size <= best_size:
            best, best_size = bases, size
        else:
            order[a], order[b] = order[b], order[a]
    return best


ALGORITHMS = {
    "greedy_by_size": greedy_by_size,
    "greedy_by_area": greedy_by_area,
    "hill_climb": hill_climb,
}
