"""TRANSPOSE, any element size (kernel: runtime_c/shape/mcu_transpose.c).

TFLM's TRANSPOSE only rearranges bytes (no requantization, input and output
quantization are not compared). Its Prepare accepts ranks 1 to 5 and a 1-D
int32 `perm` with one entry per input dimension, each in [0, rank); it does
not check that `perm` is a permutation, so we do.

The kernel is a strided gather: the output is written in order and the
Python side gives, per output dimension, the count and the input byte stride
(after dropping size-1 dimensions and merging runs that stay contiguous, so
e.g. a transpose that keeps the inner dimensions in place becomes long memcpys).
This module also holds the gather helpers STRIDED_SLICE uses.
"""
from __future__ import annotations

import numpy as np

from ..ir import Operator, Tensor
from .base import Layer, OpHandler, register

MAX_DIMS = 6  # MCU_SHAPE_MAX_DIMS in runtime_c/include/mcu_shape.h


def c_array(values) -> str:
    """A C initializer for a fixed-size int32 array field."""
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def elem_strides(shape: tuple[int, ...]) -> list[int]:
    """Row-major strides in elements, outermost first."""
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= int(d)
    return out[::-1]


def simplify_gather(counts: list[int], strides: list[int]) -> tuple[list[int], list[int]]:
    """Drop loop dimensions of count 1 and merge an outer dimension into the next inner
    one when stepping the outer equals a full sweep of the inner (still one arithmetic run)."""
    if any(c == 0 for c in counts):
        return [0], [0]
    cs, ss = [], []
    for c, s in zip(counts, strides):
        if c == 1:
            continue
        cs.append(int(c))
        ss.append(int(s))
    i = len(cs) - 2
    while i >= 0:
        if ss[i] == ss[i + 1] * cs[i + 1]:
            cs[i:i + 2] = [cs[i] * cs[i + 1]]
            ss[i:i + 2] = [ss[i + 1]]
        i -= 1
    return cs, ss


def gather_fields(counts: list[int], strides_el: list[int], offset_el: int, elem_size: int) -> list[tuple[str, object]]:
    """Fields of mcu_gather_params_t; counts/strides per loop dimension (strides in elements)."""
    cs, ss = simplify_gather(counts, strides_el)
    if not cs:
        cs, ss = [1], [1]
    if len(cs) > MAX_DIMS:
        raise ValueError(f"{len(cs)} loop dimensions after merging, the kernel handles {MAX_DIMS}")
    return [
        ("dims", len(cs)), ("elem_size", elem_size), ("in_offset", offset_el * elem_size),
        ("count", c_array(cs)), ("in_stride", c_array(s * elem_size for s in ss)),
    ]


def gather_overlap(counts: list[int], strides_el: list[int], offset_el: int, elem_size: int,
                   limit: int = 1 << 20) -> dict[int, tuple[int, None]]:
    """overlap() of a strided-gather layer: the smallest offset of the input past the output's start
    such that writing output element p never overwrites an input element read for a later one
    (element p itself is read first; mcu_gather_b moves contiguous runs with memmove). Empty for
    an empty output or one over `limit` elements (not worth the build time)."""
    total = int(np.prod(counts, dtype=np.int64)) if counts else 1
    if total == 0 or total > limit:
        return {}
    pos = np.full((), offset_el, dtype=np.int64)
    for c, s in zip(counts, strides_el):
        pos = pos[..., None] + np.arange(int(c), dtype=np.int64) * int(s)
    pos = pos.reshape(-1) * elem_size
    later = np.empty_like(pos)  # lowest input byte read for any element after p
    later[-1] = np.iinfo(np.int64).max // 4
    if pos.size > 1:
        later[:-1] = np.minimum.accumulate(pos[::-1])[::-1][1:]
    p = np.arange(pos.size, dtype=np.int64)
    return {0: (int(max(0, ((p + 1) * elem_size - later).max(initial=0))), None)}


def data_ptr(ctx, t: Tensor) -> str:
    """C pointer to a data input: the arena for an activation; for a constant, its raw bytes
    in flash (the kernels copy bytes, so this holds for every type)."""
    if t.is_const:
        return ctx.const("data", np.frombuffer(np.ascontiguousarray(t.data).tobytes(), np.uint8), "uint8_t")
    return ctx.ptr(t)


def same_type(op: Operator, allowed: tuple[str, ...]) -> str | None:
    """The data input and the output share one of the `allowed` types."""
    x, y = op.inputs[0], op.outputs[0]
    if x.dtype not in allowed:
        return f"input has type {x.dtype}, needs {' or '.join(allowed)}"
    if y.dtype != x.dtype:
        return f"output has type {y.dtype}, the input {x.dtype}"
    return None


def const_int32_vector(t: Tensor | None, what: str, length: int) -> str | None:
    """`t` is a constant 1-D int32 tensor of `length` entries (TFLM reads it as int32)."""
    if t is None:
        return f"the {what} input is missing"
    if not t.is_const:
        return f"{what} must be a constant tensor"
    if t.dtype != "int32":
        return f"{what} has type {t.dtype}, needs int32"
    if len(t.shape) != 1 or t.shape[0] != length:
        return f"{what} has shape {t.shape}, needs ({length},)"
    return None


@register
class Transpose(OpHandler):
    ops = ("TRANSPOSE",)
    types = ("int8", "int16", "float32")

    def rule_types(self, op):
        """Input and output have the same type: int8, int16 or float32 (as in TFLM)."""
        return same_type(op, self.types)

    def rule_rank(self, op):
        """The input has 1 to 5 dimensions (TFLM's limit)."""
        r = len(op.inputs[0].shape)
        return None if 1 <= r <= 5 else f"input has {r} dimensions, TFLM's TRANSPOSE takes 1 to 5"

    def rule_perm(self, op):
        """`perm` is a constant int32 vector that permutes the input's dimensions, and the
        output shape is the input shape permuted."""
        x, y = op.inputs[0], op.outputs[0]
        perm_t = op.inputs[1] if len(op.inputs) > 1 else None
        msg = const_int32_vector(perm_t, "perm", len(x.shape))
        if msg:
            return msg
        perm = [int(p) for p in perm_t.data]
        if sorted(perm) != list(range(len(x.shape))):
            return f"perm {perm} is not a permutation of 0..{len(x.shape) - 1}"
        want = tuple(x.shape[p] for p in perm)
        return None if tuple(y.shape) == want else f"output shape {y.shape}, expected {want}"

    def overlap(self, op):
        """The output may start over the input where no later element's source is overwritten."""
        x = op.inputs[0]
        perm = [int(p) for p in op.inputs[1].data]
        st = elem_strides(x.shape)
        return gather_overlap([x.shape[p] for p in perm], [st[p] for p in perm], 0, x.itemsize)

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        perm = [int(p) for p in op.inputs[1].data]
        st = elem_strides(x.shape)
        fields = gather_fields([x.shape[p] for p in perm], [st[p] for p in perm], 0, x.itemsize)
        return Layer(op, function="transpose_b", struct="gather_params_t", fields=fields,
                     args=[data_ptr(ctx, x), ctx.ptr(y)], sources=("shape/mcu_transpose.c",))
