"""Lifetimes of every activation tensor and scratch buffer, in execution order.

Step i is the i-th layer of the generated invoke function. A tensor lives from
the step that writes it (0 for model inputs) to the last step that reads it
(the last step for model outputs, which the caller reads after invoke).
Reshape aliases share their root tensor's buffer, so the root's lifetime covers
every alias's readers.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import Graph, Tensor


@dataclass(eq=False)
class Buffer:
    name: str
    size: int
    first: int
    last: int
    tensor: Tensor | None = None  # None for a scratch buffer
    offset: int = -1

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


def analyse(graph: Graph, scratch: list[int]) -> list[Buffer]:
    """Buffers for `graph` whose operators run in list order; scratch[i] bytes for step i."""
    n = len(graph.operators)
    last_step = max(n - 1, 0)
    spans: dict[int, Buffer] = {}

    def touch(t: Tensor, step: int) -> None:
        r = t.root()
        if r.is_const:
            return
        b = spans.get(id(r))
        if b is None:
            spans[id(r)] = Buffer(r.name, r.nbytes, step, step, r)
        else:
            b.first, b.last = min(b.first, step), max(b.last, step)

    for t in graph.inputs:
        touch(t, 0)
    for i, op in enumerate(graph.operators):
        for t in op.inputs + op.outputs:
            if t is not None:
                touch(t, i)
    for t in graph.outputs:
        touch(t, last_step)
    out = sorted(spans.values(), key=lambda b: (b.first, b.tensor.index if b.tensor else 0))
    for i, size in enumerate(scratch):
        if size > 0:
            out.append(Buffer(f"scratch{i}", size, i, i))
    return out


def liveness_lower_bound(buffers: list[Buffer]) -> int:
    """The most bytes alive at any one step when no two buffers share memory."""
    if not buffers:
        return 0
    steps = range(min(b.first for b in buffers), max(b.last for b in buffers) + 1)
    return max(sum(b.size for b in buffers if b.first <= s <= b.last) for s in steps)
