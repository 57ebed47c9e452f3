"""`--weights int4`: int4 weights for CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, rounded to least harm.

What TFLM runs (and so what is written): TensorType INT4 weights, symmetric (zero point 0) with values in
[-8, 7], per output channel for CONV_2D (axis 0) and DEPTHWISE_CONV_2D (axis 3), int8 activations (TFLM
has no int4 x int16 kernel), int32 bias with scale input_scale x weight_scale. The IR keeps the values as
int8 numbers in [-8, 7]; the flatbuffer writer packs them two to a byte. TFLM fails to prepare a
FULLY_CONNECTED with per-channel int4 weights, and one scale for all units costs much (ad01's 640x128
layers: -5 dB at the output), so a FULLY_CONNECTED given per-channel int4 weights is written as the
1x1 CONV_2D it equals (fc_as_conv: RESHAPE to (1, 1, rows, depth), CONV_2D, RESHAPE back: the same
arithmetic, TFLM's CONV_2D takes per-channel int4; the RESHAPEs cost nothing in mcugen, which aliases them).
With --per-tensor it stays a FULLY_CONNECTED with one scale.

Sixteen levels leave little room, so the rounding is chosen, not just taken:

1. **Scales** (mse_scales): per channel (or for the tensor), the clipping ratio c in CLIP_RATIOS that
   minimises sum_k h_k (w_k - s q_k)^2 with s = c * max(max w / 7, -min w / 8), q = clip(round(w / s)),
   h_k the mean square of the input that weight k multiplies (the diagonal of the layer's input Gram matrix
   when calibration data is at hand; 1 otherwise). Clipping the largest weights buys a finer grid for all
   the others; how much is measured per channel.
2. **Rounding** (gptq): with the scales fixed, the weights of each channel are rounded one input at a time,
   largest h_k first, and each rounding error is pushed onto the weights not yet rounded through the inverse
   of the Gram matrix H = X^T X of the layer's float inputs X (im2col patches for the convolutions, one
   channel's taps for the depthwise), so that the layer's *output* error ||X (W - Q)^T||^2 is what is
   minimised, not the weights' (GPTQ, Frantar et al. 2022). H is damped by DAMP x its mean diagonal.
   Inputs that are always 0 get weight 0. GPTQ is run on the MSE scales and on them widened by each factor
   of GPTQ_SCALES (its error feedback can make a wider grid pay: ad01's first layer gains 1.5 dB at x1.05).
   The factor is chosen on held-out data — GPTQ fitted on the even calibration samples is scored on the odd
   ones and the other way round — because in-sample scores overfit: chosen on the samples it was fitted
   to, photo_mbnet's int4 model lost 4.4 dB at the output. Plain rounding (scored on all samples, it
   fits nothing) wins where GPTQ does not beat it held out; GPTQ is then run once more on all samples.
3. **In sequence** (sequential): the layers are rounded in graph order, each on the inputs the float model
   gives it once the layers before it carry their int4 weights, after its float weights are refitted to
   those inputs (least squares towards the float layer's output on the float inputs, _refit): each layer
   corrects what the ones before it got wrong. Measured at the output of the all-int4 models (TFLM, held-out
   samples): photo_mbnet 15.1 -> 24.6 dB with --weights mixed --max-flash 60%, digits CNN 35.9 -> 39.8.

Bias correction (bias_correction.py) stays off by default: it undoes part of step 3's refit, which shifts
channel means on purpose (measured: photo_mbnet -5.8 dB with it, ad01 +1.1 dB). All steps are
deterministic (no randomness; ties keep the first candidate).
"""
from __future__ import annotations

import numpy as np

from ..frontend.int4 import INT4_MAX, INT4_MIN
from .bias_correction import _patches

INT4_OPS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}  # operator -> per-channel axis
CLIP_RATIOS = tuple(np.round(np.linspace(1.0, 0.4, 31), 4))
DAMP = 0.01
GPTQ_SCALES = (1.0, 1.05, 1.1, 1.2)  # the MSE scales widened: GPTQ's error feedback prefers a wider grid
MAX_ROWS = 65536  # Gram matrices from at most this many patches per layer (evenly spaced)


def weight_rows(w: np.ndarray, op_name: str) -> np.ndarray:
    """The weights as rows, one per output channel, each in the order of the layer's input patch."""
    axis = INT4_OPS[op_name]
    return np.moveaxis(np.asarray(w, np.float64), axis, 0).reshape(w.shape[axis], -1)


def rows_to_weights(rows: np.ndarray, shape, op_name: str) -> np.ndarray:
    axis = INT4_OPS[op_name]
    moved = [shape[axis]] + [d for i, d in enumerate(shape) if i != axis]
    return np.moveaxis(rows.reshape(moved), 0, axis)


def _even_rows(x: np.ndarray, limit: int = MAX_ROWS) -> np.ndarray:
    return x if x.shape[0] <= limit else x[np.linspace(0, x.shape[0] - 1, limit).astype(np.int64)]


def patches(op, x: np.ndarray) -> np.ndarray:
    """The layer's input rows over the samples x (N, *input shape), float64, at most MAX_ROWS (evenly
    spaced): (rows, K) for CONV_2D (im2col patches) and FULLY_CONNECTED, (rows, K, C) for DEPTHWISE_CONV_2D
    (K = kh * kw taps of each input channel)."""
    w = op.inputs[1]
    if op.op == "FULLY_CONNECTED":
        return _even_rows(np.asarray(x, np.float64).reshape(-1, w.shape[1]))
    kh, kw = w.shape[1], w.shape[2]
    xs = np.asarray(x, np.float64).reshape((-1,) + tuple(x.shape[-3:]))
    if op.op == "CONV_2D":
        return _even_rows(np.concatenate([_patches(s, kh, kw, op.options).reshape(-1, kh * kw * xs.shape[-1])
                                          for s in xs]))
    return _even_rows(np.concatenate([_patches(s, kh, kw, op.options).reshape(-1, kh * kw, xs.shape[-1])
                                      for s in xs]))


def cross(op, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum over rows of a^T b for patches() of two input sets: (K, K), or (out channels, K, K) depthwise."""
    if op.op != "DEPTHWISE_CONV_2D":
        return a.T @ b
    m = op.options.get("depth_multiplier", 1) or 1
    per_in = np.einsum("pkc,plc->ckl", a, b)
    return np.repeat(per_in, m, axis=0) if m > 1 else per_in


def gram(op, x: np.ndarray) -> np.ndarray:
    """The Gram matrix of the layer's inputs over the samples x (N, *input shape), float64: (K, K) shared by
    every channel for CONV_2D / FULLY_CONNECTED (K = patch length), (channels, K, K) for DEPTHWISE_CONV_2D
    (K = kh * kw, one per output channel)."""
    p = patches(op, x)
    return cross(op, p, p)


def _diag(h: np.ndarray | None, rows: int, k: int) -> np.ndarray:
    """Per row and input, the weight of an error: the Gram matrix's diagonal (normalised), or 1."""
    if h is None:
        return np.ones((rows, k))
    d = np.diagonal(h, axis1=-2, axis2=-1).astype(np.float64)
    d = np.broadcast_to(d, (rows, k)).copy()
    mean = d.mean(axis=1, keepdims=True)
    return np.where(mean > 0, d / np.where(mean > 0, mean, 1.0), 1.0) + 1e-6


def _base_scale(rows: np.ndarray) -> np.ndarray:
    """Per row, the scale at which the grid [-8, 7] just covers the row."""
    return np.maximum(rows.max(axis=1) / INT4_MAX, -rows.min(axis=1) / -INT4_MIN)


def _round(rows: np.ndarray, s: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(rows / s.reshape(-1, 1)), INT4_MIN, INT4_MAX)


def mse_scales(rows: np.ndarray, h: np.ndarray | None = None, per_channel: bool = True,
               floor: np.ndarray | None = None) -> np.ndarray:
    """Scales (one per row, or one repeated for all rows) minimising the h-weighted squared rounding error
    over CLIP_RATIOS; never below `floor` (per row: the scale the bias needs to fit its type)."""
    n, k = rows.shape
    d = _diag(h, n, k)
    base = _base_scale(rows)
    if not per_channel:
        base = np.full(n, base.max())
        if floor is not None:
            floor = np.full(n, np.max(floor))
    best_err = np.full(n if per_channel else 1, np.inf)
    best = np.ones(n)
    for c in CLIP_RATIOS:
        s = base * c
        if floor is not None:
            s = np.maximum(s, floor)
        s = np.where(s > 0, s, 1.0)
        e = (d * (rows - _round(rows, s) * s.reshape(-1, 1)) ** 2).sum(axis=1)
        if not per_channel:
            e = np.array([e.sum()])
        better = e < best_err
        best_err = np.where(better, e, best_err)
        best = np.where(np.broadcast_to(better, (n,)), s, best)
    return best.astype(np.float32).astype(np.float64)


def _output_error(err: np.ndarray, h: np.ndarray) -> float:
    """sum over rows of e H e^T (H (K, K) shared, or (rows, K, K))."""
    if h.ndim == 2:
        return float(np.einsum("rk,kl,rl->", err, h, err))
    return float(np.einsum("rk,rkl,rl->", err, h, err))


def gptq(rows: np.ndarray, s: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Integer rows (values in [-8, 7]) for float `rows` on the grid of scales `s` (per row), minimising the
    output error through the (K, K) Gram matrix `h` shared by all rows (see the module docstring)."""
    w = rows.astype(np.float64).copy()
    hh = h.astype(np.float64).copy()
    k = hh.shape[0]
    dead = np.diagonal(hh) <= 0
    hh[dead, dead] = 1.0
    w[:, dead] = 0.0
    order = np.argsort(-np.diagonal(hh), kind="stable")
    w, hh = w[:, order], hh[np.ix_(order, order)]
    damp = DAMP * float(np.mean(np.diagonal(hh)))
    u = None
    for _ in range(4):
        try:
            u = np.linalg.cholesky(np.linalg.inv(hh + damp * np.eye(k))).T  # upper: Hinv = U^T U
            break
        except np.linalg.LinAlgError:
            damp *= 10
    if u is None or not np.all(np.isfinite(u)):
        return _round(rows, s)
    q = np.empty_like(w)
    sc = s.reshape(-1)
    for i in range(k):
        qi = np.clip(np.rint(w[:, i] / sc), INT4_MIN, INT4_MAX)
        q[:, i] = qi
        e = (w[:, i] - qi * sc) / u[i, i]
        if i + 1 < k:
            w[:, i + 1:] -= np.outer(e, u[i, i + 1:])
    out = np.empty_like(q)
    out[:, order] = q
    return out


def _gptq_rows(rows: np.ndarray, s: np.ndarray, h: np.ndarray) -> np.ndarray:
    """gptq for a (K, K) Gram matrix shared by the rows, or one (rows, K, K) matrix per row."""
    if h.ndim == 2:
        return gptq(rows, s, h)
    return np.stack([gptq(rows[r:r + 1], s[r:r + 1], h[r])[0] for r in range(rows.shape[0])])


def quantize_rows(rows: np.ndarray, h: np.ndarray | None, per_channel: bool,
                  floor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """(int rows in [-8, 7], scales per row, 'gptq' | 'round') for float weight rows; h: the Gram matrix
    ((K, K), or (rows, K, K) per row) or None (no data: plain rounding on the MSE scales)."""
    folds = None
    if isinstance(h, tuple):  # (all samples, even samples, odd samples)
        h, folds = h[0], h[1:]
    s = mse_scales(rows, h, per_channel, floor)
    plain = _round(rows, s)
    if h is None:
        return plain, s, "round"

    def run(sm, hh):
        return _gptq_rows(rows, sm, hh)

    def held_out(sm):
        """GPTQ fitted on one half of the samples, its output error measured on the other, both ways."""
        if folds is None:
            q = run(sm, h)
            return _output_error(rows - q * sm.reshape(-1, 1), h)
        a, b = folds
        return sum(_output_error(rows - run(sm, fit) * sm.reshape(-1, 1), test) for fit, test in ((a, b), (b, a)))
    best = (_output_error(rows - plain * s.reshape(-1, 1), h), None, s)
    for m in GPTQ_SCALES:
        sm = (s * m).astype(np.float32).astype(np.float64)
        e = held_out(sm)
        if e < best[0]:
            best = (e, m, sm)
    if best[1] is None:
        return plain, s, "round"
    return run(best[2], h), best[2], "gptq"


def quantize_int4(op, w: np.ndarray, h: np.ndarray | None, per_channel: bool = True,
                  floor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int, str]:
    """(int4 values as int8 in the weights' shape, float32 scales, quantized axis, rounding) for the float
    weights `w` of `op`."""
    rows = weight_rows(w, op.op)
    q, s, how = quantize_rows(rows, h, per_channel, floor)
    scales = s.astype(np.float32) if per_channel else s[:1].astype(np.float32)
    return rows_to_weights(q, w.shape, op.op).astype(np.int8), scales, INT4_OPS[op.op] if per_channel else 0, how


def fc_as_conv(g, op) -> None:
    """Replace the quantized FULLY_CONNECTED `op` of graph `g` (per-channel int4 weights) in place by
    RESHAPE -> CONV_2D 1x1 -> RESHAPE computing the same values (see the module docstring)."""
    from ..ir import Operator, Tensor
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    units, depth = w.shape
    rows = int(np.prod(x.shape)) // depth

    def shape_const(name, shape):
        t = Tensor(name, (len(shape),), "int32", data=np.asarray(shape, np.int32), index=-1)
        g.tensors.append(t)
        return t
    x4 = Tensor(f"{x.name}_as_image", (1, 1, rows, depth), x.dtype, quant=x.quant, index=-1)
    y4 = Tensor(f"{y.name}_as_image", (1, 1, rows, units), y.dtype, quant=y.quant, index=-1)
    g.tensors += [x4, y4]
    w.shape = (units, 1, 1, depth)
    w.data = w.data.reshape(w.shape)
    conv = Operator("CONV_2D", [x4, w] + list(op.inputs[2:3]), [y4],
                    {"padding": "VALID", "stride_w": 1, "stride_h": 1, "dilation_w_factor": 1,
                     "dilation_h_factor": 1,
                     "fused_activation_function": op.options.get("fused_activation_function", "NONE")}, index=-1)
    pre = Operator("RESHAPE", [x, shape_const(f"{x.name}_image_shape", x4.shape)], [x4],
                   {"new_shape": list(x4.shape)}, index=-1)
    post = Operator("RESHAPE", [y4, shape_const(f"{y.name}_shape", y.shape)], [y], {"new_shape": list(y.shape)},
                    index=-1)
    k = next(i for i, o in enumerate(g.operators) if o is op)
    g.operators[k:k + 1] = [pre, conv, post]


class Rounding:
    """The int4 weights of one quantization run: the Gram matrices of the layers' inputs (by node index) and
    the results already computed (the mixed-precision search quantizes the same layer many times)."""

    def __init__(self, grams: dict | None = None, targets: dict | None = None):
        self.grams = dict(grams or {})
        self.targets = dict(targets or {})  # node -> the float weights to round instead (sequential)
        self.how: dict[int, str] = {}  # node -> 'gptq' | 'round'
        self._memo: dict = {}

    def quantize(self, op, w: np.ndarray, per_channel: bool, floor: np.ndarray | None):
        w = self.targets.get(op.index, w)
        key = (op.index, bool(per_channel), np.asarray(w).tobytes())
        if floor is not None:  # the bias's need: binds only when it exceeds the scales found without it
            q, sc, _, _ = self.quantize(op, w, per_channel, None)
            if np.all(sc.astype(np.float64) >= np.max(floor) if sc.size == 1 else sc >= floor):
                return self.quantize(op, w, per_channel, None)
            key += (np.asarray(floor).tobytes(),)
        if key not in self._memo:
            self._memo[key] = quantize_int4(op, w, self.grams.get(op.index), per_channel, floor)
            self.how[op.index] = self._memo[key][3]
        q, s, axis, how = self._memo[key]
        return q.copy(), s.copy(), axis, how


def _refit(op, w_rows: np.ndarray, hq: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The weights W' that make the layer's output on its quantized-model inputs closest to the float
    layer's output on its float inputs: argmin ||Pq W'^T - Pf W^T||^2 + lam ||W' - W||^2 (lam = DAMP x the
    mean diagonal of hq = Pq^T Pq; c = Pq^T Pf), per output channel for the depthwise."""
    if hq.ndim == 2:
        lam = DAMP * float(np.mean(np.diagonal(hq))) + 1e-30
        return np.linalg.solve(hq + lam * np.eye(hq.shape[0]), c @ w_rows.T + lam * w_rows.T).T
    out = np.empty_like(w_rows)
    for r in range(w_rows.shape[0]):
        lam = DAMP * float(np.mean(np.diagonal(hq[r]))) + 1e-30
        out[r] = np.linalg.solve(hq[r] + lam * np.eye(hq.shape[1]), c[r] @ w_rows[r] + lam * w_rows[r])
    return out


def sequential(g, model: bytes, arrays: list[np.ndarray], ops, int4_nodes=None, per_channel: bool = True,
               samples: int = 256) -> "Rounding":
    """The Rounding of `ops` done in graph order on the inputs the quantized model gives them (GPTQ's
    sequential mode, with a refit): each layer's input rows come from the float model in which the layers
    already rounded (those of `int4_nodes`, default all) carry their int4 weights (dequantized), its float
    weights are refitted to those inputs (_refit: the float layer's output on the float inputs is the
    target), and the refitted weights are rounded (quantize_rows, on the Gram matrices of the quantized
    inputs: all samples, even and odd). So each layer corrects what the layers before it got wrong: on
    photo_mbnet's all-int4 weights, 19.0 dB at the output of the float model instead of 13.9 rounding each
    layer on its float inputs alone."""
    import copy
    from ..frontend.tflite_writer import write_model
    from .statistics import collect_values
    xs = [np.asarray(x)[:samples] for x in arrays]
    nodes = {op.index for op in ops} if int4_nodes is None else set(int4_nodes)
    todo = [op for op in ops if op.index in nodes]
    want = sorted({op.inputs[0].index for op in todo})
    vf = collect_values(model, want, xs) if todo else {}
    memo: dict = {}
    gq = copy.deepcopy(g, memo)
    r = Rounding()
    for k, op in enumerate(todo):
        xi = op.inputs[0].index
        xq = vf[xi] if k == 0 else collect_values(write_model(gq), [xi], xs)[xi]
        w = op.inputs[1].data.astype(np.float64)
        rows = weight_rows(w, op.op)
        pf, pq = patches(op, vf[xi]), patches(op, xq)
        hq = cross(op, pq, pq)
        target = _refit(op, rows, hq, cross(op, pq, pf)) if k else rows
        r.targets[op.index] = rows_to_weights(target, w.shape, op.op).astype(np.float32)
        if pq.shape[0] >= 4:
            ev, od = pq[0::2], pq[1::2]
            r.grams[op.index] = (hq, cross(op, ev, ev), cross(op, od, od))
        else:
            r.grams[op.index] = hq
        q, sc, axis, _ = r.quantize(op, r.targets[op.index], per_channel, None)
        shape = [1] * q.ndim
        if sc.size > 1:
            shape[axis] = -1
        memo[id(op.inputs[1])].data = (q.astype(np.float64) * sc.astype(np.float64).reshape(shape)).astype(
            np.float32).reshape(op.inputs[1].shape)
    return r


def layer_grams(g, model: bytes, arrays: list[np.ndarray], ops, samples: int = 256) -> dict[int, np.ndarray]:
    """{node index: Gram matrix} of `ops`' float inputs on the first `samples` calibration samples."""
    from .statistics import collect_values
    want = sorted({op.inputs[0].index for op in ops})
    vals = collect_values(model, want, [np.asarray(x)[:samples] for x in arrays])
    out = {}
    for op in ops:
        v = vals[op.inputs[0].index]
        even, odd = (gram(op, v[0::2]), gram(op, v[1::2])) if v.shape[0] >= 4 else (None, None)
        out[op.index] = (even + odd, even, odd) if even is not None else gram(op, v)
    return out


def packed_bytes(n: int) -> int:
    return (int(n) + 1) // 2
