"""Validation: what every later stage may assume about a model, checked once, right after reading.

The checks run in the order of CHECKS; each one may rely on the ones before it (e.g. the dataflow
check relies on every tensor index being valid). Each check is a small function whose docstring is
the rule as a user reads it; it yields one line per offending tensor or operator (naming it). The
first check that finds something stops validation with that check's error:

  - ModelReadError (exit 3): the file is inconsistent: no TensorFlow Lite runtime could load it;
  - UnsupportedModelError (exit 4): a legal model that mcugen does not compile.

Two levels: `file` checks run on the flatbuffer's raw fields (RawModel, built by the reader without
trusting any index, size or type), before any IR object exists; `graph` checks run on the IR the
reader then builds. docs/validation.md lists them all (generated from this module:
`python3 -m mcugen.frontend.validate`). After validation, passes, planner and code generator may
rely on these facts; an assumption they still need beyond them is an explicit InternalError.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from ..errors import ModelReadError, UnsupportedModelError
from ..ir import Graph

#: no tensor may declare more bytes than this (no microcontroller holds it; refused before allocating)
MAX_TENSOR_BYTES = 1 << 28
#: most offending items listed in one message
MAX_LISTED = 8

TYPE_NAMES = {0: "FLOAT32", 1: "FLOAT16", 2: "INT32", 3: "UINT8", 4: "INT64", 5: "STRING", 6: "BOOL", 7: "INT16",
              8: "COMPLEX64", 9: "INT8", 10: "FLOAT64", 11: "COMPLEX128", 12: "UINT64", 13: "RESOURCE",
              14: "VARIANT", 15: "UINT32", 16: "UINT16", 17: "INT4", 18: "BFLOAT16"}
#: TensorFlow Lite types the IR represents (as numpy dtype names); other known types are unsupported
NUMPY_TYPES = {"FLOAT32": "float32", "FLOAT16": "float16", "FLOAT64": "float64", "INT8": "int8", "UINT8": "uint8",
               "INT16": "int16", "UINT16": "uint16", "INT32": "int32", "UINT32": "uint32", "INT64": "int64",
               "UINT64": "uint64", "BOOL": "bool", "INT4": "int4"}


def type_bytes(dtype: str, elements: int) -> int:
    """Bytes that `elements` values of IR type `dtype` take in the file (int4: two per byte)."""
    if dtype == "int4":
        return (elements + 1) // 2
    return elements * np.dtype(dtype).itemsize


# ---- the raw model: the flatbuffer's fields, nothing trusted -------------------------------------

@dataclass
class RawTensor:
    index: int
    name: str
    type_code: int
    shape: list[int]
    buffer: int
    scale: np.ndarray | None = None     # float32, as stored
    zero_point: np.ndarray | None = None
    axis: int = 0
    variable: bool = False

    def label(self) -> str:
        return f"tensor {self.index} '{self.name}'"

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.type_code, f"<unknown type {self.type_code}>")

    @property
    def dtype(self) -> str | None:
        return NUMPY_TYPES.get(self.type_name)

    def elements(self) -> int:
        return math.prod(self.shape) if all(d >= 0 for d in self.shape) else -1


@dataclass
class RawBuffer:
    data_len: int = 0        # bytes inside the flatbuffer
    offset: int = 0          # bytes after the flatbuffer (large models): offset and size in the file
    size: int = 0


@dataclass
class RawOp:
    index: int
    opcode_index: int
    inputs: list[int]
    outputs: list[int]
    name: str = "?"

    def label(self) -> str:
        return f"node {self.index} ({self.name})"


@dataclass
class RawModel:
    file_size: int
    subgraphs: int
    tensors: list[RawTensor] = field(default_factory=list)
    buffers: list[RawBuffer] = field(default_factory=list)
    ops: list[RawOp] = field(default_factory=list)
    opcodes: list[str] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)


# ---- the registry -------------------------------------------------------------------------------

@dataclass
class Check:
    fn: Callable[..., Iterator[str]]
    level: str                 # 'file' (RawModel) or 'graph' (ir.Graph)
    error: type

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def rule(self) -> str:
        return " ".join((self.fn.__doc__ or self.name).split())


CHECKS: list[Check] = []


def check(level: str, error: type = ModelReadError):
    def deco(fn):
        CHECKS.append(Check(fn, level, error))
        return fn
    return deco


def failures(level: str, subject) -> tuple[Check, list[str]] | None:
    """The first check of `level` that `subject` fails, with its offending items; None when all pass."""
    for c in CHECKS:
        if c.level != level:
            continue
        found = list(c.fn(subject))
        if found:
            return c, found
    return None


def run_checks(level: str, subject, where: str) -> None:
    failed = failures(level, subject)
    if failed is None:
        return
    c, found = failed
    more = f"\n  ... and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
    what = "is inconsistent" if c.error is ModelReadError else "is not supported"
    raise c.error(f"{where} {what}: {c.rule}\n  " + "\n  ".join(found[:MAX_LISTED]) + more
                  + f"\n(validation check '{c.name}'; docs/validation.md lists every check)")


def validate_raw(raw: RawModel, where: str) -> None:
    run_checks("file", raw, where)


def validate_graph(graph: Graph, where: str) -> None:
    run_checks("graph", graph, where)


# ---- file checks (RawModel) ---------------------------------------------------------------------

@check("file")
def has_subgraph(m: RawModel):
    """The model has a subgraph (mcugen compiles the first one)."""
    if m.subgraphs < 1:
        yield "the file holds no subgraph"


@check("file")
def tensor_types_known(m: RawModel):
    """Every tensor has one of the types TensorFlow Lite defines (a type byte outside the schema means the
    file is corrupt or was written by a tool that mcugen does not know)."""
    for t in m.tensors:
        if t.type_code not in TYPE_NAMES:
            yield f"{t.label()}: type byte {t.type_code}"


@check("file")
def shapes_non_negative(m: RawModel):
    """Every dimension of every tensor's shape is zero or more."""
    for t in m.tensors:
        if any(d < 0 for d in t.shape):
            yield f"{t.label()}: shape {tuple(t.shape)}"


@check("file", UnsupportedModelError)
def tensor_sizes_bounded(m: RawModel):
    """No tensor is larger than 256 MiB (no microcontroller holds it; mcugen refuses it before allocating
    anything)."""
    for t in m.tensors:
        size = type_bytes(t.dtype, t.elements()) if t.dtype else t.elements()
        if size > MAX_TENSOR_BYTES:
            yield f"{t.label()}: shape {tuple(t.shape)} declares {size:,} bytes"


@check("file")
def buffer_indices_valid(m: RawModel):
    """Every tensor refers to a buffer the file holds."""
    for t in m.tensors:
        if not 0 <= t.buffer < len(m.buffers):
            yield f"{t.label()}: buffer {t.buffer}, the file has {len(m.buffers)}"


@check("file")
def constant_sizes_match(m: RawModel):
    """A constant tensor's data holds exactly its shape's number of elements, and data stored after the
    flatbuffer lies inside the file."""
    for t in m.tensors:
        b = m.buffers[t.buffer]
        if b.data_len == 0 and b.offset <= 1:
            continue
        if b.offset > 1 and b.offset + b.size > m.file_size:
            yield f"{t.label()}: its data [{b.offset}, {b.offset + b.size}) ends past the file ({m.file_size} bytes)"
            continue
        have = b.data_len if b.data_len else b.size
        if t.dtype is None:
            continue  # its type is checked where the tensor is used (types_supported)
        need = type_bytes(t.dtype, t.elements())
        if have != need:
            yield f"{t.label()}: shape {tuple(t.shape)} of {t.type_name} needs {need} bytes, its buffer holds {have}"


@check("file")
def quantization_lengths_match(m: RawModel):
    """A tensor's quantization has as many zero points as scales (or none: then they are 0)."""
    for t in m.tensors:
        if t.scale is not None and t.zero_point is not None and t.zero_point.size not in (0, t.scale.size):
            yield f"{t.label()}: {t.scale.size} scale(s), {t.zero_point.size} zero point(s)"


@check("file")
def opcode_indices_valid(m: RawModel):
    """Every operator refers to an operator code the file holds."""
    for op in m.ops:
        if not 0 <= op.opcode_index < len(m.opcodes):
            yield f"node {op.index}: operator code {op.opcode_index}, the file has {len(m.opcodes)}"


@check("file")
def operator_tensor_indices_valid(m: RawModel):
    """Every operator input is a tensor of the subgraph or -1 (an absent optional input); every operator
    output is a tensor of the subgraph."""
    n = len(m.tensors)
    for op in m.ops:
        bad = [j for j in op.inputs if not -1 <= j < n]
        bad_out = [j for j in op.outputs if not 0 <= j < n]
        if bad:
            yield f"{op.label()}: input tensor index(es) {bad}; the subgraph has {n} tensors"
        if bad_out:
            yield f"{op.label()}: output tensor index(es) {bad_out}; the subgraph has {n} tensors"


@check("file")
def graph_io_indices_valid(m: RawModel):
    """The model's inputs and outputs are tensors of the subgraph."""
    n = len(m.tensors)
    for side, idx in (("input", m.inputs), ("output", m.outputs)):
        bad = [j for j in idx if not 0 <= j < n]
        if bad:
            yield f"model {side} tensor index(es) {bad}; the subgraph has {n} tensors"


# ---- graph checks (ir.Graph) --------------------------------------------------------------------

def _label(t) -> str:
    return f"tensor {t.index} '{t.name}'"


def _op_label(op) -> str:
    return f"node {op.index} ({op.op})"


def _used(g: Graph):
    seen: dict[int, object] = {}
    for t in g.inputs + g.outputs + [t for op in g.operators for t in op.inputs + op.outputs if t is not None]:
        seen.setdefault(id(t), t)
    return list(seen.values())


@check("graph")
def has_outputs(g: Graph):
    """The model declares at least one output."""
    if not g.outputs:
        yield "the subgraph lists no output tensor"


@check("graph", UnsupportedModelError)
def has_inputs(g: Graph):
    """The model has at least one input (a model without inputs only computes a constant)."""
    if not g.inputs:
        yield "the subgraph lists no input tensor"


@check("graph", UnsupportedModelError)
def types_supported(g: Graph):
    """Every tensor the model uses has a numeric type (STRING, COMPLEX, RESOURCE, VARIANT and BFLOAT16
    tensors are not compiled; INT4 is read as constant weights, packed two per byte)."""
    for t in _used(g):
        if t.dtype not in NUMPY_TYPES.values():
            yield f"{_label(t)}: type {t.dtype.upper()}"


@check("graph")
def inputs_not_constant(g: Graph):
    """A model input is not a constant tensor (the caller writes it)."""
    for t in g.inputs:
        if t.is_const:
            yield f"{_label(t)} is a model input and has constant data"


@check("graph")
def scales_finite_positive(g: Graph):
    """Every quantization scale is a finite number greater than zero."""
    for t in _used(g):
        q = t.quant
        if q is not None:
            bad = [float(s) for s in q.scale if not (np.isfinite(s) and s > 0)]
            if bad:
                yield f"{_label(t)}: scale(s) {bad[:4]}"


@check("graph")
def zero_points_in_range(g: Graph):
    """Every zero point lies in the range of its tensor's type (e.g. -128..127 for int8, -32768..32767 for
    int16, -8..7 for int4)."""
    for t in _used(g):
        q = t.quant
        if q is None or t.dtype not in ("int8", "uint8", "int16", "uint16", "int32", "int64", "int4"):
            continue
        lo, hi = (-8, 7) if t.dtype == "int4" else (np.iinfo(np.dtype(t.dtype)).min, np.iinfo(np.dtype(t.dtype)).max)
        bad = [int(z) for z in q.zero_point if not lo <= int(z) <= hi]
        if bad:
            yield f"{_label(t)} ({t.dtype}): zero point(s) {bad[:4]}"


@check("graph")
def per_channel_counts(g: Graph):
    """A per-channel quantized tensor has one scale per channel of its quantized dimension, and that
    dimension is one of its axes (a rank-1 tensor, e.g. a bias, may carry its filter's dimension)."""
    for t in _used(g):
        q = t.quant
        if q is None or q.scale.size <= 1:
            continue
        rank = len(t.shape)
        if 0 <= q.axis < rank:
            if t.shape[q.axis] != q.scale.size:
                yield (f"{_label(t)}: shape {t.shape}, {q.scale.size} scales along dimension {q.axis} "
                       f"of size {t.shape[q.axis]}")
        elif not (rank == 1 and t.shape[0] == q.scale.size and q.axis >= 0):
            yield f"{_label(t)}: shape {t.shape}, quantized dimension {q.axis}, {q.scale.size} scales"


#: inputs each operator kind needs (present, not -1) for the ones mcugen evaluates, folds or compiles
MIN_INPUTS = {
    **dict.fromkeys(("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SUB", "MUL", "TRANSPOSE", "PAD",
                     "PADV2", "MEAN", "GATHER"), 2),
    "STRIDED_SLICE": 4,
    **dict.fromkeys(("RESHAPE", "SQUEEZE", "EXPAND_DIMS", "SHAPE", "CAST", "PACK", "CONCATENATION", "SOFTMAX",
                     "LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH", "QUANTIZE", "DEQUANTIZE",
                     "AVERAGE_POOL_2D", "MAX_POOL_2D"), 1),
}


@check("graph")
def operator_inputs_present(g: Graph):
    """Every operator has the inputs its kind requires (e.g. a convolution its input and filter; an element-wise
    operator its operands); only optional inputs (such as a bias) may be absent."""
    for op in g.operators:
        need = MIN_INPUTS.get(op.op, 0)
        have = op.inputs[:need]
        if len(have) < need or any(t is None for t in have):
            yield f"{_op_label(op)} has inputs {[t.index if t is not None else -1 for t in op.inputs]}, needs {need}"


_WINDOW_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D")


@check("graph")
def window_options_valid(g: Graph):
    """Convolutions and pools have strides, dilations, window sizes and a depth multiplier of at least 1, and
    padding SAME or VALID."""
    for op in g.operators:
        if op.op not in _WINDOW_OPS:
            continue
        o = op.options
        keys = ["stride_h", "stride_w"]
        keys += {"CONV_2D": ["dilation_h_factor", "dilation_w_factor"],
                 "DEPTHWISE_CONV_2D": ["dilation_h_factor", "dilation_w_factor", "depth_multiplier"]}.get(op.op, [])
        if op.op.endswith("POOL_2D"):
            keys += ["filter_height", "filter_width"]
        bad = [f"{k} {o[k]}" for k in keys if k in o and not (isinstance(o[k], int) and o[k] >= 1)]
        if "padding" in o and o["padding"] not in ("SAME", "VALID"):
            bad.append(f"padding {o['padding']!r}")
        if bad:
            yield f"{_op_label(op)}: {', '.join(bad)}"


@check("graph")
def operators_write_tensors(g: Graph):
    """Every operator writes at least one tensor, and writes no constant."""
    for op in g.operators:
        if not op.outputs:
            yield f"{_op_label(op)} has no output"
        for t in op.outputs:
            if t.is_const:
                yield f"{_op_label(op)} writes {_label(t)}, which has constant data"


@check("graph")
def single_writer(g: Graph):
    """Each tensor is written by at most one operator, and a model input by none."""
    writer: dict[int, object] = {id(t): "the caller (it is a model input)" for t in g.inputs}
    for op in g.operators:
        for t in op.outputs:
            if id(t) in writer:
                prev = writer[id(t)]
                yield f"{_label(t)} is written by {_op_label(op)} and by {prev if isinstance(prev, str) else _op_label(prev)}"
            writer[id(t)] = op


@check("graph")
def dataflow_order(g: Graph):
    """Every tensor an operator reads is a constant, a variable, a model input or the output of an earlier
    operator (operators are stored in execution order; a tensor read before it is written, or a cycle,
    makes the file inconsistent)."""
    ready = {id(t) for t in g.inputs}
    for op in g.operators:
        for t in op.inputs:
            if t is not None and not t.is_const and not t.is_variable and id(t) not in ready:
                yield f"{_op_label(op)} reads {_label(t)} before any operator writes it"
        ready.update(id(t) for t in op.outputs)


@check("graph")
def outputs_computed(g: Graph):
    """Every model output is written by an operator or is a model input."""
    written = {id(t) for t in g.inputs} | {id(t) for op in g.operators for t in op.outputs}
    for t in g.outputs:
        if id(t) not in written and not t.is_const:
            yield f"model output {_label(t)} is never written"


def checks_markdown() -> str:
    """The table of docs/validation.md."""
    rows = ["| # | check | level | exit | rule (the message a user reads) |", "|---|---|---|---|---|"]
    for i, c in enumerate(CHECKS, 1):
        rows.append(f"| {i} | `{c.name}` | {c.level} | {c.error.exit_code} | {c.rule} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(checks_markdown())
