"""`--bias-correction`: undo the shift of each output channel's mean that weight quantization causes.

Rounding the weights changes y = W x + b into y' = Wq x + b, whose mean over the calibration set differs
per output channel by E[(W - Wq) x] = (W - Wq) E[x] (the layer is linear in its weights): NNCF's bias
correction. E[x], the element-wise mean of the layer's float input over the calibration samples, comes
from the statistics pass; the shift is computed in float64 by the layer's own arithmetic (convolution with
its stride, padding and dilation; depthwise; fully connected), averaged over the output positions, and
added to the float bias before the bias is quantized. A layer without a bias gets none (the flatbuffer
would need a new tensor; such layers are left as they are and counted).
"""
from __future__ import annotations

import numpy as np

from ..ir import Operator


def _pad_amounts(n: int, k: int, stride: int, dilation: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) along one spatial axis, TFLite's rule."""
    ek = (k - 1) * dilation + 1
    if padding == "SAME":
        out = -(-n // stride)
        total = max((out - 1) * stride + ek - n, 0)
        return out, total // 2, total - total // 2
    return (n - ek) // stride + 1, 0, 0


def _patches(x: np.ndarray, kh: int, kw: int, opts: dict) -> np.ndarray:
    """(oh, ow, kh, kw, c) windows of x (h, w, c), zero padded."""
    sh, sw = opts.get("stride_h", 1), opts.get("stride_w", 1)
    dh, dw = opts.get("dilation_h_factor", 1), opts.get("dilation_w_factor", 1)
    pad = opts.get("padding", "VALID")
    oh, pt, pb = _pad_amounts(x.shape[0], kh, sh, dh, pad)
    ow, pl, pr = _pad_amounts(x.shape[1], kw, sw, dw, pad)
    xp = np.pad(x, ((pt, pb), (pl, pr), (0, 0)))
    out = np.empty((oh, ow, kh, kw, x.shape[2]))
    for i in range(kh):
        for j in range(kw):
            out[:, :, i, j, :] = xp[i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw, :]
    return out


def mean_shift(op: Operator, x_mean: np.ndarray, dw: np.ndarray) -> np.ndarray:
    """E[(W - Wq) x] per output channel, averaged over output positions; dw = W - Wq (float64)."""
    x = np.asarray(x_mean, np.float64)
    if op.op == "FULLY_CONNECTED":
        rows = x.reshape(-1, dw.shape[1])
        return (rows @ dw.T).mean(0)
    x = x.reshape(x.shape[-3:]) if x.ndim >= 3 else x
    if op.op == "CONV_2D":  # dw (O, kh, kw, I)
        p = _patches(x, dw.shape[1], dw.shape[2], op.options)
        return np.einsum("yxijc,oijc->o", p, dw) / (p.shape[0] * p.shape[1])
    if op.op == "DEPTHWISE_CONV_2D":  # dw (1, kh, kw, C*m)
        m = op.options.get("depth_multiplier", 1) or 1
        p = _patches(x, dw.shape[1], dw.shape[2], op.options)  # (..., C)
        p = np.repeat(p, m, axis=-1) if m > 1 else p
        return np.einsum("yxijc,ijc->c", p, dw[0]) / (p.shape[0] * p.shape[1])
    raise ValueError(op.op)


def corrected_biases(float_graph, quant_graph, means: dict[int, np.ndarray]) -> tuple[int, int]:
    """Re-quantize the bias of every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED of `quant_graph` (the
    rewrite of `float_graph`) with the mean shift
    added. means: flatbuffer tensor index of the float graph -> element-wise mean. Returns (corrected,
    skipped)."""
    fops = list(float_graph.operators)
    # the quantized twin of each float layer: the operator reading the same weights tensor (by name; the
    # rewrite keeps names, and may have inserted QUANTIZE / DEQUANTIZE operators anywhere)
    by_weights = {q.inputs[1].name: q for q in quant_graph.operators
                  if q.op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") and len(q.inputs) > 1}
    done = skipped = 0
    for f in fops:
        if f.op not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        q = by_weights.get(f.inputs[1].name)
        if q is None or q.inputs[1].dtype == "float32":  # kept in float: nothing to correct
            continue
        b = q.inputs[2] if len(q.inputs) > 2 else None
        mean = means.get(f.inputs[0].index)
        if b is None or mean is None or b.quant is None:
            skipped += 1
            continue
        w, wq = f.inputs[1].data.astype(np.float64), q.inputs[1]
        shape = [1] * wq.data.ndim
        if wq.quant.scale.size > 1:
            shape[wq.quant.axis] = -1
        wdeq = wq.data.astype(np.float64) * wq.quant.scale.astype(np.float64).reshape(shape)
        wdeq = wdeq.reshape(w.shape)  # a FULLY_CONNECTED written as a 1x1 CONV_2D (int4.fc_as_conv)
        shift = mean_shift(f, mean, w - wdeq)
        bf = f.inputs[2].data.astype(np.float64) + shift
        bs = np.broadcast_to(b.quant.scale.astype(np.float64), bf.shape)
        info = np.iinfo(b.data.dtype)
        b.data = np.clip(np.round(bf / bs), -info.max, info.max).astype(b.data.dtype)
        done += 1
    return done, skipped
