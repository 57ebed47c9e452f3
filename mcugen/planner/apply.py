"""Group overlap pairs into rigid chains, run every placement algorithm, keep the smallest arena,
write offsets back and verify."""
from __future__ import annotations

from dataclasses import dataclass, field

from .algorithms import ALGORITHMS, Group, arena_size
from .analysis import Buffer, Overlap, liveness_lower_bound
from .verify import verify_plan

ALIGN = 4


@dataclass
class Plan:
    buffers: list[Buffer]
    arena_size: int
    lower_bound: int
    algorithm: str
    overlaps: list[Overlap] = field(default_factory=list)

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
    """Chains of overlap pairs become rigid groups: offset(src) = offset(dst) + min_offset."""
    edges: dict[int, list[tuple[Buffer, int]]] = {}
    for o in overlaps:
        edges.setdefault(id(o.dst), []).append((o.src, o.min_offset))
        edges.setdefault(id(o.src), []).append((o.dst, -o.min_offset))
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
    """Search which overlap pairs to use: start from all of them and drop, one at a time, any pair
    whose removal shrinks the arena (rigid chains of pairs can also cost space); then place with
    every algorithm and keep the smallest."""
    quick = ("greedy_by_size", "greedy_by_area")
    chosen = list(overlaps or [])
    size = _best(buffers, chosen, align, quick)[0]
    for o in list(chosen):
        trial = [x for x in chosen if x is not o]
        t = _best(buffers, trial, align, quick)[0]
        if size < 0 or (t >= 0 and t < size):
            chosen, size = trial, t
    if size < 0:
        chosen = []
    best_size, best_name, groups, bases = _best(buffers, chosen, align, tuple(ALGORITHMS))
    for g, base in zip(groups, bases):
        for b, rel in g.members:
            b.offset = base + rel
    verify_plan(buffers, best_size, align, chosen)
    total = -(-best_size // align) * align
    return Plan(buffers, total, liveness_lower_bound(buffers), best_name, chosen)
