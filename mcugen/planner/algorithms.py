"""Placement algorithms: pure functions (buffers, alignment) -> offsets.

Each returns a list of offsets, one per buffer in the order given, such that
two buffers alive at a common step never share a byte. apply.py runs them all
and keeps the smallest arena.
"""
from __future__ import annotations

import random

from .analysis import Buffer


def _align(x: int, a: int) -> int:
    return (x + a - 1) // a * a


def _place(order: list[int], buffers: list[Buffer], align: int) -> list[int]:
    """First fit: each buffer, in `order`, goes at the lowest aligned offset free during its lifetime."""
    offsets = [-1] * len(buffers)
    placed: list[int] = []
    for i in order:
        b = buffers[i]
        busy = sorted((offsets[j], offsets[j] + buffers[j].size) for j in placed if buffers[j].overlaps_in_time(b))
        off = 0
        for start, end in busy:
            if off + b.size <= start:
                break
            off = max(off, _align(end, align))
        offsets[i] = off
        placed.append(i)
    return offsets


def arena_size(buffers: list[Buffer], offsets: list[int]) -> int:
    return max((o + b.size for o, b in zip(offsets, buffers)), default=0)


def greedy_by_size(buffers: list[Buffer], align: int = 4) -> list[int]:
    """Largest buffer first (ties: longest lifetime first), each at its lowest free offset."""
    order = sorted(range(len(buffers)), key=lambda i: (-buffers[i].size, -(buffers[i].last - buffers[i].first), i))
    return _place(order, buffers, align)


def greedy_by_conflicts(buffers: list[Buffer], align: int = 4) -> list[int]:
    """Buffers that overlap the most bytes of others' lifetimes first."""
    def pressure(i: int) -> int:
        return sum(o.size for o in buffers if o is not buffers[i] and o.overlaps_in_time(buffers[i]))
    order = sorted(range(len(buffers)), key=lambda i: (-pressure(i) - buffers[i].size, i))
    return _place(order, buffers, align)


def hill_climb(buffers: list[Buffer], align: int = 4, iterations: int = 300, seed: int = 0) -> list[int]:
    """Start from greedy-by-size's order and keep random swaps that do not grow the arena.

    Deterministic for a given seed, so builds stay reproducible.
    """
    n = len(buffers)
    order = sorted(range(n), key=lambda i: (-buffers[i].size, i))
    best = _place(order, buffers, align)
    best_size = arena_size(buffers, best)
    if n < 2:
        return best
    rng = random.Random(seed)
    for _ in range(iterations):
        a, b = rng.randrange(n), rng.randrange(n)
        if a == b:
            continue
        order[a], order[b] = order[b], order[a]
        offs = _place(order, buffers, align)
        size = arena_size(buffers, offs)
        if size <= best_size:
            best, best_size = offs, size
        else:
            order[a], order[b] = order[b], order[a]
    return best


ALGORITHMS = {
    "greedy_by_size": greedy_by_size,
    "greedy_by_conflicts": greedy_by_conflicts,
    "hill_climb": hill_climb,
}
