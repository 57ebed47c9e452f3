"""Dilated convolutions written as SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND become one dilated CONV_2D.

The TFLite converter lowers a dilated Keras Conv1D/Conv2D in a model with a dynamic batch dimension to
    SPACE_TO_BATCH_ND(x, block, paddings) [-> EXPAND_DIMS] -> CONV_2D(VALID, stride 1, dilation 1)
    [-> RESHAPE] -> BATCH_TO_SPACE_ND(block, crops)
and stores the middle tensors with the placeholder batch 1 instead of their real batch (block elements).
TFLM runs them with the stored shapes and computes wrong numbers (docs/tflm-differences.md); desktop
TFLite resizes them and computes the dilated convolution. With zero paddings and crops the chain is
exactly CONV_2D(x) with dilation factors equal to the block sizes and VALID padding: every output element
sums the same products in the same order, so the fused layer is bit-exact with desktop TFLite's reference
kernels (tests/passes/test_fuse_dilated_conv.py). A chain with other paddings or crops, other strides or
dilations, tensors read elsewhere, or quantization that changes along the chain is left alone (and then
refused by SPACE_TO_BATCH_ND's shape rule).
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Operator, Tensor


def _const_ints(t: Tensor | None) -> list[int] | None:
    if t is None or not t.is_const:
        return None
    return [int(v) for v in np.asarray(t.data).reshape(-1)]


def _same_quant(a: Tensor, b: Tensor) -> bool:
    if a.quant is None or b.quant is None:
        return a.quant is None and b.quant is None
    return (np.array_equal(a.quant.scale, b.quant.scale) and np.array_equal(a.quant.zero_point, b.quant.zero_point))


def _only_reader(t: Tensor, consumers, outputs) -> Operator | None:
    readers = consumers.get(id(t), [])
    return readers[0] if len(readers) == 1 and id(t) not in outputs else None


def _fuse_one(graph: Graph, s2b: Operator, consumers, outputs) -> bool:
    x = s2b.inputs[0]
    block = _const_ints(s2b.inputs[1])
    pads = _const_ints(s2b.inputs[2])
    if not block or pads is None or any(pads) or len(x.shape) not in (3, 4) or len(block) != len(x.shape) - 2:
        return False
    mid = s2b.outputs[0]
    nxt = _only_reader(mid, consumers, outputs)
    expand = None
    if nxt is not None and nxt.op in ("EXPAND_DIMS", "RESHAPE") and len(x.shape) == 3:
        expand = nxt
        nxt = _only_reader(expand.outputs[0], consumers, outputs)
        if len(expand.outputs[0].shape) != 4 or expand.outputs[0].shape[1] != 1:
            return False
    conv = nxt
    if conv is None or conv.op != "CONV_2D" or conv.inputs[0] is not (expand.outputs[0] if expand else mid):
        return False
    o = conv.options
    if (o.get("padding") != "VALID" or o.get("stride_h", 1) != 1 or o.get("stride_w", 1) != 1
            or o.get("dilation_h_factor", 1) != 1 or o.get("dilation_w_factor", 1) != 1):
        return False
    after = _only_reader(conv.outputs[0], consumers, outputs)
    squeeze = None
    if after is not None and after.op in ("RESHAPE", "SQUEEZE") and expand is not None:
        squeeze = after
        after = _only_reader(squeeze.outputs[0], consumers, outputs)
    b2s = after
    if b2s is None or b2s.op != "BATCH_TO_SPACE_ND" or _const_ints(b2s.inputs[1]) != block:
        return False
    crops = _const_ints(b2s.inputs[2])
    if crops is None or any(crops) or (expand is None) != (squeeze is None):
        return False
    y = b2s.outputs[0]
    w = conv.inputs[1]
    if w is None or len(w.shape) != 4 or not (_same_quant(x, mid) and _same_quant(conv.outputs[0], y)):
        return False
    kh, kw = int(w.shape[1]), int(w.shape[2])
    if len(x.shape) == 3:
        n, length, c = x.shape
        want = (n, length - (kw - 1) * block[0], int(w.shape[0]))
        dil_h, dil_w = 1, block[0]
    else:
        n, h, wd, c = x.shape
        want = (n, h - (kh - 1) * block[0], wd - (kw - 1) * block[1], int(w.shape[0]))
        dil_h, dil_w = block
    if tuple(y.shape) != want or min(want) <= 0 or w.shape[3] != x.shape[-1]:
        return False
    conv.options = dict(o, dilation_h_factor=dil_h, dilation_w_factor=dil_w)
    ops = graph.operators
    if expand is not None:
        x4 = expand.outputs[0]
        x4.shape = (x.shape[0], 1, x.shape[1], x.shape[2])
        expand.inputs = [x] + expand.inputs[1:]
        y4 = conv.outputs[0]
        y4.shape = (y.shape[0], 1, y.shape[1], y.shape[2])
        squeeze.inputs = [y4]
        squeeze.outputs = [y]
        squeeze.options = {}
    else:
        conv.inputs = [x] + conv.inputs[1:]
        conv.outputs = [y]
    graph.operators = [op for op in ops if op is not s2b and op is not b2s]
    return True


def fuse_dilated_conv(graph: Graph) -> None:
    changed = True
    while changed:
        changed = False
        consumers = graph.consumers()
        outputs = {id(t) for t in graph.outputs}
        for op in graph.operators:
            if op.op == "SPACE_TO_BATCH_ND" and len(op.inputs) >= 3 and _fuse_one(graph, op, consumers, outputs):
                changed = True
                break
