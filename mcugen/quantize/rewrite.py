"""Rewrite a float graph into an int8, 16x8 or mixed one: activation quantization from ranges, weights and
biases quantized, QUANTIZE/DEQUANTIZE at the edges for float I/O. The rules each operator needs come from
rules.RULES.

- Activations: asymmetric int8, scale (hi - lo) / 255, zero point the rounded -128 - lo / scale (clamped),
  as the converter computes them; the range always includes 0. With int16 activations (16x8): symmetric,
  scale max(|lo|, |hi|) / 32767, zero point 0. Tensors an operator ties together
  (rules: same_scale) share the union of their ranges; a fixed output quantization (SOFTMAX, LOGISTIC, TANH)
  is imposed on the whole tied group.
- Weights: symmetric int8 in [-127, 127], per channel along the rule's axis (or per tensor), scale
  max|w| / 127 (1.0 for an all-zero channel).
- Bias: int32 (int64 in 16x8), scale input_scale x weight_scale[c], zero point 0; where a bias value would
  not fit the channel's weight scale is widened until it does.

Mixed activations (activations={node index: 'int8' | 'int16'}, nodes absent int8; issue 12). Every node
has a type: an int16 node runs TFLM's 16x8 kernel (its activation inputs and outputs int16 symmetric, int8
weights, int64 bias), an int8 node the int8 one. The rule is one sentence: *a node reads and writes its
activations in its own type*. So:
- each activation tensor is stored in its home type: its producer's type; for a tensor with no quantized
  producer (a model input, a constant, the output of a node kept in float) the widest type among the
  nodes that read it (int16 if any does: an int8 reader then gets a converted copy, which loses nothing
  more than reading int8 directly would), or, read by no quantized node, the type given for its producer
  (kept node) or int8;
- a reader of another type reads a copy in its own type, one per (tensor, type), shared by every reader of
  that type: for a computed tensor a QUANTIZE (TFLM's int8 -> int16 / int16 -> int8 requantize) placed just
  before the first such reader; for a constant a second quantized constant. The copy covers the tensor's
  range (or its tied group's, below) in its own type;
- ties (rules: same_scale) and fixed outputs are per (tensor, type): a tied operator ties the copies it
  reads, in its own type, to its output; SOFTMAX / LOGISTIC / TANH take the fixed output scale of their own
  type, and a reader of the other type reads a copy with the scale of the output's range. So every
  assignment gives a model TFLM runs, even one that splits a tied group (conversions inside the group: a
  RESHAPE in int8 between two int16 nodes costs two QUANTIZEs and the int8 rounding). activation_groups()
  returns the groups whose members are better given one type (a tied operator with the producers of its
  tied inputs): a search choosing per group never converts inside one;
- model inputs and outputs: with integer I/O (io='int8') each keeps its home type (an input: the widest
  type of the nodes reading it; an output: its producer's), so one model can have an int16 input and an
  int8 output; with io='float', QUANTIZE / DEQUANTIZE at the edges from / to that type, as before;
- a plain 'int8' / 'int16' is the dict with every node of that type: no copy is ever needed and the graph
  is the same, byte for byte, as the uniform rewrite's.
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
        if rule.own_params:
            from . import lstm_rule
            out.extend((op.index, op.op, why) for why in lstm_rule.problems(op))
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
        nodes = len({i for i, _, _ in bad})  # an operator may have several reasons
        raise UnsupportedModelError(f"{where} has {nodes} operator(s) the quantizer cannot quantize:\n{lines}"
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
    """Float tensors that become integer activations (everything float except weights and biases, and the
    constants of operators kept in float)."""
    params = set()
    for op in g.operators:
        rule = RULES.get(op.op)
        if op.index in keep:  # its constants, and its state (an LSTM kept in float keeps a float state)
            params.update(id(t) for t in op.inputs if t is not None and (t.is_const or t.is_variable))
        elif rule is not None and rule.weights_axis is not None:
            params.update(id(t) for t in op.inputs[1:3] if t is not None)
        elif rule is not None and rule.own_params:
            from .lstm_rule import param_ids
            params.update(param_ids(op))
    return [t for t in g.tensors if t.dtype == "float32" and id(t) not in params]


def node_types(graph: Graph, activations) -> dict[int, str]:
    """The activation type of every node (by node index): `activations` is 'int8' / 'int16' (every node) or
    a dict {node index: 'int8' | 'int16'} (nodes absent: int8). A ValueError names a bad key or value."""
    n = len(graph.operators)
    if isinstance(activations, str):
        if activations not in ACTIVATION_TYPES:
            raise ValueError(f"activations must be one of {ACTIVATION_TYPES} or a dict {{node index: type}}, "
                             f"not {activations!r}")
        return {op.index: activations for op in graph.operators}
    if not hasattr(activations, "items"):
        raise ValueError(f"activations must be one of {ACTIVATION_TYPES} or a dict {{node index: type}}, "
                         f"not {type(activations).__name__}")
    out = {op.index: ACT for op in graph.operators}
    for k, v in activations.items():
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k not in out:
            raise ValueError(f"activations: node {k!r} is not a node index of the model (0..{n - 1})")
        if v not in ACTIVATION_TYPES:
            raise ValueError(f"activations: node {k}: {v!r} is not one of {ACTIVATION_TYPES}")
        out[int(k)] = v
    return out


def _widest(types) -> str:
    return max(types, key=lambda d: type_range(d)[1])


def _home_types(g: Graph, acts: list[Tensor], types: dict[int, str], given, keep) -> dict[int, str]:
    """id(tensor) -> the type each activation tensor is stored in (see the module docstring)."""
    default = given if isinstance(given, str) else ACT
    explicit = set() if isinstance(given, str) else {int(k) for k in given}
    producer = g.producers()
    readers = g.consumers()
    home = {}
    for t in acts:
        p = producer.get(id(t))
        if p is not None and p.index not in keep:
            home[id(t)] = types[p.index]
            continue
        rs = [types[r.index] for r in readers.get(id(t), ()) if r.index not in keep]
        if rs:
            home[id(t)] = _widest(rs)
        elif p is not None and p.index in explicit:
            home[id(t)] = types[p.index]
        else:
            home[id(t)] = default
    return home


def tensor_types(graph: Graph, activations, keep=frozenset()) -> dict[int, str]:
    """Flatbuffer tensor index -> the type that activation tensor of the float `graph` is stored in when
    rewritten with `activations` (what a calibrator should size its range for)."""
    acts = _activations(graph, keep)
    home = _home_types(graph, acts, node_types(graph, activations), activations, keep)
    return {t.index: home[id(t)] for t in acts}


def activation_groups(graph: Graph, keep=frozenset()) -> list[list[int]]:
    """The node indices that should share one activation type, as sorted lists (every node not in `keep`
    is in exactly one; groups in the order of their first node). A group joins each operator whose
    activation inputs and output are tied (rules: same_scale: pooling, RESHAPE, CONCATENATION, PAD, ...)
    with the producers of its tied inputs: the tied operator only moves or compares values, so a type of its
    own would only add a lossy QUANTIZE before it (and after it, for a consumer back in the producer's
    type). rewrite() accepts any assignment (it converts wherever types differ); a search that assigns per
    group never makes such a conversion and has fewer choices to make."""
    groups = _Groups()
    nodes = [op.index for op in graph.operators if op.index not in keep]
    producer = graph.producers()
    for op in graph.operators:
        rule = RULES.get(op.op)
        if op.index in keep or rule is None or not rule.same_scale:
            continue
        ins = [t for t in op.inputs if t is not None and t.dtype == "float32" and not t.is_const]
        for t in ins[: None if op.op == "CONCATENATION" else 1]:
            p = producer.get(id(t))
            if p is not None and p.index not in keep:
                groups.union(p.index, op.index)
    out: dict[int, list[int]] = {}
    for n in nodes:
        out.setdefault(groups.find(n), []).append(n)
    return sorted((sorted(v) for v in out.values()), key=lambda v: v[0])


def rewrite(graph: Graph, ranges: dict[int, tuple[float, float]], per_channel: bool = True,
            io: str = "int8", activations=ACT, keep=frozenset(), weight_types=None, int4=None) -> Graph:
    """The quantized graph of the float `graph`. `ranges`: real range per activation tensor, by id(tensor)
    of `graph`'s tensors (constants that are not weights may be left out: their data gives it).
    activations: 'int8' or 'int16' (the 16x8 scheme), or a dict {node index of `graph`: 'int8' | 'int16'}
    (nodes absent: int8): mixed, see the module docstring. io: 'int8' means integer I/O (of each input's and
    output's own type). keep: node indices of operators left in float (their tensors are quantized for
    their neighbours; the operator reads float copies made by DEQUANTIZE and its float output is
    QUANTIZEd: _wrap_kept). weight_types: {node index: 'int4'} for layers given int4 weights (others int8;
    int8-activation nodes only); int4: the int4.Rounding that rounds them (the Gram matrices of their
    inputs for the data-aware rounding; default: none)."""
    types = node_types(graph, activations)
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
    home = _home_types(g, acts, types, activations, keep)
    act_ids = {id(t) for t in acts}
    # every (tensor, type) an operator reads or writes: the tensor itself in its home type, and the copies
    # that readers of another type need (made by a QUANTIZE; a quantized constant for a constant)
    copies: dict[tuple[int, str], Tensor] = {}
    for op in g.operators:
        if op.index in keep:
            continue
        d = types[op.index]
        for t in op.inputs:
            if t is not None and id(t) in act_ids and home[id(t)] != d and (id(t), d) not in copies:
                copies[(id(t), d)] = t
    groups = _Groups()
    fixed: dict[tuple[int, str], tuple[float, int, str]] = {}
    for op in g.operators:
        rule = RULES.get(op.op)
        if rule is None or op.index in keep:
            continue
        d = types[op.index]
        ins = [t for t in op.inputs if t is not None and t.dtype == "float32" and id(t) in ranges]
        if rule.same_scale:
            for t in ins[: None if op.op == "CONCATENATION" else 1]:
                groups.union((id(t), d), (id(op.outputs[0]), d))
        for k in rule.tied_inputs:
            if k < len(op.inputs) and op.inputs[k] is not None:
                groups.union((id(op.inputs[k]), d), (id(op.outputs[0]), d))
        if rule.fixed(d) is not None:
            fixed[(id(op.outputs[0]), d)] = (*rule.fixed(d), f"node {op.index} {op.op}")
    versions = [((id(t), home[id(t)]), t) for t in acts] + list(copies.items())
    group_range: dict = {}
    for key, t in versions:
        lo, hi = ranges[id(t)]
        r = group_range.setdefault(groups.find(key), [0.0, 0.0])
        r[0], r[1] = min(r[0], lo), max(r[1], hi)
    group_fixed: dict = {}
    for k, f in fixed.items():
        root = groups.find(k)
        if root in group_fixed and group_fixed[root][:2] != f[:2]:
            raise UnsupportedModelError(f"{f[2]} and {group_fixed[root][2]} need different fixed output "
                                        "quantizations on tensors that must share one.")
        group_fixed[root] = f
    quant: dict = {}
    for key, t in versions:
        root = groups.find(key)
        if root in group_fixed:
            s, zp, _ = group_fixed[root]
            quant[key] = Quant(np.array([s], np.float32), np.array([zp], np.int64))
        else:
            quant[key] = activation_quant(*group_range[root], key[1])
    made: dict[tuple[int, str], Tensor] = {}
    for key, t in copies.items():  # before the originals change type: the float data is still there
        c = Tensor(f"{t.name}_{key[1]}", t.shape, key[1], quant=quant[key], shape_signature=t.shape_signature,
                   index=-1)
        if t.is_const:
            c.data = _quantize_activation_const(t.data, c.quant, key[1])
        g.tensors.append(c)
        made[key] = c
    for t in acts:
        t.quant = quant[(id(t), home[id(t)])]
    for t in acts:  # after all quant is set
        t.dtype = home[id(t)]
        if t.is_const:
            t.data = _quantize_activation_const(t.data, t.quant, t.dtype)
    if made:
        ops, converted = [], set()
        for op in g.operators:
            if op.index not in keep:
                d = types[op.index]
                for k, t in enumerate(op.inputs):
                    c = made.get((id(t), d)) if t is not None else None
                    if c is None:
                        continue
                    if not c.is_const and id(c) not in converted:
                        ops.append(Operator("QUANTIZE", [t], [c], {}, index=-1))
                        converted.add(id(c))
                    op.inputs[k] = c
            ops.append(op)
        g.operators[:] = ops

    for op in g.operators:
        rule = RULES.get(op.op)
        if (rule is not None and rule.weights_axis is not None and op.inputs[1].dtype == "float32"
                and op.index not in keep):
            wt = (weight_types or {}).get(op.index, "int8")
            if wt == "int4" and types[op.index] != "int8":
                raise ValueError(f"node {op.index}: int4 weights need int8 activations (TFLM has no int4 16x8 kernel)")
            _quantize_params(op, rule.weights_axis if per_channel else None, BIAS_TYPE[types[op.index]], wt, int4)
    for op in g.operators:  # LSTM: weights, biases, cell state and intermediates (lstm_rule.py)
        rule = RULES.get(op.op)
        if rule is not None and rule.own_params and op.index not in keep and op.inputs[1].dtype == "float32":
            from .lstm_rule import quantize_params
            quantize_params(g, op, ranges, types[op.index])
    for op in list(g.operators):  # per-channel int4 FULLY_CONNECTED: as the 1x1 CONV_2D TFLM accepts (int4.py)
        if op.op == "FULLY_CONNECTED" and op.inputs[1].dtype == "int4" and op.inputs[1].quant.per_channel:
            from .int4 import fc_as_conv
            fc_as_conv(g, op)
    if keep:
        _wrap_kept(g, keep)
    if io == "float":
        _float_edges(g)
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


def _float_edges(g: Graph) -> None:
    """Float model inputs and outputs: QUANTIZE after each input, DEQUANTIZE before each output (the
    quantized tensor is renamed NAME_<its type>, the float one keeps the name)."""
    swap: dict[int, Tensor] = {}
    for i, t in enumerate(g.inputs):
        f = Tensor(t.name, t.shape, "float32", shape_signature=t.shape_signature, index=-1)
        t.name += f"_{t.dtype}"
        g.tensors.append(f)
        g.operators.insert(0, Operator("QUANTIZE", [f], [t], {}, index=-1))
        g.inputs[i] = f
        swap[id(t)] = f
    for i, t in enumerate(g.outputs):
        f = Tensor(t.name, t.shape, "float32", shape_signature=t.shape_signature, index=-1)
        t.name += f"_{t.dtype}"
        g.tensors.append(f)
        g.operators.append(Operator("DEQUANTIZE", [t], [f], {}, index=-1))
        g.outputs[i] = f
        swap[id(t)] = f
    for s in g.signatures:
        s.inputs = [(n, swap.get(id(t), t)) for n, t in s.inputs]
        s.outputs = [(n, swap.get(id(t), t)) for n, t in s.outputs]
    for k, op in enumerate(g.operators):
        op.index = k
