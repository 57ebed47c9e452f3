"""The intermediate representation: tensors and operators of one subgraph.

The reader fills it from a flatbuffer, the passes rewrite it, the planner
assigns arena offsets to its tensors and the code generator walks its operators.
Types are named by numpy dtype strings ('int8', 'int16', 'int32', 'float32', ...)
so that int16 and float32 kernels slot in beside the int8 ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Quant:
    """Affine quantization: real = scale * (q - zero_point), per tensor or per axis."""

    scale: np.ndarray  # float32, shape (1,) or (channels,)
    zero_point: np.ndarray  # int64, same length as scale
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    @property
    def s(self) -> float:
        """The per-tensor scale (the first one for a per-axis tensor)."""
        return float(self.scale[0])

    @property
    def zp(self) -> int:
        return int(self.zero_point[0])


@dataclass(eq=False)
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quant | None = None
    data: np.ndarray | None = None  # constant value (weights, shapes); None for activations
    index: int = -1  # index in the source flatbuffer, for messages
    alias_of: "Tensor | None" = None  # set by the aliasing pass: shares that tensor's bytes
    is_variable: bool = False  # state kept across invocations (IsVariable in the flatbuffer); never constant
    shape_signature: tuple[int, ...] | None = None  # the flatbuffer's shape_signature (-1: dynamic), if any
    # bytes right after a variable tensor that its kernel keeps too (SVDF's ring-buffer position), planned and
    # reset with it; set before planning from OpHandler.state_extra_bytes
    state_extra: int = 0

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def itemsize(self) -> int:
        return 1 if self.dtype == "int4" else np.dtype(self.dtype).itemsize

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        if self.dtype == "int4":  # two values per byte (the model's packed size; data holds int8 values)
            return (self.size + 1) // 2
        return self.size * self.itemsize

    @property
    def storage_bytes(self) -> int:
        """The bytes the arena holds for the tensor: its elements and any state_extra."""
        return self.nbytes + self.state_extra

    def root(self) -> "Tensor":
        """The tensor whose storage this one uses (follows reshape aliases)."""
        t = self
        while t.alias_of is not None:
            t = t.alias_of
        return t

    def __repr__(self) -> str:
        return f"Tensor({self.name!r}, {self.shape}, {self.dtype})"


@dataclass(eq=False)
class Operator:
    op: str  # builtin operator name, e.g. 'CONV_2D'
    inputs: list[Tensor | None]
    outputs: list[Tensor]
    options: dict[str, Any] = field(default_factory=dict)
    index: int = -1  # node index in the source model, for messages
    intermediates: list[Tensor] = field(default_factory=list)  # LSTM gate quantization (the converter's)
    attrs: dict[str, Any] = field(default_factory=dict)  # compiler marks set by passes (e.g. 'weight_only')

    def __repr__(self) -> str:
        return f"Operator(#{self.index} {self.op})"


@dataclass(eq=False)
class Signature:
    """A SignatureDef of the model: names of its inputs and outputs (for subgraph 0)."""

    key: str
    inputs: list[tuple[str, Tensor]]
    outputs: list[tuple[str, Tensor]]


@dataclass
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[Tensor]
    outputs: list[Tensor]
    description: str = ""
    signatures: list[Signature] = field(default_factory=list)

    def producers(self) -> dict[int, Operator]:
        return {id(t): op for op in self.operators for t in op.outputs}

    def consumers(self) -> dict[int, list[Operator]]:
        out: dict[int, list[Operator]] = {}
        for op in self.operators:
            for t in op.inputs:
                if t is not None:
                    out.setdefault(id(t), []).append(op)
        return out

    def prune(self) -> None:
        """Drop operators whose outputs nobody needs and tensors nobody references."""
        needed = {id(t) for t in self.outputs}
        kept: list[Operator] = []
        for op in reversed(self.operators):
            if any(id(t) in needed for t in op.outputs):
                kept.append(op)
                needed.update(id(t) for t in op.inputs if t is not None)
        self.operators = kept[::-1]
        used = {id(t) for t in self.inputs} | {id(t) for t in self.outputs}
        for op in self.operators:
            used.update(id(t) for t in op.inputs + op.outputs if t is not None)
        self.tensors = [t for t in self.tensors if id(t) in used]
