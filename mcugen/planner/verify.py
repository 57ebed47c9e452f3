"""Re-check a plan after it is made: every build runs this.

No two buffers alive at a common step share a byte, unless they are an overlap
pair an operator declared (then the input sits at least the declared distance
past the output's start); every offset is a multiple of the plan's alignment and of its buffer's element size (an int64 tensor
sits at a multiple of 8); the arena size is exactly
the largest end offset.
"""
from __future__ import annotations

from ..errors import InternalError
from .analysis import Buffer, Overlap


def verify_plan(buffers: list[Buffer], arena_size: int, align: int, overlaps: list[Overlap] | None = None) -> None:
    pairs = {}
    for o in overlaps or []:
        pairs[(id(o.src), id(o.dst))] = o
        if not o.holds() or o.src.last != o.step or o.dst.first != o.step:
            raise InternalError(f"overlap of {o.src.name} and {o.dst.name} at step {o.step} breaks its rule "
                                f"(input - output = {o.src.offset - o.dst.offset}, "
                                f"{'backward' if o.reverse else 'forward'} rule {o.delta})")
    end = 0
    for b in buffers:
        need = max(align, b.align)
        if b.offset < 0 or b.offset % need:
            raise InternalError(f"buffer {b.name} has offset {b.offset}, not a multiple of {need} "
                                f"(the plan's alignment, or its element size)")
        end = max(end, b.offset + b.size)
    if end != arena_size:
        raise InternalError(f"arena size {arena_size} but buffers end at {end}")
    ordered = sorted(buffers, key=lambda b: b.offset)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.offset >= a.offset + a.size:
                break
            if not (a.overlaps_in_time(b) and a.size and b.size):
                continue
            if (id(a), id(b)) in pairs or (id(b), id(a)) in pairs:
                continue
            raise InternalError(
                f"buffers {a.name} [{a.offset},{a.offset + a.size}) steps {a.first}-{a.last} and "
                f"{b.name} [{b.offset},{b.offset + b.size}) steps {b.first}-{b.last} overlap")
