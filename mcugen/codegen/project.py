"""Turn a planned graph into the files of a C project (names -> contents).

The layer list, const data, API header, Makefile, CMakeLists.txt, README and
harness come from templates/; the kernels this model calls are copied
from runtime_c/ with every `mcu_` / `MCU_` prefix replaced by the model's name,
so two generated models link into one program.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import jinja2
import numpy as np

from ..boards import Board
from ..ir import Graph, Tensor
from ..ops import Layer, handler
from ..planner import Plan
from ..resources import RUNTIME_C, TEMPLATES
from ..version import __version__
from .context import CTYPES, GenContext, c_literal
from .cvalue import c_value

ROW = 16


@dataclass
class GeneratedProject:
    name: str
    files: dict[str, str]
    report: dict
    layers: list[Layer] = field(default_factory=list)
    runtime: str = ""                                           # the kernels' prefix
    kernel_files: list[str] = field(default_factory=list)       # the runtime's files among `files`
    lib_sources: list[str] = field(default_factory=list)        # the .c files of the library


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["c"] = c_literal
    env.filters["cvalue"] = c_value
    return env


def prefix_source(text: str, name: str) -> str:
    """Rename the runtime's mcu_/MCU_ prefix to the model's own."""
    text = re.sub(r"\bmcu_", name + "_", text)
    return re.sub(r"\bMCU_", name.upper() + "_", text)


def _io(t: Tensor, plan: Plan, i: int) -> dict:
    return {
        "index": i, "name": t.name, "ctype": CTYPES[t.dtype], "dtype": t.dtype, "shape": list(t.shape),
        "size": t.size, "bytes": t.nbytes, "offset": 0 if t.root().is_const else plan.offset_of(t),
        "const": None,  # a constant output: the name of its bytes in flash
        "streamed": False,  # an input the caller gives by rows (--memory stream)
        "scale": float(t.quant.s) if t.quant else 0.0, "zero_point": t.quant.zp if t.quant else 0,
    }


def _shape(t: Tensor | None) -> str:
    return "x".join(str(d) for d in t.shape) if t is not None else "-"


def generate(graph: Graph, plan: Plan, name: str, source_name: str, model_sha256: str,
             board: Board, runtime: str | None = None, step_features: list[frozenset] | None = None,
             bands=None) -> GeneratedProject:
    """The project's files. `runtime`: the prefix of the kernel files and symbols (default: the model's
    own name); several models built with one runtime prefix share one copy of the kernels
    (codegen/shared.py). step_features: each layer's features (default: the board's); --optimize size
    and balanced add the pseudo-feature "optimize:size" to the layers that take the size layout."""
    rt = runtime or name
    board_features = frozenset(board.features)
    ctx = GenContext(name, plan, board_features)
    layers: list[Layer] = []
    rows = []
    for step, op in enumerate(graph.operators):
        ctx.step = step
        ctx.features = step_features[step] if step_features is not None else board_features
        ctx.optimize = "size" if "optimize:size" in ctx.features else "speed"  # compiler.with_optimize
        ctx.layer_weight_bytes = 0
        h = handler(op.op)
        layer = h.lower(op, ctx)
        layers.append(layer)
        rows.append({
            "step": step, "node": op.index, "op": op.op, "kernel": layer.function or "(alias)",
            "inputs": [_shape(t) for t in op.inputs], "outputs": [_shape(t) for t in op.outputs],
            "macs": h.macs(op), "weight_bytes": ctx.layer_weight_bytes,
            "output_offsets": [plan.offset_of(t) for t in op.outputs],
            "scratch_bytes": h.scratch_bytes(op, ctx.features),
            "scheme": h.scheme(op) or "",
            "state_bytes": sum(t.nbytes for t in op.inputs if t is not None and t.is_variable),
            "macs_per_step": h.macs_per_step(op) if hasattr(h, "macs_per_step") else None,
            "layout": ctx.optimize,
        })
    band_first, band_inner = {}, {}
    if bands is not None:
        from .bands import band_loop
        for chain in bands.chains:
            band_first[chain.first] = band_loop(chain, graph, layers, rows, ctx)
            band_inner.update({s: chain.first for s in chain.steps if s != chain.first})
    outputs = [_io(t, plan, i) for i, t in enumerate(graph.outputs)]
    ctx.step = len(graph.operators)
    for io, t in zip(outputs, graph.outputs):
        if t.root().is_const:
            raw = np.ascontiguousarray(np.asarray(t.root().data, dtype=t.dtype)).tobytes()
            io["const"] = ctx.const(f"output{io['index']}", np.frombuffer(raw, np.uint8), "uint8_t")
    sources = sorted({s for L in layers for s in L.sources})
    public = sorted(str(p.relative_to(RUNTIME_C)) for p in (RUNTIME_C / "include").glob("*.h"))
    kernel_files = {}
    for rel in sources + public:
        base = rel.rsplit("/", 1)[-1]
        kernel_files[prefix_source(base, rt)] = prefix_source((RUNTIME_C / rel).read_text(), rt)
    consts = [{
        "name": c.name, "ctype": c.ctype, "count": int(c.values.size),
        "rows": [", ".join(c_literal(v, c.ctype) for v in c.values[i:i + ROW].tolist())
                 for i in range(0, c.values.size, ROW)],
    } for c in ctx.consts]
    weight_bytes = sum(c.nbytes for c in ctx.consts)
    inputs = [_io(t, plan, i) for i, t in enumerate(graph.inputs)]
    for op in graph.operators:  # --memory stream: inputs the caller gives by rows (passes/stream_input.py)
        if op.op == "MCU_INPUT_ROWS":
            io, t = inputs[op.options["input"]], op.outputs[0]
            io.update(streamed=True, rows=int(t.shape[1]), row_bytes=t.nbytes // int(t.shape[1]))
    streamed = [io for io in inputs if io.get("streamed")]
    variables = [{"name": t.name, "dtype": t.dtype, "shape": list(t.shape), "bytes": t.storage_bytes,
                  "offset": plan.offset_of(t), "fill": (t.quant.zp if t.dtype == "int8" and t.quant else 0) & 0xFF}
                 for t in graph.tensors if t.is_variable and t.alias_of is None]
    lib_sources = sorted([f"{name}.c", f"{name}_weights.c"] + [f for f in kernel_files if f.endswith(".c")])
    v = {
        "name": name, "NAME": name.upper(), "rt": rt, "version": __version__, "source": source_name,
        "model_sha256": model_sha256, "layers": layers, "rows": rows, "consts": consts,
        "inputs": inputs, "outputs": outputs, "arena_size": plan.arena_size, "lower_bound": plan.lower_bound,
        "weight_bytes": weight_bytes, "lib_sources": lib_sources,
        # the public headers only: a kernel's own .h (e.g. an implementation body) is included by its .c files
        "headers": sorted(prefix_source(rel.rsplit("/", 1)[-1], rt) for rel in public),
        "total_macs": sum(r["macs"] for r in rows), "board": board, "variables": variables,
        # the build files serve one model here; codegen/shared.py renders them for several
        "lib": rt, "models": [{"name": name, "NAME": name.upper()}],
        "band_first": band_first, "band_inner": band_inner, "streamed": streamed,
    }
    env = _env()
    files = dict(kernel_files)
    templates = [("project/model.h.j2", f"{name}.h"), ("project/model.c.j2", f"{name}.c"),
                 ("project/weights.h.j2", f"{name}_weights.h"), ("project/kernels.h.j2", f"{name}_kernels.h"),
                 ("project/weights.c.j2", f"{name}_weights.c"), ("project/Makefile.j2", "Makefile"),
                 ("project/CMakeLists.txt.j2", "CMakeLists.txt"), ("project/README.md.j2", "README.md"),
                 ("harness/main.c.j2", f"harness/{name}_main.c")]
    if not board.is_host:
        templates += [("firmware/startup.c.j2", f"firmware/{name}_startup.c"),
                      ("firmware/link.ld.j2", f"firmware/{name}.ld"),
                      ("cmake/toolchain.cmake.j2", f"cmake/{name}-toolchain.cmake")]
    for tpl, out in templates:
        files[out] = env.get_template(tpl).render(**v)
    report = {
        "mcugen_version": __version__, "model": source_name, "model_sha256": model_sha256, "name": name,
        "runtime": rt,
        "board": board.name,
        "optimize": ("balanced" if "optimize:balanced" in board_features
                     else "size" if "optimize:size" in board_features else "speed"),
        "arena_bytes": plan.arena_size, "liveness_lower_bound": plan.lower_bound,
        "planner": plan.algorithm, "weight_bytes": weight_bytes, "total_macs": v["total_macs"],
        "inputs": inputs, "outputs": outputs, "layers": rows,
        "state": {"bytes": sum(v["bytes"] for v in variables), "tensors": variables,
                  "note": "variable tensors: planned over the whole program, never shared; reset() restores them"},
    }
    if bands is not None:
        from .bands import band_report
        report["memory"] = band_report(bands, graph, board.raw.get("memory_mode", "min"))
    files["report.json"] = json.dumps(report, indent=1, sort_keys=True) + "\n"
    return GeneratedProject(name, files, report, layers, runtime=rt,
                            kernel_files=sorted(kernel_files), lib_sources=lib_sources)


__all__ = ["generate", "prefix_source", "GeneratedProject"]
