"""Lifetimes of every activation tensor and scratch buffer, in execution order.

Step i is the i-th layer of the generated invoke function. A tensor lives from
the step that writes it (0 for model inputs) to the last step that reads it
(the last step for model outputs, which the caller reads after invoke).
Reshape aliases share their root tensor's buffer, so the root's lifetime covers
every alias's readers. A variable tensor (recurrent state) keeps its value from
one invocation to the next, so it lives over the whole program: no other buffer
ever shares its bytes, and no operator may overwrite it in place.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Graph, Tensor


@dataclass(eq=False)
class Buffer:
    name: str
    size: int
    first: int
    last: int
    tensor: Tensor | None = None  # None for a scratch buffer (or a buffer of a unit test)
    offset: int = -1
    scratch: bool = False
    align: int = 1  # the element size: the kernels access the buffer as that type (the plan adds its own minimum)

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class Overlap:
    """The operator at `step` may overwrite `src` (an input dying there) while writing `dst`.

    Running forwards it needs offset(src) - offset(dst) >= forward; running backwards (when
    `backward` is not None) offset(dst) - offset(src) >= backward (planner/overlap.py). `reverse`
    is the direction the planner chose; `delta` the resulting offset(src) - offset(dst).
    """

    src: Buffer
    dst: Buffer
    forward: int
    step: int
    backward: int | None = None
    reverse: bool = False

    @property
    def delta(self) -> int:
        return -self.backward if self.reverse else self.forward

    def holds(self) -> bool:
        d = self.src.offset - self.dst.offset
        return d <= -self.backward if self.reverse else d >= self.forward


@dataclass
class Analysis:
    buffers: list[Buffer]
    overlaps: list[Overlap] = field(default_factory=list)


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
            spans[id(r)] = Buffer(r.name, r.storage_bytes, step, step, r, align=r.itemsize)
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
    for b in spans.values():
        if b.tensor is not None and b.tensor.is_variable:
            b.first, b.last = 0, last_step
    out = sorted(spans.values(), key=lambda b: (b.first, b.tensor.index if b.tensor else 0))
    for i, size in enumerate(scratch):
        if size > 0:
            out.append(Buffer(f"scratch{i}", size, i, i, scratch=True))
    return out


def liveness_lower_bound(buffers: list[Buffer]) -> int:
    """The most activation bytes alive at any one step when no two tensors share memory.

    Scratch buffers are left out, so the figure is the one TFLM's and the issue's tables use; the
    arena itself holds scratch too.
    """
    buffers = [b for b in buffers if not b.scratch]
    if not buffers:
        return 0
    steps = range(min(b.first for b in buffers), max(b.last for b in buffers) + 1)
    return max(sum(b.size for b in buffers if b.first <= s <= b.last) for s in steps)


def overlaps(graph: Graph, buffers: list[Buffer], rules, align: int) -> list[Overlap]:
    """Pairs (input, output) that operators allow to share bytes; `rules(op)` is the handler's overlap().

    An input qualifies only when this operator is its last reader, it is not a model output, it
    appears once among the operator's inputs, and its buffer is not already the source of another
    pair; the output must be first written here and have no other pair.
    """
    by_tensor = {id(b.tensor): b for b in buffers if b.tensor is not None}
    outputs = {id(t.root()) for t in graph.outputs}
    used_src: set[int] = set()
    used_dst: set[int] = set()
    found: list[Overlap] = []
    for step, op in enumerate(graph.operators):
        if len(op.outputs) != 1 or op.outputs[0].root().is_const or op.outputs[0].root().is_variable:
            continue
        dst = by_tensor.get(id(op.outputs[0].root()))
        if dst is None or dst.first != step or id(dst) in used_dst:
            continue
        roots = [t.root() if t is not None else None for t in op.inputs]
        for index, (fwd, bwd) in sorted(rules(op).items()):
            x = roots[index]
            if x is None or x.is_const or x.is_variable or id(x) in outputs or sum(r is x for r in roots) != 1:
                continue
            src = by_tensor.get(id(x))
            if src is None or src is dst or src.last != step or id(src) in used_src:
                continue
            if max(src.align, dst.align) > align:  # e.g. int64: rigid groups keep the plan's alignment only
                continue
            up = lambda v: -(-v // align) * align  # noqa: E731
            found.append(Overlap(src, dst, up(fwd), step, None if bwd is None else up(bwd)))
            used_src.add(id(src))
            used_dst.add(id(dst))
            break
    return found
