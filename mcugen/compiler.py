"""The driver: model file -> IR -> passes -> arena plan -> C project.

Each stage is one module; this file only runs them in order and checks the
invariants between them.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .boards import Board, load_board
from .budget import Footprint, check_budget, estimate, measure_library
from .codegen import GeneratedProject, generate, write_project
from .errors import InternalError, McugenError, ModelReadError, UnsupportedModelError, guarded, guarded_call
from .frontend import read_model_bytes
from .ir import Graph
from .ops import handler
from .passes import run_passes
from .planner import Plan, analyse, overlaps, plan_arena
from .planner.apply import ALIGN
from .support import check_supported


@dataclass
class Compiled:
    graph: Graph
    plan: Plan
    project: GeneratedProject
    model_bytes: bytes
    board: Board
    footprint: Footprint | None = None
    bands: object | None = None  # planner.bands.BandChoice under --memory min (None otherwise)


#: --optimize: "speed" (int16 weight copies where the DSP path gains from them), "size" (every layout that
#: costs extra flash off: weights stay int8) or "balanced" (per layer, by instructions saved per byte, within
#: the board's flash: mcugen/optimize.py). Handlers see "size" as the pseudo-feature SIZE_FEATURE in
#: ctx.features / scratch_bytes(op, features) of the layers that take it, and ctx.optimize.
OPTIMIZE = ("speed", "size", "balanced")
DEFAULT_OPTIMIZE = "balanced"
SIZE_FEATURE = "optimize:size"
BALANCED_FEATURE = "optimize:balanced"

#: --memory: "default" (today's plan) or "min" (fused row-band execution of eligible chains of early layers,
#: mcugen/planner/bands.py, where it lowers the arena). It reaches the compiler as the pseudo-feature
#: MEMORY_FEATURE of the board (the handlers never see it); --max-recompute (a fraction of the model's MACs)
#: bounds the recomputation a band schedule may add (the line buffers add none). "stream" is "min" with the
#: image inputs given by rows from a callback (passes/stream_input.py): they become line buffers too.
MEMORY = ("default", "min", "stream")
MEMORY_FEATURE = "memory:min"
DEFAULT_MAX_RECOMPUTE = 0.10


def with_memory(board: Board, memory: str = "default", max_recompute: float | None = None,
                force: tuple[int, int, int] | None = None) -> Board:
    """The board as the compiler sees it under a --memory choice (a copy when "min"; its raw dict, part of
    the build cache key, records the choice). force (tests): fuse steps force[0]..force[1] with force[2]
    rows per band, whatever the arena."""
    if memory not in MEMORY:
        from .errors import UsageError
        raise UsageError(f"--memory {memory}: choose one of {', '.join(MEMORY)}.")
    if memory == "default" or MEMORY_FEATURE in board.features:
        return board
    limit = DEFAULT_MAX_RECOMPUTE if max_recompute is None else float(max_recompute)
    return dataclasses.replace(board, features=[*board.features, MEMORY_FEATURE],
                               raw={**board.raw, "memory_mode": memory, "max_recompute": limit,
                                    **({"band_force": list(force)} if force else {})})


def parse_recompute(text: str | float | None) -> float | None:
    """'10%' or '0.1' -> 0.1 (the --max-recompute option)."""
    if text is None or isinstance(text, float):
        return text
    from .errors import UsageError
    t = str(text).strip()
    try:
        v = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise UsageError(f"--max-recompute {text}: give a percentage such as 10% or a fraction such as 0.1.") from None
    if v < 0:
        raise UsageError(f"--max-recompute {text}: must not be negative.")
    return v


def with_optimize(board: Board, optimize: str = DEFAULT_OPTIMIZE) -> Board:
    """The board as the compiler sees it under an --optimize choice (a copy; its raw dict, part of the
    build cache key, records the choice)."""
    if optimize not in OPTIMIZE:
        from .errors import UsageError
        raise UsageError(f"--optimize {optimize}: choose one of {', '.join(OPTIMIZE)}.")
    if optimize == "speed" or SIZE_FEATURE in board.features or BALANCED_FEATURE in board.features:
        return board
    feature = SIZE_FEATURE if optimize == "size" else BALANCED_FEATURE
    return dataclasses.replace(board, features=[*board.features, feature], raw={**board.raw, "optimize": optimize})


#: flash that `run`, `verify` and `bench` firmware needs beside the model's library: mcugen's test harness,
#: start-up code and newlib's semihosting stdio (measured: 16.4 KB on cortex-m0 to m55), with a margin
HARNESS_FLASH = 24 * 1024


def for_harness(board: Board) -> Board:
    """The board as `run`, `verify` and `bench` compile for: their firmware links the model with mcugen's
    test harness, so --optimize balanced leaves HARNESS_FLASH of the board's flash to it (a copy; its raw
    dict, part of the build cache key, records the reserve). The linker script keeps the real regions."""
    if board.is_host or board.flash is None or "harness_flash" in board.raw:
        return board
    flash = dataclasses.replace(board.flash, size=max(board.flash.size - HARNESS_FLASH, 0))
    return dataclasses.replace(board, flash=flash, raw={**board.raw, "harness_flash": HARNESS_FLASH})


def model_name(path: str | Path, name: str | None = None) -> str:
    """A C identifier for the model: --name, or the file's stem made safe."""
    raw = name if name is not None else Path(path).stem
    s = re.sub(r"[^a-z0-9_]", "_", raw.lower())
    if not s or s[0].isdigit():
        s = "m_" + s
    return s


def load(path: str | Path) -> tuple[Graph, bytes]:
    from .frontend.tflite_reader import read_model
    graph = read_model(path)
    return graph, Path(path).read_bytes()


def _check_graph(graph: Graph, where: str) -> None:
    produced = {id(t) for op in graph.operators for t in op.outputs}
    available = produced | {id(t) for t in graph.inputs}
    for op in graph.operators:
        for t in op.inputs:
            if t is not None and not t.is_const and not t.is_variable and id(t) not in available:
                raise InternalError(f"{op}: input '{t.name}' is never produced")
    for t in graph.outputs:
        if id(t) not in available and not t.root().is_const:  # a constant output is read from flash
            raise UnsupportedModelError(f"{where}: output '{t.name}' is not computed by any operator.")
    for t in graph.inputs + graph.outputs:
        if any(d <= 0 for d in t.shape):
            raise UnsupportedModelError(f"{where}: tensor '{t.name}' has a dynamic shape {t.shape}; "
                                        "mcugen needs static shapes.")


def _board(board: Board | str | None) -> Board:
    if isinstance(board, Board):
        return board
    return load_board(board or "host")


def compile_graph(graph: Graph, model_bytes: bytes, name: str, where: str, board: Board | str | None = None,
                  runtime: str | None = None, size_steps: frozenset[int] | None = None) -> Compiled:
    """Passes, support check, plan, C. `graph` comes from the reader, which has validated it
    (frontend/validate.py); a handler that still fails on it is reported naming its node (guarded).
    size_steps: the layers built with the size layout (--optimize balanced chooses them)."""
    b = _board(board)
    if BALANCED_FEATURE in b.features and size_steps is None:
        return _balanced(graph, model_bytes, name, where, b, runtime)
    try:
        run_passes(graph)
    except McugenError:
        raise
    except Exception as e:
        raise _pass_error(e, where) from None
    if b.raw.get("memory_mode") == "stream":
        from .passes.stream_input import stream_inputs
        stream_inputs(graph, where)
    check_supported(graph, where)
    _check_graph(graph, where)
    steps = _step_features(b, len(graph.operators), size_steps)
    scratch = [guarded_call(op, "sizing its scratch buffer", handler(op.op).scratch_bytes, op, steps[i])
               for i, op in enumerate(graph.operators)]
    rules = {id(op): guarded_call(op, "declaring its overlap rules", handler(op.op).overlap, op)
             for op in graph.operators}
    for op in graph.operators:
        for i, extra in guarded_call(op, "sizing its state", handler(op.op).state_extra_bytes, op).items():
            op.inputs[i].state_extra = extra
    choice = None
    with guarded("planning the arena"):
        if MEMORY_FEATURE in b.features:
            from .planner.bands import plan_with_bands
            choice = plan_with_bands(graph, scratch, lambda op: rules[id(op)], ALIGN,
                                     float(b.raw.get("max_recompute", DEFAULT_MAX_RECOMPUTE)),
                                     force=b.raw.get("band_force"), features=steps)
            plan = choice.plan
        else:
            buffers = analyse(graph, scratch)
            pairs = overlaps(graph, buffers, lambda op: rules[id(op)], ALIGN)
            plan = plan_arena(buffers, pairs)
    sha = hashlib.sha256(model_bytes).hexdigest()
    try:
        extra = {} if choice is None else {"bands": choice}
        project = generate(graph, plan, name, Path(where).name, sha, b, runtime=runtime, step_features=steps, **extra)
    except McugenError:
        raise
    except Exception as e:
        raise _lowering_error(graph, plan, name, b, e) from None
    return Compiled(graph, plan, project, model_bytes, b, bands=choice)


def _step_features(b: Board, n: int, size_steps: frozenset[int] | None) -> list[frozenset]:
    """The features each layer is lowered with: the board's, plus SIZE_FEATURE for the size layout."""
    base = frozenset(f for f in b.features if f not in (BALANCED_FEATURE, MEMORY_FEATURE))
    if size_steps is None:
        return [base] * n
    return [base | {SIZE_FEATURE} if i in size_steps else base - {SIZE_FEATURE} for i in range(n)]


def _balanced(graph: Graph, model_bytes: bytes, name: str, where: str, b: Board, runtime: str | None) -> Compiled:
    """--optimize balanced (mcugen/optimize.py): speed where it fits the board's flash, by instructions
    saved per byte."""
    import copy
    from .optimize import ranking

    def build(size_steps: frozenset[int]) -> Compiled:
        return compile_graph(copy.deepcopy(graph), model_bytes, name, where, b, runtime, size_steps=size_steps)

    speed = build(frozenset())
    if b.is_host or b.flash is None or _rough_flash(speed) <= b.flash.size // 2:
        return speed  # fits with room to spare: no need to measure
    if footprint(speed).flash <= b.flash.size:
        return speed
    n = len(speed.graph.operators)
    size = build(frozenset(range(n)))
    if footprint(size).flash > b.flash.size:
        return size  # does not fit either way: the budget check says by how much
    free, costly = ranking(speed.project.report["layers"], size.project.report["layers"])
    room = b.flash.size - footprint(size).flash
    chosen = []
    for _, step, extra in costly:
        if extra <= room:
            chosen.append(step)
            room -= extra
    while True:  # the estimate leaves out kernel code: measure, and give up the least useful layer if over
        c = build(frozenset(range(n)) - free - set(chosen))
        if not chosen or footprint(c).flash <= b.flash.size:
            return c
        chosen.pop()


def _rough_flash(c: Compiled) -> int:
    """An upper-side estimate of the library's flash (constants plus a generous figure per kernel file),
    good enough to skip measuring when the board has room to spare."""
    kernels = sum(1 for f in c.project.files if f.endswith(".c") and "/" not in f)
    return estimate(c.plan.arena_size, c.project.report["weight_bytes"], kernels).flash + 64 * len(c.graph.operators)


def _pass_error(e: Exception, where: str) -> McugenError:
    """A graph pass failed on a validated model: name the operator it was at (its loop variable `op`).
    Constant folding failing means the operator's constant inputs do not give its declared output
    (inconsistent shapes or options): exit 3; any other pass failing is a bug (InternalError)."""
    import os
    from .ir import Operator
    if os.environ.get("MCUGEN_DEBUG"):
        raise e
    op, fn, tb = None, "", e.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("op")
        if op is None and isinstance(candidate, Operator) and "passes" in tb.tb_frame.f_code.co_filename:
            op, fn = candidate, tb.tb_frame.f_code.co_name
        tb = tb.tb_next
    what = f"{type(e).__name__}: {e}"
    if op is not None and fn == "fold_constants":
        return ModelReadError(f"{where} is inconsistent: node {op.index} ({op.op}): evaluating it at build time on its "
                              f"constant inputs failed ({what}); its shapes or options do not agree.")
    at = f" at node {op.index} ({op.op})" if op is not None else ""
    return InternalError(f"the graph pass {fn or '?'} failed{at} ({what}). This is a bug in mcugen; rerun with "
                         "MCUGEN_DEBUG=1 for a traceback and report it.")


def _lowering_error(graph: Graph, plan: Plan, name: str, board: Board, e: Exception) -> McugenError:
    """Which operator made code generation fail: lower each again on its own (lowering is pure)."""
    import os
    if os.environ.get("MCUGEN_DEBUG"):
        raise e
    from .codegen.context import GenContext
    ctx = GenContext(name, plan, frozenset(board.features))
    for step, op in enumerate(graph.operators):
        ctx.step = step
        h = handler(op.op)
        guarded_call(op, "lowering it to C", h.lower, op, ctx)
        guarded_call(op, "counting its MACs", h.macs, op)
    return InternalError(f"generating the C project failed ({type(e).__name__}: {e}). This is a bug in mcugen; "
                         "rerun with MCUGEN_DEBUG=1 for a traceback and report it.")


def compile_model(path: str | Path, name: str | None = None, board: Board | str | None = None,
                  optimize: str = DEFAULT_OPTIMIZE, runtime: str | None = None) -> Compiled:
    graph, data = load(path)
    return compile_graph(graph, data, model_name(path, name), str(path), with_optimize(_board(board), optimize),
                         runtime=runtime)


def compile_bytes(data: bytes, name: str, where: str = "model.tflite", board: Board | str | None = None,
                  optimize: str = DEFAULT_OPTIMIZE) -> Compiled:
    return compile_graph(read_model_bytes(data, where), data, name, where, with_optimize(_board(board), optimize))


def footprint(c: Compiled) -> Footprint:
    """The library's flash and RAM on the board: measured if the toolchain is there, else estimated."""
    if c.footprint is None:
        fp = measure_library(c.project.files, c.project.name)
        if fp is None:
            kernels = sum(1 for f in c.project.files if f.endswith(".c") and "/" not in f) - 2
            fp = estimate(c.plan.arena_size, c.project.report["weight_bytes"], kernels)
        c.footprint = fp
    return c.footprint


def build(path: str | Path, out: str | Path, name: str | None = None, force: bool = False,
          board: Board | str | None = None, ignore_budget: bool = False, optimize: str = DEFAULT_OPTIMIZE,
          extra_files: dict | None = None) -> Compiled:
    """Compile a model and write its C project to `out` (checking the board's memory budget first);
    extra_files (name -> bytes or text) go with it, under the manifest's no-overwrite rule."""
    c = compile_model(path, name, board, optimize)
    if not c.board.is_host and not ignore_budget:
        check_budget(footprint(c), c.board)
    files = dict(c.project.files)
    for rel in extra_files or {}:
        if rel in files:
            from .errors import InternalError
            raise InternalError(f"extra file {rel} would replace a generated file")
        files[rel] = extra_files[rel]
    write_project(files, out, force=force)
    return c


#: the kernels' prefix of `mcugen build a.tflite b.tflite` unless --runtime-name says otherwise
SHARED_RUNTIME = "mcugen_rt"


@dataclass
class SharedBuild:
    """Several models built into one project with one copy of the kernels (codegen/shared.py)."""
    models: list[Compiled]
    runtime: str
    files: dict[str, str]
    footprint: Footprint | None = None           # the shared library on the board (measured or estimated)
    separate_flash: list[int] | None = None      # each model's library built on its own (measured)


def build_shared(paths: list[str | Path], out: str | Path, runtime: str = SHARED_RUNTIME, force: bool = False,
                 board: Board | str | None = None, ignore_budget: bool = False,
                 optimize: str = DEFAULT_OPTIMIZE) -> SharedBuild:
    """Compile every model with the kernel prefix `runtime` and write one project holding them all and
    one copy of the kernels they use. On a board with the Arm toolchain, the flash of the shared library is
    measured, and so is each model's library built on its own, for the comparison."""
    import json
    from .codegen.shared import combine
    from .errors import UsageError
    b = with_optimize(_board(board), optimize)
    names = [model_name(p) for p in paths]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise UsageError(f"several models would get the same C prefix {', '.join(clash)} (from their file "
                         "names); rename the files so that each model has its own prefix.")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", runtime) or runtime in names:
        raise UsageError(f"--runtime-name {runtime!r}: the kernels' prefix must be a lower-case C identifier "
                         f"different from every model's prefix ({', '.join(names)}).")
    models = [compile_model(p, None, b, runtime=runtime) for p in paths]
    files = combine([c.project for c in models], b)
    sb = SharedBuild(models, runtime, files)
    if not b.is_host:
        fp = measure_library(files, runtime)
        if fp is not None:
            sb.footprint = fp
            sb.separate_flash = [footprint(compile_model(p, None, b)).flash for p in paths]
            report = json.loads(files["report.json"])
            report["flash_bytes"] = {"shared": fp.flash, "separate": sb.separate_flash,
                                     "separate_total": sum(sb.separate_flash),
                                     "saved": sum(sb.separate_flash) - fp.flash,
                                     "how": "arm-none-eabi-size over the library's objects (text + data)"}
            files["report.json"] = json.dumps(report, indent=1, sort_keys=True) + "\n"
        else:
            consts = sum(c.project.report["weight_bytes"] for c in models)
            kernels = sum(1 for f in files if f.endswith(".c") and "/" not in f) - 2 * len(models)
            arena = sum(c.plan.arena_size for c in models)
            sb.footprint = estimate(arena, consts, kernels)
        if not ignore_budget:
            check_budget(sb.footprint, b)
    write_project(files, out, force=force)
    return sb
