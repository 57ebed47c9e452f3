"""ADD, SUB and MUL, int8 and int16, with broadcasting (kernels: runtime_c/elementwise/).

Constants follow TFLM's Prepare:
  ADD and SUB (CalculateOpDataAdd / CalculateOpDataSub), in double from the
      float32 scales: twice_max = 2 * max(s1, s2);  m1 = s1 / twice_max;
      m2 = s2 / twice_max;  mo = twice_max / (2^20 * so).
      Some TFLM revisions of sub_common.cc write these in float32; the
      tflite-micro oracle this project tests against matches the double
      version (checked exhaustively over all 65536 input pairs on scales where
      the two differ), so SUB uses ADD's formulas.
  MUL (CalculateOpDataMul): double(s1) * double(s2) / double(so).
ADD/SUB multipliers go through QuantizeMultiplierSmallerThanOneExp, which
aborts unless 0 < m < 1 and the shift is <= 0 (rule_rescale rejects those).
SUB subtracts the two rescaled inputs (TFLM's int8 SUB): it is not ADD with the
second multiplier negated, because the rounding high multiply rounds exact
halves upward, not symmetrically.

int16 (scheme s16; int16 inputs and output):
  ADD and SUB: TFLM's micro kernels compute the same constants with left_shift
      15 instead of 20 and always call the general-scale reference (add.cc
      passes pot_scale=false; sub.cc calls the general Sub/BroadcastQuantSubSlow),
      whatever the `pot_scale_int16` option says: with power-of-two scales and
      zero points 0 the general recipe is what runs (checked against the
      oracle with the option true and false). Zero points need not be 0.
  MUL: the int8 recipe with int16 data; TFLM requires all three zero points to
      be 0. int16 inputs with an int8 output are rejected: TFLM's micro MUL
      accepts them but writes int16 values into the int8 output buffer (it
      calls the int16/int16 kernel), so it has no meaningful reference.
"""
from __future__ import annotations

import numpy as np

from ..ir import Operator
from ..quant import activation_range, f64, quantize_multiplier, type_range
from .base import Layer, OpHandler, Sig, need_quant, register
from .conv import FUSED, fast_requant_table
from .f32 import float_activation_range, integer_only

MAX_RANK = 6     # TFLM's RuntimeShape holds 6 dimensions; higher ranks overrun it (wrong results)
KERNEL_DIMS = 6  # MCU_ELTWISE_MAX_DIMS: compressed dimensions the kernel iterates
LEFT_SHIFT = {"int8": 20, "int16": 15}  # ADD/SUB: the inputs' left shift before rescaling, by output type
SIGNATURES = (
    Sig("s8", (("int8",), ("int8",)), (("int8",),)),
    Sig("s16", (("int16",), ("int16",)), (("int16",),)),
)


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy broadcast of two shapes, or None when they do not broadcast."""
    r = max(len(a), len(b))
    a = (1,) * (r - len(a)) + tuple(a)
    b = (1,) * (r - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


def broadcast_plan(s1: tuple[int, ...], s2: tuple[int, ...], so: tuple[int, ...]):
    """Compressed iteration for the kernel: (rank, shape, stride1, stride2), outermost first.

    Output dimensions of extent 1 are dropped and neighbouring dimensions in which
    each input is either present or broadcast in the same way are merged, so
    [1,H,W,C] + [1,1,1,C] becomes 2 dimensions (H*W, C). rank 0 means neither
    input is broadcast: the kernel runs one flat loop.
    """
    r = len(so)
    a = (1,) * (r - len(s1)) + tuple(s1)
    b = (1,) * (r - len(s2)) + tuple(s2)
    dims: list[list] = []  # innermost first: [extent, input1 present, input2 present]
    for d in reversed(range(r)):
        n = int(so[d])
        if n == 1:
            continue
        key = (a[d] == n, b[d] == n)
        if dims and (dims[-1][1], dims[-1][2]) == key:
            dims[-1][0] *= n
        else:
            dims.append([n, *key])
    if not dims or (len(dims) == 1 and dims[0][1] and dims[0][2]):
        return 0, [], [], []
    shape, st1, st2 = [], [], []
    acc1 = acc2 = 1
    for n, p1, p2 in dims:
        shape.append(n)
        st1.append(acc1 if p1 else 0)
        st2.append(acc2 if p2 else 0)
        acc1 *= n if p1 else 1
        acc2 *= n if p2 else 1
    return len(dims), shape[::-1], st1[::-1], st2[::-1]


def _padded(values: list[int], fill: int) -> list[int]:
    return [int(x) for x in values] + [fill] * (KERNEL_DIMS - len(values))


def broadcast_field(op: Operator) -> dict:
    """The mcu_broadcast_t of a binary operator, as data."""
    x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
    rank, shape, st1, st2 = broadcast_plan(x1.shape, x2.shape, y.shape)
    return {"rank": rank, "shape": _padded(shape, 1), "stride1": _padded(st1, 0), "stride2": _padded(st2, 0)}


def per_tensor_problem(*tensors) -> str | None:
    """What keeps `tensors` from having per-tensor quantization with a positive scale, or None."""
    msg = need_quant(*tensors)
    if msg:
        return msg
    for t in tensors:
        if t.quant.per_channel:
            return f"tensor '{t.name}' is quantized per channel"
        if not t.quant.s > 0:
            return f"tensor '{t.name}' has scale {t.quant.s}, needs a positive scale"
    return None


def broadcast_problem(op: Operator, max_rank: int) -> str | None:
    """What keeps a binary operator's inputs 0 and 1 from broadcasting to its output (ranks <= max_rank, no
    empty dimension), or None."""
    x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
    for t in (x1, x2, y):
        if len(t.shape) > max_rank:
            return f"tensor '{t.name}' has rank {len(t.shape)}, at most {max_rank} is supported"
        if any(d <= 0 for d in t.shape):
            return f"tensor '{t.name}' has an empty dimension {t.shape}"
    want = broadcast_shape(x1.shape, x2.shape)
    if want is None:
        return f"input shapes {x1.shape} and {x2.shape} do not broadcast"
    if tuple(want) != tuple(y.shape):
        return f"output shape {y.shape} is not the broadcast shape {want}"
    return None


def in_place_inputs(op: Operator) -> dict[int, tuple[int, None]]:
    """The overlap() of a kernel on the broadcast loop: inputs 0/1 of the output's shape and type may be
    overwritten in place (see mcu_elementwise.h)."""
    y = op.outputs[0]
    return {i: (0, None) for i in (0, 1)
            if tuple(op.inputs[i].shape) == tuple(y.shape) and op.inputs[i].dtype == y.dtype}


def add_sub_multipliers(s1: float, s2: float, so: float, dtype: str = "int8") -> list[tuple[float, int, int]]:
    """(real, M, shift) for input1, input2 and output, as TFLM's ADD/SUB Prepare computes them for an output
    of type `dtype`."""
    twice = 2 * f64(max(np.float32(s1), np.float32(s2)))
    reals = [f64(s1) / twice, f64(s2) / twice, twice / ((1 << LEFT_SHIFT[dtype]) * f64(so))]
    return [(r, *quantize_multiplier(r)) for r in reals]


def mul_multiplier(s1: float, s2: float, so: float) -> tuple[int, int]:
    """(M, shift) of TFLM's MUL Prepare: the scale product is taken in double."""
    return quantize_multiplier(f64(s1) * f64(s2) / f64(so))


def _smmlar(a: int, b: int, c: int) -> int:
    return ((a * b + (1 << 31)) >> 32) + c


def add_input_values(x, mult) -> list[int]:
    """TFLM's rescaled int8 ADD / SUB input a = RDBPOT(SRDHM((q - zp) * 2^20, M), -shift) for q = -128..127:
    the lookup table of the table form (mcu_add_impl.h, mcu_add_sub_table)."""
    from ..quant import rdbpot, sat_rdhm
    _, m, sh = mult
    zp = int(x.quant.zp)
    q_lo, q_hi = type_range(x.dtype)
    return [int(rdbpot(sat_rdhm((q - zp) << 20, int(m)), -int(sh))) for q in range(q_lo, q_hi + 1)]


def add_fast_table(x1, x2, y, mults, lo: int, hi: int) -> list[int] | None:
    """The one-multiply form of int8 ADD / SUB (mcu_add_impl.h, mcu_add_sub_fast), or None where it is not
    exact. Per input, TFLM's a = RDBPOT(SRDHM(x, M), e) with x = (q - zp) * 2^20: SRDHM(x, M) =
    floor((x M + 2^30) / 2^31) = SMMLAR(2x, M, 0) =: v, and floor((2v + 2^e - s) / 2^(e+1)) =
    floor((v + 2^(e-1) - s) / 2^e) for s in {0, 1} (and = v for e = 0), with s = [x < 0] for [v < 0] as in
    conv.fast_requant_table; so a = (2 SMMLAR(t, M, 0) + 2^e - [t < 0]) >> (e + 1), t = q 2^21 - zp 2^21.
    Checked here for all 256 values of q. The output stage is fast_requant_table's, bounded by the largest
    |a| + |b| the inputs give. Returns {o1, M1, 2^e1, e1 + 1, o2, M2, 2^e2, e2 + 1, Mo, Ko, eo, span}
    (o = -zp * 2^21, span = hi - lo)."""
    from ..quant import rdbpot, sat_rdhm
    out, most = [], 0
    for t, (_, m, sh) in ((x1, mults[0]), (x2, mults[1])):
        e = -int(sh)
        if e < 0 or e > 30 or m <= 0:
            return None
        zp = int(t.quant.zp)
        vals = []
        for q in range(-128, 128):
            ref = rdbpot(sat_rdhm((q - zp) << 20, int(m)), e)
            tt = (q - zp) << 21
            if (_smmlar(tt, int(m), 0) * 2 + (1 << e) - (1 if tt < 0 else 0)) >> (e + 1) != ref:
                return None
            vals.append(ref)
        most += max(abs(v) for v in vals)
        out += [-zp << 21, int(m), 1 << e, e + 1]
    rq = fast_requant_table([mults[2][1]], [mults[2][2]], int(y.quant.zp) - lo, [most])
    if rq is None:
        return None
    return out + [int(v) for v in rq] + [hi - lo]


class _Binary(OpHandler):
    signatures = SIGNATURES
    kernel = ""  # C function stem: <kernel>_<scheme>, e.g. add_s16

    def overlap(self, op):
        """An input with the output's shape may be overwritten in place (see mcu_elementwise.h)."""
        return in_place_inputs(op)

    def rule_quantization(self, op):
        """Both inputs and the output have per-tensor quantization with positive scales."""
        return per_tensor_problem(op.inputs[0], op.inputs[1], op.outputs[0])

    def rule_shapes(self, op):
        """Inputs broadcast against each other (NumPy rules) to the output's shape; ranks are at most 6; no
        dimension is 0."""
        return broadcast_problem(op, MAX_RANK)

    def rule_activation(self, op):
        """Fused activation is NONE, RELU, RELU6 or RELU_N1_TO_1."""
        act = op.options.get("fused_activation_function", "NONE")
        return None if act in FUSED else f"fused activation {act} is not supported"

    def lower_s8(self, op, ctx):
        return self._lower(op, ctx, "s8")

    def lower_s16(self, op, ctx):
        return self._lower(op, ctx, "s16")

    def common_fields(self, op):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        return [("size", y.size), ("bcast", broadcast_field(op)),
                ("input1_offset", -x1.quant.zp), ("input2_offset", -x2.quant.zp), ("output_offset", y.quant.zp)]

    def activation_fields(self, op):
        y = op.outputs[0]
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
        return [("act_min", lo), ("act_max", hi)]

    # ---- float32 (scheme f32): TFLM's reference float Add / Sub / Mul (mcu_add_f32.c, mcu_mul_f32.c) ----
    signatures = signatures + (Sig("f32", (("float32",), ("float32",)), (("float32",),)),)
    rule_quantization = integer_only(rule_quantization)

    def lower_f32(self, op, ctx):
        """One IEEE operation per element, then the fused activation's float clamp (bit-exact with TFLM)."""
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        lo, hi = float_activation_range(op.options.get("fused_activation_function", "NONE"))
        fields = [("size", y.size), ("bcast", broadcast_field(op)), ("act_min", lo), ("act_max", hi)]
        source = "elementwise/mcu_mul_f32.c" if self.kernel == "mul" else "elementwise/mcu_add_f32.c"
        return Layer(op, function=f"{self.kernel}_f32", struct="binary_f32_params_t", fields=fields,
                     args=[ctx.ptr(x1), ctx.ptr(x2), ctx.ptr(y)], sources=(source,))


class _AddSub(_Binary):
    def rule_rescale(self, op):
        """Output scale is large enough for the rescaling: 2 * max(input scales) / (2^k * output scale) < 1, with
        k = 20 for int8 and 15 for int16."""
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if any(t.quant is None for t in (x1, x2, y)) or y.dtype not in LEFT_SHIFT:
            return None
        names = ("input1", "input2", "output")
        for name, (real, _, shift) in zip(names, add_sub_multipliers(x1.quant.s, x2.quant.s, y.quant.s, y.dtype)):
            if not 0.0 < real < 1.0 or shift > 0:
                return f"{name} rescale factor {real:g} is outside (0, 1)"
        return None

    def _lower(self, op, ctx, scheme):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        mults = add_sub_multipliers(x1.quant.s, x2.quant.s, y.quant.s, y.dtype)
        (_, m1, sh1), (_, m2, sh2), (_, mo, sho) = mults
        fields = self.common_fields(op) + [
            ("left_shift", LEFT_SHIFT[y.dtype]),
            ("input1_multiplier", m1), ("input1_shift", sh1),
            ("input2_multiplier", m2), ("input2_shift", sh2),
            ("output_multiplier", mo), ("output_shift", sho),
        ] + self.activation_fields(op)
        fast = None
        if scheme == "s8" and broadcast_field(op)["rank"] == 0 and not ctx.has("mve"):
            lo, hi = dict(fields)["act_min"], dict(fields)["act_max"]
            fast = add_fast_table(x1, x2, y, mults, lo, hi)
        fields.append(("fast", ctx.const("fast", np.asarray(fast, np.int32), "int32_t") if fast else "NULL"))
        table = None
        if fast and not ctx.has("optimize:size"):
            # the table form: each input's rescaled value looked up, doubled (2 KB of flash; SUB's second one
            # negated)
            sign = 1 if self.kernel == "add" else -1
            table = [2 * v for v in add_input_values(x1, mults[0])] + [
                2 * sign * v for v in add_input_values(x2, mults[1])]
            if max(abs(v) for v in table) >= 1 << 30:  # 2a + 2b must not overflow
                table = None
        fields.append(("table", ctx.const("table", np.asarray(table, np.int32), "int32_t") if table else "NULL"))
        return Layer(op, function=f"{self.kernel}_{scheme}", struct="add_params_t", fields=fields,
                     args=[ctx.ptr(x1), ctx.ptr(x2), ctx.ptr(y)],
                     sources=(f"elementwise/mcu_add_{scheme}.c", "elementwise/mcu_add_impl.h"))  # SUB shares ADD's file


@register
class Add(_AddSub):
    ops = ("ADD",)
    kernel = "add"


@register
class Sub(_AddSub):
    ops = ("SUB",)
    kernel = "sub"


@register
class Mul(_Binary):
    ops = ("MUL",)
    kernel = "mul"

    def macs(self, op):
        return op.outputs[0].size

    def rule_int16_zero_points(self, op):
        """int16 inputs and output have zero point 0 (TFLM's MUL requires it)."""
        for t in (op.inputs[0], op.inputs[1], op.outputs[0]):
            if t.dtype == "int16" and t.quant is not None and any(int(z) != 0 for z in t.quant.zero_point):
                return f"int16 tensor '{t.name}' has zero point {t.quant.zp}, TFLM requires 0"
        return None

    def _lower(self, op, ctx, scheme):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        mult, shift = mul_multiplier(x1.quant.s, x2.quant.s, y.quant.s)
        fields = self.common_fields(op) + [
            ("output_multiplier", mult), ("output_shift", shift),
        ] + self.activation_fields(op)
        return Layer(op, function=f"mul_{scheme}", struct="mul_params_t", fields=fields,
                     args=[ctx.ptr(x1), ctx.ptr(x2), ctx.ptr(y)],
                     sources=(f"elementwise/mcu_mul_{scheme}.c", "elementwise/mcu_mul_impl.h"))
