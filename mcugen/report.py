"""`mcugen report`: a Markdown report of a compiled model and an SVG picture of its arena over time.

The picture has one column per layer (execution step) and the arena's byte
offsets upwards; every activation tensor is a rectangle from the step that
writes it to the last step that reads it, at its planned offsets. Rectangles of
an overlap pair (an operator writing its output over its dying input) touch or
cross at that step; every other pair of rectangles is disjoint, which is what
the planner's verifier proves on every build.
"""
from __future__ import annotations

from pathlib import Path

import jinja2

from .compiler import Compiled
from .resources import TEMPLATES

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#86bcb6", "#8cd17d", "#f1ce63"]
WIDTH, HEIGHT, LEFT, TOP, BOTTOM, RIGHT = 960, 520, 90, 40, 60, 20


def _ticks(top: int, n: int = 6) -> list[int]:
    step = max(1, top // n)
    mag = 10 ** (len(str(step)) - 1)
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= step)
    return list(range(0, top + 1, step))


def arena_picture(c: Compiled) -> dict:
    plan, steps = c.plan, max(len(c.graph.operators), 1)
    top = max(plan.arena_size, plan.lower_bound, 1)
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    sx = pw / steps
    sy = ph / top
    rects = []
    # --memory min / stream: each fused group's steps shaded, its line buffers outlined dashed
    streamed = [op.outputs[0] for op in c.graph.operators if op.op == "MCU_INPUT_ROWS"]
    groups = [{"x": round(LEFT + g.first * sx, 2), "w": round((g.last - g.first + 1) * sx, 2),
               "label": f"steps {g.first}-{g.last}: {g.bands} bands of {g.height} row{'s' if g.height > 1 else ''}"}
              for g in (c.bands.chains if c.bands is not None else [])]
    for i, b in enumerate(sorted(plan.buffers, key=lambda b: (b.first, b.offset))):
        x, w = LEFT + b.first * sx, (b.last - b.first + 1) * sx
        y, h = TOP + ph - (b.offset + b.size) * sy, max(b.size * sy, 1.0)
        label = f"t{b.tensor.index}" if b.tensor is not None else f"s{b.first}"
        name = b.name if b.tensor is not None else f"scratch of step {b.first}"
        rects.append({"x": round(x, 2), "y": round(y, 2), "w": round(max(w - 1, 1), 2), "h": round(h, 2),
                      "color": "#bbbbbb" if b.tensor is None else PALETTE[i % len(PALETTE)],
                      "band": b.name.endswith("(band buffer)") or (b.tensor is not None and b.tensor in streamed),
                      "title": f"{label} {name}: {b.size} B at [{b.offset}, {b.offset + b.size}), "
                               f"steps {b.first}-{b.last}",
                      "label": label if w > 24 and h > 13 else "", "ly": round(y + min(h / 2 + 4, 14), 2)})
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP, "plot_w": pw, "plot_h": ph,
        "rects": rects, "groups": groups, "arena_y": round(TOP + ph - plan.arena_size * sy, 2),
        "bound_y": round(TOP + ph - plan.lower_bound * sy, 2), "arena": plan.arena_size, "bound": plan.lower_bound,
        "yticks": [{"y": round(TOP + ph - t * sy, 2), "label": f"{t:,}"} for t in _ticks(top)],
        "xticks": [{"x": round(LEFT + (s + 0.5) * sx, 2), "label": str(s)}
                   for s in range(0, steps, max(1, steps // 20))],
        "name": c.project.name,
    }


def tensor_rows(c: Compiled) -> list[dict]:
    """The legend of the picture: one row per buffer."""
    return [{"label": f"t{b.tensor.index}" if b.tensor is not None else f"s{b.first}",
             "name": b.name if b.tensor is not None else "scratch", "size": b.size, "offset": b.offset,
             "first": b.first, "last": b.last}
            for b in sorted(c.plan.buffers, key=lambda b: (b.first, b.offset))]


def layer_rows(c: Compiled) -> list[dict]:
    plan = c.plan
    pairs = {o.step: o for o in plan.overlaps}
    rows = []
    for step, (op, r) in enumerate(zip(c.graph.operators, c.project.report["layers"])):
        live = sum(b.size for b in plan.buffers if b.first <= step <= b.last)
        ins = [t for t in op.inputs if t is not None and not t.root().is_const]

        def span(t):
            off = plan.offset_of(t)
            return f"{off}–{off + t.nbytes}"
        o = pairs.get(step)
        mode = "" if o is None else ("in place, backwards" if o.reverse else "in place")
        rows.append({**r, "live": live, "in_ranges": ", ".join(span(t) for t in ins),
                     "out_ranges": ", ".join(span(t) for t in op.outputs), "mode": mode})
    return rows


def recurrent_rows(c: Compiled) -> list[dict]:
    """Layers with state (SVDF, LSTM): MACs per time step and per invocation, and their state bytes."""
    rows = []
    for r in c.project.report["layers"]:
        if not r.get("state_bytes"):
            continue
        per_step = r.get("macs_per_step") or r["macs"]
        rows.append({**r, "macs_per_step": per_step, "time_steps": r["macs"] // per_step if per_step else 1})
    return rows


def write_report(c: Compiled, out: str | Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    name = c.project.name
    svg = env.get_template("report/arena.svg.j2").render(**arena_picture(c))
    r = c.project.report
    md = env.get_template("report/report.md.j2").render(
        name=name, report=r, rows=layer_rows(c), tensors=tensor_rows(c), board=c.board.name, svg=f"{name}_arena.svg",
        reduction=(100.0 * (1 - r["arena_bytes"] / r["liveness_lower_bound"])) if r["liveness_lower_bound"] else 0.0,
        overlaps=len(c.plan.overlaps), recurrent=recurrent_rows(c))
    paths = [out / f"{name}_arena.svg", out / f"{name}_report.md"]
    paths[0].write_text(svg)
    paths[1].write_text(md)
    return paths
