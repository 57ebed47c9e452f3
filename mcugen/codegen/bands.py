"""The C of a fused row-band chain (planner/bands.py): the per-band geometry table and the band loop.

Each layer of the chain keeps its ordinary const parameter struct; in the band loop a copy of it on the
stack gets the band's view (in_h, pad_top, out_h: the kernel's own fields; for a 1x1 convolution lowered
to the FULLY_CONNECTED kernel, batches = rows x width), and the kernel is called on the view's pointers.
"""
from __future__ import annotations

from ..errors import InternalError
from ..planner.bands import ENTRY, BandChain, accumulator_name, activation_inputs

#: the band entry point of a global AVERAGE_POOL_2D (runtime_c/pooling/mcu_avgpool_rows_s8.c)
ACCUMULATE = "avgpool_rows_s8"
ACCUMULATE_SOURCE = "pooling/mcu_avgpool_rows_s8.c"

#: parameter structs whose kernels run on a row view, and the fields a band patches (field -> C expression
#: over the band entry `g`, see ENTRY)
VIEW_FIELDS = {"in_h": "in_h", "pad_top": "pad_top", "out_h": "out_h"}
PATCHES = {
    "conv_params_t": VIEW_FIELDS, "conv_fast_params_t": VIEW_FIELDS, "dw_params_t": VIEW_FIELDS,
    "pool_params_t": VIEW_FIELDS, "fc_params_t": {"batches": "out_h * {out_w}"},
    "add_params_t": {"size": "out_h * {row}"}, "mul_params_t": {"size": "out_h * {row}"},
    "pad_params_t": {"in_shape[0]": "in_h", "out_shape[0]": "out_h", "pad_before[0]": "pad_top"},
    "input_rows_params_t": {"first_row": "first_row", "rows": "out_h"},  # a streamed input (model.c.j2)
}


def band_loop(chain: BandChain, graph, layers, rows, ctx) -> dict:
    """Template data of the band loop replacing steps chain.first .. chain.last."""
    width = len(ENTRY)
    out = []
    for i, step in enumerate(chain.steps):
        L, op = layers[step], graph.operators[step]
        if L.struct not in PATCHES or L.template != "ops/struct_call.c.j2" or len(L.args) < 2:
            raise InternalError(f"step {step}: kernel {L.function} ({L.struct}) cannot run in row bands")
        if dict(L.fields).get("reverse", 0):
            raise InternalError(f"step {step}: a fused layer must run forwards")
        if L.struct in ("add_params_t", "mul_params_t") and dict(L.fields)["bcast"]["rank"] != 0:
            raise InternalError(f"step {step}: a fused element-wise layer must not broadcast")
        xs = [ctx.ptr(t) for t in activation_inputs(op)]
        y = ctx.ptr(op.outputs[0])
        g = {k: f"g[{1 + j}]" for j, k in enumerate(ENTRY)}
        view = dict(zip(xs, (g["in_offset"], g["in_offset2"])))
        view[y] = g["out_offset"]
        if len(set(xs + [y])) != len(xs) + 1 or any(L.args.count(a) != 1 for a in xs + [y]):
            raise InternalError(f"step {step}: unexpected kernel arguments {L.args}")
        args = [f"{a} + {view[a]}" if a in view else a for a in L.args]
        r = chain.rows[i]
        if r.accumulate:  # a global average pool fed row by row: its band entry point
            acc = next(b for b in ctx.plan.buffers if b.name == accumulator_name(chain))
            L.sources = tuple(L.sources) + (ACCUMULATE_SOURCE,)
            out.append({
                "step": step, "shift": False, "buffer": y, "comment": f"{rows[step]['op']} (accumulated by rows)",
                "call": ACCUMULATE, "args": [f"{xs[0]} + {g['in_offset']}", g["first_row"], g["out_h"],
                                             f"(int32_t *)(arena + {acc.offset})", y],
            })
            continue
        patches = [(f, e.format(out_w=r.out_w, row=r.out_row).replace("out_h", g["out_h"]) if " " in e else g[e])
                   for f, e in PATCHES[L.struct].items()]
        out.append({
            "step": step, "struct": L.struct, "function": L.function, "patches": patches,
            "shift": i < len(chain.rows) - 1, "buffer": y, "shift_from": g["shift_from"],
            "shift_bytes": g["shift_bytes"], "out_h": g["out_h"],
            "args": args, "call": None,
            "comment": f"{rows[step]['op']} {(rows[step]['inputs'] or ['rows from the caller'])[0]} -> "
                       f"{rows[step]['outputs'][0]}",
        })
    lines = ["{ " + ", ".join(str(v) for v in e) + " }" for e in chain.table]
    return {
        "first": chain.first, "last": chain.last, "bands": chain.bands, "height": chain.height,
        "calls": chain.calls, "width": width + 1, "table": f"band{chain.first}_calls", "rows": lines,
        "entry": "layer, " + ", ".join(ENTRY), "layers": out,
        "accumulate": any(r.accumulate for r in chain.rows),
    }


def band_report(choice, graph, mode: str = "min") -> dict:
    """The report.json section of --memory min / stream: the chain, the band geometry, today's plan beside."""
    from ..planner.analysis import liveness_lower_bound
    peak = step_peaks(choice.plan, len(graph.operators))
    return {
        "mode": mode, "streamed_inputs": [op.options["input"] for op in graph.operators if op.op == "MCU_INPUT_ROWS"],
        "arena_bytes": choice.plan.arena_size, "liveness_lower_bound": choice.plan.lower_bound,
        "default_arena_bytes": choice.baseline.arena_size,
        "default_liveness_lower_bound": liveness_lower_bound(choice.baseline.buffers),
        "chains": [c.describe(graph.operators) for c in choice.chains],
        "peak_per_step": peak, "default_peak_per_step": step_peaks(choice.baseline, len(graph.operators)),
        "candidates": len(choice.tried), "max_recompute": choice.max_recompute,
        "recomputed_macs": sum(c.recomputed_macs for c in choice.chains),
        "recomputed_share": sum(c.recomputed_macs for c in choice.chains) / max(choice.total_macs, 1),
    }


def step_peaks(plan, steps: int) -> list[int]:
    """Per step, the highest arena byte in use (the end of the highest buffer alive)."""
    return [max((b.offset + b.size for b in plan.buffers if b.first <= s <= b.last and b.size), default=0)
            for s in range(max(steps, 1))]
