"""Random 16x8 single-operator models (int16 activations with zero point 0, int8 symmetric weights) for
the s16 tests of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and the pools."""
from __future__ import annotations

import numpy as np

from mcugen.testing.builder import TensorSpec, single_op_model

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def act_scale(rng) -> float:
    """An int16 activation scale, log-uniform in [1e-5, 1e-2)."""
    return float(np.exp(rng.uniform(np.log(1e-5), np.log(1e-2))))


def weights(rng, shape, per_channel: bool, axis: int, extreme: bool = False):
    """Symmetric int8 weights (all +-127 / -128 when `extreme`) and their scales."""
    if extreme:
        w = rng.choice(np.array([-128, -127, 127], np.int8), size=shape)
    else:
        w = rng.integers(-127, 128, size=shape, dtype=np.int8)
    n = shape[axis] if per_channel else 1
    return w, [float(s) for s in np.exp(rng.uniform(np.log(1e-3), np.log(5e-2), size=n))]


def output_scale(rng, si: float, ws: list[float], k: int) -> float:
    """An output scale that keeps most outputs inside int16 but also reaches real multipliers above 1."""
    typical = si * float(np.mean(ws)) * 127 * np.sqrt(k)
    return float(typical * np.exp(rng.uniform(np.log(0.02), np.log(4.0))))


def bias(rng, n: int, dtype: str | None, si: float, ws: list[float]) -> TensorSpec | None:
    if dtype is None:
        return None
    limit = 10 ** 6 if dtype == "int32" else 10 ** 11
    data = rng.integers(-limit, limit, size=n, dtype=np.int64)
    return TensorSpec((n,), dtype, [si * s for s in ws], [0] * len(ws), data=data)


def out_size(pad: str, size: int, k: int, s: int, d: int) -> int:
    eff = (k - 1) * d + 1
    return (size + s - 1) // s if pad == "SAME" else (size - eff + s) // s


def geometry(rng, max_hw: int = 12):
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    s_h, s_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    d_h, d_w = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if rng.random() < 0.3 else (1, 1)
    if d_h > 1 or d_w > 1:
        s_h = s_w = 1
    pad = "SAME" if rng.random() < 0.5 else "VALID"
    h = int(rng.integers((k_h - 1) * d_h + 1, max_hw + (k_h - 1) * d_h))
    w = int(rng.integers((k_w - 1) * d_w + 1, max_hw + (k_w - 1) * d_w))
    return h, w, k_h, k_w, s_h, s_w, d_h, d_w, pad


def conv_model(seed: int, depthwise: bool, bias_type: str | None, per_channel: bool, small: bool = False,
               extreme: bool = False) -> bytes:
    rng = np.random.default_rng(seed)
    h, w, k_h, k_w, s_h, s_w, d_h, d_w, pad = geometry(rng, 6 if small else 12)
    n = 1 if small else int(rng.integers(1, 3))
    c_in = int(rng.integers(1, 4 if small else 10))
    mult = int(rng.integers(1, 4)) if depthwise else 1
    c_out = c_in * mult if depthwise else int(rng.integers(1, 4 if small else 10))
    si = act_scale(rng)
    shape = (1, k_h, k_w, c_out) if depthwise else (c_out, k_h, k_w, c_in)
    wt, ws = weights(rng, shape, per_channel, 3 if depthwise else 0, extreme)
    so = output_scale(rng, si, ws, k_h * k_w * (1 if depthwise else c_in))
    oh, ow = out_size(pad, h, k_h, s_h, d_h), out_size(pad, w, k_w, s_w, d_w)
    options = {"padding": pad, "stride_h": s_h, "stride_w": s_w, "dilation_h_factor": d_h,
               "dilation_w_factor": d_w, "fused_activation_function": ACTS[seed % 4]}
    if depthwise:
        options["depth_multiplier"] = mult
    return single_op_model(
        "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D",
        [TensorSpec((n, h, w, c_in), "int16", si, 0),
         TensorSpec(wt.shape, "int8", ws, [0] * len(ws), data=wt, quantized_dimension=3 if depthwise else 0),
         bias(rng, c_out, bias_type, si, ws)],
        [TensorSpec((n, oh, ow, c_out), "int16", so, 0)], options)


def fc_model(seed: int, bias_type: str | None, per_channel: bool, small: bool = False, depth: int | None = None,
             extreme: bool = False, keep_dims: bool = False) -> bytes:
    rng = np.random.default_rng(seed)
    batches = 1 if small else int(rng.integers(1, 4))
    depth = depth or int(rng.integers(1, 12 if small else 80))
    units = int(rng.integers(1, 6 if small else 40))
    si = act_scale(rng)
    wt, ws = weights(rng, (units, depth), per_channel, 0, extreme)
    so = output_scale(rng, si, ws, depth)
    in_shape = (batches, 1, depth) if keep_dims else (batches, depth)
    out_shape = (batches, 1, units) if keep_dims else (batches, units)
    return single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec(in_shape, "int16", si, 0), TensorSpec((units, depth), "int8", ws, [0] * len(ws), data=wt),
         bias(rng, units, bias_type, si, ws)],
        [TensorSpec(out_shape, "int16", so, 0)],
        {"fused_activation_function": ACTS[seed % 4], "keep_num_dims": keep_dims})


def pool_model(seed: int, op: str, small: bool = False) -> bytes:
    rng = np.random.default_rng(seed)
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    s_h, s_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    h, w = int(rng.integers(k_h, 7 if small else 13)), int(rng.integers(k_w, 7 if small else 13))
    n, c = (1, int(rng.integers(1, 4))) if small else (int(rng.integers(1, 3)), int(rng.integers(1, 10)))
    pad = "SAME" if seed % 2 else "VALID"
    oh, ow = out_size(pad, h, k_h, s_h, 1), out_size(pad, w, k_w, s_w, 1)
    s = act_scale(rng)
    return single_op_model(
        op, [TensorSpec((n, h, w, c), "int16", s, 0)], [TensorSpec((n, oh, ow, c), "int16", s, 0)],
        {"padding": pad, "stride_h": s_h, "stride_w": s_w, "filter_height": k_h, "filter_width": k_w,
         "fused_activation_function": ACTS[seed % 4]})
