"""Run every placement algorithm, keep the smallest arena, write offsets back, verify."""
from __future__ import annotations

from dataclasses import dataclass

from .algorithms import ALGORITHMS, arena_size
from .analysis import Buffer, liveness_lower_bound
from .verify import verify_plan

ALIGN = 4


@dataclass
class Plan:
    buffers: list[Buffer]
    arena_size: int
    lower_bound: int
    algorithm: str

    def offset_of(self, tensor) -> int:
        r = tensor.root()
        for b in self.buffers:
            if b.tensor is r:
                return b.offset
        raise KeyError(tensor.name)

    def scratch_offset(self, step: int) -> int:
        for b in self.buffers:
            if b.tensor is None and b.first == step:
                return b.offset
        raise KeyError(step)


def plan_arena(buffers: list[Buffer], align: int = ALIGN) -> Plan:
    best_name, best_offs, best_size = "", [], -1
    for name, algo in ALGORITHMS.items():
        offs = algo(buffers, align)
        size = arena_size(buffers, offs)
        if best_size < 0 or size < best_size:
            best_name, best_offs, best_size = name, offs, size
    for b, o in zip(buffers, best_offs):
        b.offset = o
    total = _round_up(best_size, align)
    verify_plan(buffers, best_size, align)
    return Plan(buffers, total, liveness_lower_bound(buffers), best_name)


def _round_up(x: int, a: int) -> int:
    return (x + a - 1) // a * a
