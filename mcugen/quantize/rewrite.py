"""Rewrite a float graph into an int8 one: activation quantization from ranges, weights and biases quantized,
QUANTIZE/DEQUANTIZE at the edges for float I/O. The rules each operator needs come from rules.RULES.

- Activations: asymmetric int8, scale (hi - lo) / 255, zero point the rounded -128 - lo / scale (clamped),
  as the converter computes them; the range always includes 0. With int16 activations (16x8): symmetric,
  scale max(|lo|, |hi|) / 32767, zero point 0. Tensors an operator ties together
  (rules: same_scale) share the union of their ranges; a fixed output quantization (SOFTMAX, LOGISTIC, TANH)
  is imposed on the whole tied group.
- Weights: symmetric int8 in [-127, 127], per channel along the rule's axis (or per tensor), scale
  max|w| / 127 (1.0 for an all-zero channel).
- Bias: int32 (int64 in 16x8), scale input_scale x weight_scale[c], zero point 0; where a bias value would
  not fit the channel's weight scale is widened until it does.
"""
from __future__ import annotations

import copy

import numpy as np

from ..errors import UnsupportedModelError
from ..ir import Graph, Operator, Quant, Tensor
from ..quant import type_range
from .rules import BIAS_TYPE, RULES

ACT = "int8"
ACTIVATION_TYPES = ("int8", "int16")
WEIGHT_MAX = 127  # weights are symmetric: -127..127 (TFLM's int8 kernels assume the -128 code is unused)
INT32_MAX = np.iinfo(np.int32).max


def activation_quant(lo: float, hi: float, dtype: str = ACT) -> Quant:
    """Asymmetric quantization covering [lo, hi] (which includes 0); symmetric (zero point 0) for int16."""
    qmin, qmax = type_range(dtype)
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if dtype == "int16":
        scale = max(-lo, hi) / qmax
        if not scale > 0:
            scale = 1.0 / qmax
        return Quant(np.array([scale], np.float32), np.array([0], np.int64))
    scale = (hi - lo) / (qmax - qmin)
    if not scale > 0:  # an all-zero tensor: any scale represents it
        scale = 1.0 / (qmax - qmin)
    scale = float(np.float32(scale))
    zp = int(np.clip(np.round(qmin - lo / scale), qmin, qmax))
    return Quant(np.array([scale], np.float32), np.array([zp], np.int64))


def weight_scales(w: np.ndarray, axis: int | None) -> np.ndarray:
    """Symmetric scales: one per index of `axis`, or one for the tensor (axis None)."""
    a = np.abs(w.astype(np.float64))
    m = np.array([a.max()]) if axis is None else a.max(axis=tuple(i for i in range(w.ndim) if i != axis))
    s = m / WEIGHT_MAX
    return np.where(s > 0, s, 1.0).astype(np.float32)


def quantize_weights(w: np.ndarray, scales: np.ndarray, axis: int | None) -> np.ndarray:
    shape = [1] * w.ndim
    if axis is not None:
        shape[axis] = -1
    q = np.round(w.astype(np.float64) / scales.astype(np.float64).reshape(shape))
    return np.clip(q, -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)


def float_problems(g: Graph, keep=frozenset()) -> list[tuple[int, str, str]]:
    """(node index, op, why) for every operator of the float graph the quantizer cannot handle (operators
    whose node index is in `keep` stay float and are not checked)."""
    out = []
    for op in g.operators:
        if op.index in keep:
            continue
        floats = [t for t in op.inputs + op.outputs if t is not None and t.dtype == "float32"]
        if not floats:
            continue
        rule = RULES.get(op.op)
        if rule is None:
            out.append((op.index, op.op, "the quantizer has no int8 rule for this operator"))
            continue
        others = [t for t in op.inputs + op.outputs if t is not None and t.dtype not in ("float32", "int32")]
        if others:
            out.append((op.index, op.op, f"mixes float32 with {others[0].dtype} tensor '{others[0].name}'"))
        if rule.weights_axis is not None:
            w = op.inputs[1] if len(op.inputs) > 1 else None
            b = op.inputs[2] if len(op.inputs) > 2 else None
            if w is None or not w.is_const or w.dtype != "float32":
                out.append((op.index, op.op, "its weights (input 1) are not a constant float32 tensor"))
            if b is not None and (not b.is_const or b.dtype != "float32"):
                out.append((op.index, op.op, "its bias (input 2) is not a constant float32 tensor"))
    return out


def refuse(graph: Graph, where: str = "the model", keep=frozenset()) -> None:
    """UnsupportedModelError (exit 4) listing every operator the quantizer cannot quantize, if any."""
    bad = float_problems(graph, keep)
    if bad:
        lines = "\n".join(f"  node {i}: {op}: {why}" for i, op, why in bad)
        raise UnsupportedModelError(f"{where} has {len(bad)} operator(s) the quantizer cannot quantize:\n{lines}"
                                    f"\nQuantizable operators: {', '.join(sorted(RULES))}. Or leave them in float "
                                    "with --keep-float OP_OR_NODE.")


def keep_nodes(graph: Graph, names) -> frozenset[int]:
    """Node indices of `names`: each a node index ('7') or an operator name ('SOFTMAX': all of them).
    A UsageError (exit 2) for a name that matches nothing."""
    from ..errors import UsageError
    out = set()
    ops = {op.index: op for op in graph.operators}
    for n in names or ():
        n = str(n).strip()
        if n.isdigit():
            if int(n) not in ops:
                raise UsageError(f"--keep-float {n}: the model has nodes 0..{len(ops) - 1}.")
            out.add(int(n))
        else:
            hit = [op.index for op in graph.operators if op.op == n.upper()]
            if not hit:
                raise UsageError(f"--keep-float {n}: no such operator in the model (it has "
                                 f"{', '.join(sorted({op.op for op in graph.operators}))}).")
            out.update(hit)
    return frozenset(out)


class _Groups:
    """Union-find over tensors that must share one quantization."""

    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, k: int) -> int:
        self.parent.setdefault(k, k)
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _activations(g: Graph, keep=frozenset()) -> list[Tensor]:
    """Float tensors that become int8 activations (everything float except weights and biases, and the
    constants of operators kept in float)."""
    params = set()
    for op in g.operators:
        rule = RULES.get(op.op)
        if op.index in keep:
            params.update(id(t) for t in op.inputs if t is not None and t.is_const)
        elif rule is not None and rule.weights_axis is not None:
            params.update(id(t) for t in op.inputs[1:3] if t is not None)
    return [t for t in g.tensors if t.dtype == "float32" and id(t) not in params]


def rewrite(graph: Graph, ranges: dict[int, tuple[float, float]], per_channel: bool = True,
            io: str = "int8", activations: str = ACT, keep=frozenset(), weight_types=None,
            int4=None) -> Graph:
    """The quantized graph of the float `graph`. `ranges`: real range per activation tensor, by id(tensor)
    of `graph`'s tensors (constants that are not weights may be left out: their data gives it).
    activations: 'int8' or 'int16' (the 16x8 scheme). io: 'int8' means integer I/O (of the activation type).
    keep: node indices of operators left in float (their tensors are quantized for their neighbours; the
    operator reads float copies made by DEQUANTIZE and its float output is QUANTIZEd: _wrap_kept).
    weight_types: {node index: 'int4'} for layers given int4 weights (others int8); int4: the int4.Rounding
    that rounds them (the Gram matrices of their inputs for the data-aware rounding; default: none)."""
    if activations not in ACTIVATION_TYPES:
        raise ValueError(f"activations must be one of {ACTIVATION_TYPES}, not {activations!r}")
    refuse(graph, keep=keep)
    ranges = dict(ranges)
    memo = {}
    g = copy.deepcopy(graph, memo)
    new = {id(t): memo[id(t)] for t in graph.tensors if id(t) in memo}
    ranges = {id(new[k]) if k in new else k: v for k, v in ranges.items()}

    acts = _activations(g, keep)
    for t in acts:
        if id(t) not in ranges:
            if t.is_const:
                ranges[id(t)] = (float(t.data.min()), float(t.data.max())) if t.data.size else (0.0, 0.0)
            else:
                raise UnsupportedModelError(f"tensor {t.index} ('{t.name}') was never computed during calibration "
                                            "(no operator produces it and it is no model input).")
    groups = _Groups()
    fixed: dict[int, tuple[float, int, str]] = {}
    for op in g.operators:
        rule = RULES.get(op.op)
        if rule is None or op.index in keep:
            continue
        ins = [t for t in op.inputs if t is not None and t.dtype == "float32" and id(t) in ranges]
        if rule.same_scale:
            for t in ins[: None if op.op == "CONCATENATION" else 1]:
                groups.union(id(t), id(op.outputs[0]))
        if rule.fixed(activations) is not None:
            fixed[id(op.outputs[0])] = (*rule.fixed(activations), f"node {op.index} {op.op}")
    group_range: dict[int, list[float]] = {}
    for t in acts:
        lo, hi = ranges[id(t)]
        r = group_range.setdefault(groups.find(id(t)), [0.0, 0.0])
        r[0], r[1] = min(r[0], lo), max(r[1], hi)
    group_fixed: dict[int, tuple[float, int, str]] = {}
    for k, f in fixed.items():
        root = groups.find(k)
        if root in group_fixed and group_fixed[root][:2] != f[:2]:
            raise UnsupportedModelError(f"{f[2]} and {group_fixed[root][2]} need different fixed output "
                                        "quantizations on tensors that must share one.")
        group_fixed[root] = f
    for t in acts:
        root = groups.find(id(t))
        if root in group_fixed:
            s, zp, _ = group_fixed[root]
            t.quant = Quant(np.array([s], np.float32), np.array([zp], np.int64))
        else:
            t.quant = activation_quant(*group_range[root], activations)
    for t in acts:  # after all quant is set
        t.dtype = activations
        if t.is_const:
            t.data = _quantize_activation_const(t.data, t.quant, activations)

    for op in g.operators:
        rule = RULES.get(op.op)
        if (rule is not None and rule.weights_axis is not None and op.inputs[1].dtype == "float32"
                and op.index not in keep):
            wt = (weight_types or {}).get(op.index, "int8")
            _quantize_params(op, rule.weights_axis if per_channel else None, BIAS_TYPE[activations], wt, int4)
    for op in list(g.operators):  # per-channel int4 FULLY_CONNECTED: as the 1x1 CONV_2D TFLM accepts (int4.py)
        if op.op == "FULLY_CONNECTED" and op.inputs[1].dtype == "int4" and op.inputs[1].quant.per_channel:
            from .int4 import fc_as_conv
            fc_as_conv(g, op)
    if keep:
        _wrap_kept(g, keep)
    if io == "float":
        _float_edges(g, activations)
    elif io != "int8":
        raise ValueError(f"io must be 'int8' or 'float', not {io!r}")
    for k, op in enumerate(g.operators):
        op.index = k
    return g


def _quantize_activation_const(x: np.ndarray, q: Quant, dtype: str = ACT) -> np.ndarray:
    qmin, qmax = type_range(dtype)
    return np.clip(np.round(x.astype(np.float64) / q.s) + q.zp, qmin, qmax).astype(dtype)


def _quantize_params(op: Operator, axis: int | None, bias_type: str = "int32", weight_type: str = "int8",
                     int4=None) -> None:
    x, w = op.inputs[0], op.inputs[1]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    wf = w.data.astype(np.float32)
    scales = weight_scales(wf, axis)
    s_in = np.float64(x.quant.s)
    bias_max = min(float(type_range(bias_type)[1]), 2.0 ** 62)  # 2^62: exact in float64, fits int64
    if b is not None:  # widen weight scales where the bias would overflow its type
        bf = b.data.astype(np.float64)
        need = np.abs(bf) / (s_in * bias_max)
        if axis is None:
            scales = np.maximum(scales, np.float32(need.max() * (1 + 1e-6))).astype(np.float32)
        else:
            scales = np.maximum(scales, (need * (1 + 1e-6)).astype(np.float32)).astype(np.float32)
    if weight_type == "int4":
        from .int4 import INT4_OPS, Rounding
        floor = None
        if b is not None:
            floor = np.broadcast_to(need * (1 + 1e-6), (w.shape[INT4_OPS[op.op]],)).astype(np.float64)
        w.data, scales, qaxis, _ = (int4 or Rounding()).quantize(op, wf, axis is not None, floor)
        w.dtype = "int4"
        w.quant = Quant(scales, np.zeros(scales.size, np.int64), qaxis)
    elif weight_type == "int8":
        w.data = quantize_weights(wf, scales, axis)
        w.dtype = "int8"
        w.quant = Quant(scales.astype(np.float32), np.zeros(scales.size, np.int64), axis if axis is not None else 0)
    else:
        raise ValueError(f"weight type must be int8 or int4, not {weight_type!r}")
    if b is not None:
        bscale = (np.float32(x.quant.s) * scales).astype(np.float32)  # (1,) per tensor or (channels,)
        q = np.round(b.data.astype(np.float64) / np.broadcast_to(bscale.astype(np.float64), b.data.shape))
        b.data = np.clip(q, -bias_max, bias_max).astype(bias_type)
        b.dtype = bias_type
        b.quant = Quant(bscale, np.zeros(bscale.size, np.int64), 0)


def _wrap_kept(g: Graph, keep) -> None:
    """Operators kept in float: each quantized activation input is read through a DEQUANTIZE into a float
    copy (one per tensor, shared by kept consumers), each output is computed in float and QUANTIZEd into
    the quantized tensor its consumers (or the model output) read."""
    deq: dict[int, Tensor] = {}
    ops = []
    for op in g.operators:
        if op.index not in keep:
            ops.append(op)
            continue
        for k, t in enumerate(op.inputs):
            if t is None or t.is_const or t.quant is None or t.dtype == "float32":
                continue
            if id(t) not in deq:
                f = Tensor(f"{t.name}_float", t.shape, "float32", shape_signature=t.shape_signature, index=-1)
                g.tensors.append(f)
                ops.append(Operator("DEQUANTIZE", [t], [f], {}, index=-1))
                deq[id(t)] = f
            op.inputs[k] = deq[id(t)]
        ops.append(op)
        for k, t in enumerate(op.outputs):
            if t.quant is None or t.dtype == "float32":
                continue
            f = Tensor(f"{t.name}_float", t.shape, "float32", shape_signature=t.shape_signature, index=-1)
            g.tensors.append(f)
            op.outputs[k] = f
            ops.append(Operator("QUANTIZE", [f], [t], {}, index=-1))
    g.operators[:] = ops
    for k, op in enumerate(g.operators):
        op.index = k


def _float_edges(g: Graph, activations: str = ACT) -> None:
    """Float model inputs and outputs: QUANTIZE after each input, DEQUANTIZE before each output."""
    swap: dict[int, Tensor] = {}
    for i, t in enumerate(g.inputs):
        f = Tensor(t.name, t.shape, "float32", shape_signature=t.shape_signature, index=-1)
        t.name += f"_{activations}"
        g.tensors.append(f)
        g.operators.insert(0, Operator("QUANTIZE", [f], [t], {}, index=-1))
        g.inputs[i] = f
        swap[id(t)] = f
    for i, t in enumerate(g.outputs):
        f = Tensor(t.name, t.shape, "float32", shape_signature=t.shape_signature, index=-1)
        t.name += f"_{activations}"
        g.tensors.append(f)
        g.operators.append(Operator("DEQUANTIZE", [t], [f], {}, index=-1))
        g.outputs[i] = f
        swap[id(t)] = f
    for s in g.signatures:
        s.inputs = [(n, swap.get(id(t), t)) for n, t in s.inputs]
        s.outputs = [(n, swap.get(id(t), t)) for n, t in s.outputs]
    for k, op in enumerate(g.operators):
        op.index = k
