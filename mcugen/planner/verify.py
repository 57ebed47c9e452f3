"""Re-check a plan after it is made: every build runs this.

No two buffers alive at a common step share a byte, every offset is aligned,
and the arena size is exactly the largest end offset.
"""
from __future__ import annotations

from ..errors import InternalError
from .analysis import Buffer


def verify_plan(buffers: list[Buffer], arena_size: int, align: int) -> None:
    end = 0
    for b in buffers:
        if b.offset < 0 or b.offset % align:
            raise InternalError(f"buffer {b.name} has offset {b.offset}, not a multiple of {align}")
        end = max(end, b.offset + b.size)
    if end != arena_size:
        raise InternalError(f"arena size {arena_size} but buffers end at {end}")
    ordered = sorted(buffers, key=lambda b: b.offset)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.offset >= a.offset + a.size:
                break
            if a.overlaps_in_time(b) and a.size and b.size:
                raise InternalError(
                    f"buffers {a.name} [{a.offset},{a.offset + a.size}) steps {a.first}-{a.last} and "
                    f"{b.name} [{b.offset},{b.offset + b.size}) steps {b.first}-{b.last} overlap")
