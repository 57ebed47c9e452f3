"""What every operator's Python side provides, and the registry that finds it.

One module per operator (or per family) in mcugen/ops/ subclasses OpHandler and
decorates it with @register. The handler:
  - declares the type schemes it compiles (`signatures`: one Sig per scheme, e.g.
    's8' int8 activations, 's16' int16 activations with int8 weights (16x8),
    later 'f32', 'hybrid', 's4'); the scheme of an operator is found from its
    tensors' types and picks the kernel (`<op>_<scheme>` in runtime_c/);
  - lists its support rules: methods named `rule_*` whose docstring is the rule
    as a user reads it; each returns None when met, or what is wrong;
  - lowers one IR operator to a Layer: the C kernel to call, the fields of its
    const parameter struct (flash), and the runtime_c sources it needs. Field
    values are data (ints, floats, lists, dicts of them, or a C name returned by
    the context): the code generator turns them into C (codegen/cvalue.py);
    handlers never write C text and never import codegen;
  - counts MACs and weight bytes for `inspect` and the report.

Nothing here assumes int8: clamp ranges, zero points and tables come from the
tensor's type (quant.type_range, quant.activation_range(..., dtype)), and the
board's features (ctx.features: 'dsp', 'fpu', 'mve') choose kernel variants and
weight layouts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from ..ir import Operator, Tensor

_REGISTRY: dict[str, "OpHandler"] = {}

INTEGER_TYPES = ("int8", "uint8", "int16", "int32", "int64", "bool")
ALL_TYPES = ("int8", "uint8", "int16", "int32", "int64", "float32", "bool")
SCHEME_NAMES = {
    "s8": "int8 activations",
    "s16": "int16 activations, int8 weights (16x8)",
    "f32": "float32",
    "hybrid": "float32 activations, int8 weights (dynamic range)",
    "s4": "int8 activations, int4 weights",
    "any": "any element type (data movement)",
    "w8": "float32 activations, int8 weights kept int8 in flash (weight-only: DEQUANTIZE of a constant folded "
          "into the float kernel)",
}


@dataclass(frozen=True)
class Sig:
    """One supported type combination of an operator.

    inputs[i]: the dtypes input i may have (None: it must be absent); inputs past the end of the tuple are
    not checked. `optional`: indices of inputs that may also be absent. outputs[j] likewise (the last entry
    applies to any further outputs). `attr`: the operator must also carry this compiler mark in `op.attrs`
    (set by a pass, e.g. 'weight_only'); such signatures are tried before the unmarked ones."""

    scheme: str
    inputs: tuple[tuple[str, ...] | None, ...]
    outputs: tuple[tuple[str, ...], ...]
    optional: tuple[int, ...] = ()
    attr: str | None = None

    def matches(self, op: Operator) -> bool:
        if self.attr is not None and not op.attrs.get(self.attr):
            return False
        for i, allowed in enumerate(self.inputs):
            t = op.inputs[i] if i < len(op.inputs) else None
            if t is None:
                if allowed is not None and i not in self.optional:
                    return False
                continue
            if allowed is None or t.dtype not in allowed:
                return False
        if not op.outputs or not self.outputs:
            return bool(op.outputs) == bool(self.outputs)
        for j, t in enumerate(op.outputs):
            allowed = self.outputs[min(j, len(self.outputs) - 1)]
            if t.dtype not in allowed:
                return False
        return True

    def describe(self) -> str:
        def one(a, i=None):
            if a is None:
                return "-"
            text = "|".join(a) if len(a) < 6 else "any"
            return text + ("?" if i is not None and i in self.optional else "")
        ins = ", ".join(one(a, i) for i, a in enumerate(self.inputs))
        outs = ", ".join(one(a) for a in self.outputs)
        return f"{self.scheme} ({ins} -> {outs})" + (f" [{self.attr}]" if self.attr else "")


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

    #: the target board's features ('dsp', 'fpu', 'mve'): kernel variants and weight layouts follow them
    features: frozenset = frozenset()

    def has(self, feature: str) -> bool:
        return feature in self.features


def infer_scheme(op: Operator) -> str:
    """The type scheme an operator's tensors suggest, for handlers without signatures and for `inspect`:
    int4 weights -> s4; float activations with integer weights -> hybrid; float -> f32; int16
    activations -> s16; int8 activations -> s8; otherwise the output's type."""
    acts = [t for t in op.inputs + op.outputs if t is not None and not t.is_const]
    consts = [t for t in op.inputs if t is not None and t.is_const]
    types = {t.dtype for t in acts}
    if any(t.dtype == "int4" for t in consts):
        return "s4"
    if "float32" in types and any(t.dtype == "int8" for t in consts):
        return "hybrid"
    if "float32" in types and len(types) == 1:
        return "f32"
    if "int16" in types:
        return "s16"
    if "int8" in types:
        return "s8"
    return op.outputs[0].dtype if op.outputs else "-"


class OpHandler:
    ops: ClassVar[tuple[str, ...]] = ()
    alias: ClassVar[bool] = False  # the output is the input's bytes reinterpreted
    #: the type schemes this handler compiles; empty: the handler checks types in its own rule_types
    signatures: ClassVar[tuple[Sig, ...]] = ()

    def scheme(self, op: Operator) -> str | None:
        """The type scheme of `op` ('s8', 's16', ...), or None when no signature matches."""
        for sig in sorted(self.signatures, key=lambda s: s.attr is None):  # marked signatures first
            if sig.matches(op):
                return sig.scheme
        return None

    def supported_types(self) -> list[str]:
        """The type combinations this handler compiles, as `inspect` prints them."""
        return [sig.describe() for sig in self.signatures]

    def rule_type_signature(self, op):
        """The operand types form one of the operator's supported type schemes (`mcugen inspect` lists them)."""
        if not self.signatures or self.scheme(op) is not None:
            return None
        have = ", ".join(t.dtype if t is not None else "-" for t in op.inputs)
        got = ", ".join(t.dtype for t in op.outputs)
        return (f"type combination ({have} -> {got}) is not supported; supported: "
                + "; ".join(self.supported_types()))

    def rules(self) -> list[Callable[[Operator], str | None]]:
        return [getattr(self, n) for n in sorted(dir(self)) if n.startswith("rule_")]

    def problems(self, op: Operator) -> list[str]:
        out = []
        for rule in self.rules():
            try:
                msg = rule(op)
            except ValueError as e:  # a shape helper's own message (e.g. "expected a 4-D NHWC shape")
                msg = f"malformed operator: {e}"
            except Exception as e:  # a malformed operator breaks a rule too
                msg = f"malformed operator ({type(e).__name__}: {e})"
            if msg:
                out.append(msg)
        return out

    def lower(self, op: Operator, ctx: LowerContext) -> Layer:
        """Dispatch to lower_<scheme> (e.g. lower_s16) when the handler declares signatures."""
        scheme = self.scheme(op)
        fn = getattr(self, f"lower_{scheme}", None) if scheme else None
        if fn is None:
            raise NotImplementedError(f"{type(self).__name__} has no lowering for {op} (scheme {scheme})")
        return fn(op, ctx)

    def macs(self, op: Operator) -> int:
        return 0

    def scratch_bytes(self, op: Operator, features: frozenset = frozenset()) -> int:
        """Scratch bytes of the layer's kernel on a board with `features` (the same value lower() uses)."""
        return 0

    def state_extra_bytes(self, op: Operator) -> dict[int, int]:
        """{input index: bytes} a kernel keeps after a variable input tensor, beyond its elements (planned and
        reset with it; e.g. SVDF's ring-buffer position). None by default."""
        return {}

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
    """The TFLite operators mcugen compiles (internal MCU_* steps that passes insert are left out)."""
    return sorted(n for n in _REGISTRY if not n.startswith("MCU_"))


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
