"""The driver: model file -> IR -> passes -> arena plan -> C project.

Each stage is one module; this file only runs them in order and checks the
invariants between them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .boards import Board, load_board
from .budget import Footprint, check_budget, estimate, measure_library
from .codegen import GeneratedProject, generate, write_project
from .errors import InternalError, UnsupportedModelError
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
        if t.is_const:
            raise UnsupportedModelError(f"{where}: output '{t.name}' is a constant; nothing to compute.")
        if id(t) not in available:
            raise UnsupportedModelError(f"{where}: output '{t.name}' is not computed by any operator.")
    for t in graph.inputs + graph.outputs:
        if any(d <= 0 for d in t.shape):
            raise UnsupportedModelError(f"{where}: tensor '{t.name}' has a dynamic shape {t.shape}; "
                                        "mcugen needs static shapes.")


def _board(board: Board | str | None) -> Board:
    if isinstance(board, Board):
        return board
    return load_board(board or "host")


def compile_graph(graph: Graph, model_bytes: bytes, name: str, where: str, board: Board | str | None = None) -> Compiled:
    run_passes(graph)
    check_supported(graph, where)
    _check_graph(graph, where)
    b = _board(board)
    features = frozenset(b.features)
    scratch = [handler(op.op).scratch_bytes(op, features) for op in graph.operators]
    buffers = analyse(graph, scratch)
    pairs = overlaps(graph, buffers, lambda op: handler(op.op).overlap(op), ALIGN)
    plan = plan_arena(buffers, pairs)
    sha = hashlib.sha256(model_bytes).hexdigest()
    project = generate(graph, plan, name, Path(where).name, sha, b)
    return Compiled(graph, plan, project, model_bytes, b)


def compile_model(path: str | Path, name: str | None = None, board: Board | str | None = None) -> Compiled:
    graph, data = load(path)
    return compile_graph(graph, data, model_name(path, name), str(path), board)


def compile_bytes(data: bytes, name: str, where: str = "model.tflite", board: Board | str | None = None) -> Compiled:
    return compile_graph(read_model_bytes(data, where), data, name, where, board)


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
          board: Board | str | None = None, ignore_budget: bool = False) -> Compiled:
    """Compile a model and write its C project to `out` (checking the board's memory budget first)."""
    c = compile_model(path, name, board)
    if not c.board.is_host and not ignore_budget:
        check_budget(footprint(c), c.board)
    write_project(c.project.files, out, force=force)
    return c
