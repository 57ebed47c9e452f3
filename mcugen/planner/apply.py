"""Group overlap pairs into rigid chains, run every placement algorithm, keep the smallest arena,
write offsets back and verify."""
from __future__ import annotations

from dataclasses import dataclass, field

from .algorithms import ALGORITHMS, Group, arena_size
from .analysis import Buffer, Overlap, liveness_lower_bound
from .verify import verify_plan

#: every arena offset is a multiple of ALIGN and of its buffer's element size; the arena itself is 8-aligned
#: (docs/validation.md, "Alignment")
ALIGN = 4
MAX_ARENA = (1 << 31) - 1


@dataclass
class Plan:
    buffers: list[Buffer]
    arena_size: int
    lower_bound: int
    algorithm: str
    overlaps: list[Overlap] = field(default_factory=list)

    @property
    def reverse_steps(self) -> set[int]:
        return {o.step for o in self.overlaps if o.reverse}

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


def _groups(buffers: list[Buffer], overlaps: list[Overlap]) -> list[Group]:
    """Chains of overlap pairs become rigid groups: offset(src) = offset(dst) + delta."""
    edges: dict[int, list[tuple[Buffer, int]]] = {}
    for o in overlaps:
        edges.setdefault(id(o.dst), []).append((o.src, o.delta))
        edges.setdefault(id(o.src), []).append((o.dst, -o.delta))
    seen: set[int] = set()
    groups = []
    for b in buffers:
        if id(b) in seen:
            continue
        rel = {id(b): (b, 0)}
        todo = [b]
        while todo:
            cur = todo.pop()
            for nxt, delta in edges.get(id(cur), []):
                if id(nxt) not in rel:
                    rel[id(nxt)] = (nxt, rel[id(cur)][1] + delta)
                    todo.append(nxt)
        seen.update(rel)
        low = min(r for _, r in rel.values())
        groups.append(Group([(m, r - low) for m, r in rel.values()]))
    return groups


def _consistent(group: Group, allowed: set[tuple[int, int]]) -> bool:
    ms = group.members
    for i, (a, ra) in enumerate(ms):
        for b, rb in ms[i + 1:]:
            if (a.overlaps_in_time(b) and ra < rb + b.size and rb < ra + a.size
                    and (id(a), id(b)) not in allowed and (id(b), id(a)) not in allowed):
                return False
    return True


def _best(buffers: list[Buffer], overlaps: list[Overlap], align: int, algorithms) -> tuple[int, str, list, list]:
    """(arena size, algorithm, groups, bases) of the best algorithm for this set of overlap pairs;
    size -1 when the pairs fold a chain onto itself."""
    allowed = {(id(o.src), id(o.dst)) for o in overlaps}
    groups = _groups(buffers, overlaps)
    if not all(_consistent(g, allowed) for g in groups):
        return -1, "", groups, []
    best = (-1, "", groups, [])
    for name in algorithms:
        bases = ALGORITHMS[name](groups, align)
        size = arena_size(groups, bases)
        if best[0] < 0 or size < best[0]:
            best = (size, name, groups, bases)
    return best


def plan_arena(buffers: list[Buffer], overlaps: list[Overlap] | None = None, align: int = ALIGN) -> Plan:
    """Search which overlap pairs to use and in which direction: coordinate descent from "all
    forward", trying for each pair forward, backward and not at all, keeping any change that
    shrinks the arena (rigid chains drifting one way can cost space); then place with every
    algorithm and keep the smallest."""
    quick = ("greedy_by_size", "greedy_by_area")
    candidates = list(overlaps or [])
    mode = {id(o): "fwd" for o in candidates}

    def chosen() -> list[Overlap]:
        out = []
        for o in candidates:
            if mode[id(o)] != "off":
                o.reverse = mode[id(o)] == "rev"
                out.append(o)
        return out

    size = _best(buffers, chosen(), align, quick)[0]
    for _ in range(2):
        improved = False
        for o in candidates:
            for m in ("fwd", "rev", "off"):
                if m == mode[id(o)] or (m == "rev" and o.backward is None):
                    continue
                old, mode[id(o)] = mode[id(o)], m
                t = _best(buffers, chosen(), align, quick)[0]
                if t >= 0 and (size < 0 or t < size):
                    size, improved = t, True
                else:
                    mode[id(o)] = old
        if not improved:
            break
    pairs = chosen() if size >= 0 else []
    best_size, best_name, groups, bases = _best(buffers, pairs, align, tuple(ALGORITHMS))
    for g, base in zip(groups, bases):
        for b, rel in g.members:
            b.offset = base + rel
    verify_plan(buffers, best_size, align, pairs)
    total = -(-best_size // align) * align
    if total > MAX_ARENA:
        from ..errors import UnsupportedModelError
        raise UnsupportedModelError(f"the model needs an arena of {total:,} bytes; the generated code addresses "
                                    f"at most {MAX_ARENA:,} (32-bit offsets).")
    return Plan(buffers, total, liveness_lower_bound(buffers), best_name, pairs)
