"""What every operator's Python side provides, and the registry that finds it.

One module per operator (or per family) in mcugen/ops/ subclasses OpHandler and
decorates it with @register. The handler:
  - lists its support rules: methods named `rule_*` whose docstring is the rule
    as a user reads it; each returns None when met, or what is wrong;
  - lowers one IR operator to a Layer: the C kernel to call, the fields of its
    const parameter struct (flash), and the runtime_c sources it needs;
  - counts MACs and weight bytes for `inspect` and the report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from ..ir import Operator, Tensor

_REGISTRY: dict[str, "OpHandler"] = {}


@dataclass
class Layer:
    """One step of the generated invoke function."""

    op: Operator
    function: str = ""                 # kernel name without prefix, e.g. 'conv_s8'
    struct: str = ""                   # params type without prefix, e.g. 'conv_params_t'
    fields: list[tuple[str, Any]] = field(default_factory=list)  # designated initializers
    args: list[str] = field(default_factory=list)  # C expressions after &params
    sources: tuple[str, ...] = ()      # runtime_c files, e.g. ('conv/mcu_conv_s8.c',)
    template: str = "ops/struct_call.c.j2"
    alias: bool = False                # emits no code (reshape-like)
    extra: dict[str, Any] = field(default_factory=dict)


class LowerContext:
    """Services the code generator gives to handlers (implemented in codegen)."""

    def const(self, hint: str, array: np.ndarray, ctype: str) -> str:  # pragma: no cover - interface
        """Place `array` in flash as a const C array; return its C name."""
        raise NotImplementedError

    def ptr(self, tensor: Tensor, ctype: str | None = None) -> str:  # pragma: no cover - interface
        """C expression pointing at the tensor's data (arena or flash)."""
        raise NotImplementedError

    def scratch(self, nbytes: int, ctype: str = "int8_t") -> str:  # pragma: no cover - interface
        """C expression pointing at a scratch buffer of nbytes for the current layer."""
        raise NotImplementedError

    def reversed_step(self) -> bool:  # pragma: no cover - interface
        """True when the planner chose to run the current layer backwards (see overlap())."""
        raise NotImplementedError


class OpHandler:
    ops: ClassVar[tuple[str, ...]] = ()
    alias: ClassVar[bool] = False  # the output is the input's bytes reinterpreted

    def rules(self) -> list[Callable[[Operator], str | None]]:
        return [getattr(self, n) for n in sorted(dir(self)) if n.startswith("rule_")]

    def problems(self, op: Operator) -> list[str]:
        out = []
        for rule in self.rules():
            try:
                msg = rule(op)
            except Exception as e:  # a malformed operator breaks a rule too
                msg = f"malformed operator ({type(e).__name__}: {e})"
            if msg:
                out.append(msg)
        return out

    def lower(self, op: Operator, ctx: LowerContext) -> Layer:
        raise NotImplementedError

    def macs(self, op: Operator) -> int:
        return 0

    def scratch_bytes(self, op: Operator) -> int:
        return 0

    def overlap(self, op: Operator) -> dict[int, tuple[int, int | None]]:
        """{input index: (forward, backward)} for the inputs the kernel may overwrite while it runs:
        forward = minimum offset of the input past the output's start when the kernel runs in order,
        backward = minimum offset of the output past the input's start when it runs in reverse
        (None: the kernel has no reverse mode). See planner/overlap.py; empty when none may."""
        return {}


def register(cls):
    inst = cls()
    for name in cls.ops:
        _REGISTRY[name] = inst
    return cls


def handler(op_name: str) -> OpHandler | None:
    return _REGISTRY.get(op_name)


def supported_ops() -> list[str]:
    return sorted(_REGISTRY)


# ---- small helpers shared by handlers ------------------------------------------

def need_types(op: Operator, inputs: dict[int, tuple[str, ...]], outputs: tuple[str, ...] = ("int8",)) -> str | None:
    for i, allowed in inputs.items():
        t = op.inputs[i] if i < len(op.inputs) else None
        if t is None:
            return f"input {i} is missing"
        if t.dtype not in allowed:
            return f"input {i} has type {t.dtype}, needs {' or '.join(allowed)}"
    for t in op.outputs:
        if t.dtype not in outputs:
            return f"output has type {t.dtype}, needs {' or '.join(outputs)}"
    return None


def need_quant(*tensors: Tensor | None) -> str | None:
    for t in tensors:
        if t is not None and t.quant is None:
            return f"tensor '{t.name}' has no quantization parameters"
    return None


def nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) != 4:
        raise ValueError(f"expected a 4-D NHWC shape, got {shape}")
    return tuple(int(s) for s in shape)  # type: ignore[return-value]


def same_padding(in_size: int, k: int, stride: int, dilation: int, out_size: int) -> int:
    """Leading padding TFLM uses (ComputePadding*): half the total, rounded down."""
    eff = (k - 1) * dilation + 1
    total = max((out_size - 1) * stride + eff - in_size, 0)
    return total // 2


def conv_out_size(padding: str, in_size: int, k: int, stride: int, dilation: int) -> int:
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    return (in_size - eff + stride) // stride
