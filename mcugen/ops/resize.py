"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (kernels: runtime_c/shape/mcu_resize.c).

The source row and column of every output pixel depend only on the sizes and
options, so they are computed here at build time with TFLM's arithmetic
(reference resize_nearest_neighbor.h / resize_bilinear.h), in float32 where
TFLM uses float, and the kernels walk tables:

  nearest: scale = in/out (align_corners and out > 1: (in-1)/(out-1)), in
      float32; src = floor((i + offset) * scale) (align_corners: round half away
      from zero), offset 0.5 with half_pixel_centers, clamped to [0, in-1].
  bilinear int8 (integer, no float): scale_10 = (1024*in + out/2) / out
      (align_corners: (1024*(in-1) + (out-1)/2) / (out-1)); v = i*scale_10
      (half_pixel_centers: + scale_10/2 - 512); lo = max(v / 1024, 0) (C
      division), hi = min((v + 1023) / 1024, in-1); weight of hi = v - 1024*lo.
  bilinear float32: v = i*scale (half_pixel: (i+0.5)*scale - 0.5) in float32,
      lo = max(floor(v), 0), hi = min(ceil(v), in-1), weight v - lo.

TFLM (checked against the pip interpreter): 4-D NHWC input, a constant int32
`size` of 2 values; nearest takes int8, int16 and float32, bilinear int8 and
float32 (int16 fails at Eval); bilinear refuses align_corners together with
half_pixel_centers, nearest allows it. Values are not requantized.
"""
from __future__ import annotations

import math

import numpy as np

from .base import Layer, OpHandler, register
from .transpose import data_ptr, same_type

F = np.float32


def _round_half_away(v: float) -> int:
    return int(math.floor(v + 0.5)) if v >= 0 else -int(math.floor(-v + 0.5))


def nearest_table(n_in: int, n_out: int, align: bool, half: bool) -> list[int]:
    scale = F(n_in - 1) / F(n_out - 1) if align and n_out > 1 else F(n_in) / F(n_out)
    off = F(0.5) if half else F(0.0)
    out = []
    for i in range(n_out):
        v = float((F(i) + off) * scale)
        src = min(_round_half_away(v) if align else math.floor(v), n_in - 1)
        out.append(max(src, 0) if half else src)
    return out


def _cdiv(a: int, b: int) -> int:
    """C's integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def bilinear_table_int(n_in: int, n_out: int, align: bool, half: bool) -> list[int]:
    if align and n_out > 1:
        s10 = (1024 * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1)
    else:
        s10 = (1024 * n_in + n_out // 2) // n_out
    out = []
    for i in range(n_out):
        v = i * s10 + s10 // 2 - 512 if half else i * s10
        lo = max(_cdiv(v, 1024), 0)
        hi = min(_cdiv(v + 1023, 1024), n_in - 1)
        out += [lo, hi, v - 1024 * lo]
    return out


def bilinear_table_float(n_in: int, n_out: int, align: bool, half: bool) -> tuple[list[int], list[float]]:
    scale = F(n_in - 1) / F(n_out - 1) if align and n_out > 1 else F(n_in) / F(n_out)
    table, weights = [], []
    for i in range(n_out):
        v = (F(i) + F(0.5)) * scale - F(0.5) if half else F(i) * scale
        lo = max(int(math.floor(float(v))), 0)
        hi = min(int(math.ceil(float(v))), n_in - 1)
        table += [lo, hi, 0]
        weights.append(F(v - F(lo)))
    return table, weights


@register
class Resize(OpHandler):
    ops = ("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR")

    def rule_types(self, op):
        """Input and output have one type: int8, int16 or float32 (nearest neighbour), int8 or
        float32 (bilinear) (TFLM's types)."""
        types = ("int8", "int16", "float32") if op.op == "RESIZE_NEAREST_NEIGHBOR" else ("int8", "float32")
        return same_type(op, types)

    def rule_geometry(self, op):
        """The input is 4-D NHWC, `size` a constant int32 vector of the two output sizes (height,
        width), all at least 1, and the output is (batch, height, width, channels)."""
        x, y = op.inputs[0], op.outputs[0]
        if len(x.shape) != 4:
            return f"input has {len(x.shape)} dimensions, needs 4 (NHWC)"
        s = op.inputs[1] if len(op.inputs) > 1 else None
        if s is None or not s.is_const or s.dtype != "int32" or s.size != 2:
            return "size must be a constant int32 tensor of 2 values"
        h, w = (int(v) for v in np.asarray(s.data).reshape(-1))
        if h < 1 or w < 1:
            return f"output size {h}x{w} must be at least 1x1"
        want = (x.shape[0], h, w, x.shape[3])
        return None if tuple(y.shape) == want else f"output shape {y.shape}, expected {want}"

    def rule_options(self, op):
        """RESIZE_BILINEAR takes align_corners or half_pixel_centers, not both (TFLM refuses both)."""
        o = op.options
        if op.op == "RESIZE_BILINEAR" and o.get("align_corners") and o.get("half_pixel_centers"):
            return "align_corners and half_pixel_centers are both set"
        return None

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        n, ih, iw, c = x.shape
        oh, ow = y.shape[1], y.shape[2]
        align, half = bool(op.options.get("align_corners")), bool(op.options.get("half_pixel_centers"))
        fields = [("batches", n), ("in_h", ih), ("in_w", iw), ("out_h", oh), ("out_w", ow), ("depth", c),
                  ("elem_size", x.itemsize)]
        if op.op == "RESIZE_NEAREST_NEIGHBOR":
            fields += [("y_table", ctx.const("rows", np.array(nearest_table(ih, oh, align, half)), "int32_t")),
                       ("x_table", ctx.const("cols", np.array(nearest_table(iw, ow, align, half)), "int32_t")),
                       ("y_weight", "NULL"), ("x_weight", "NULL")]
            return Layer(op, function="resize_nearest_b", struct="resize_params_t", fields=fields,
                         args=[data_ptr(ctx, x), ctx.ptr(y, "void")], sources=("shape/mcu_resize.c",))
        if x.dtype == "int8":
            fields += [("y_table", ctx.const("rows", np.array(bilinear_table_int(ih, oh, align, half)), "int32_t")),
                       ("x_table", ctx.const("cols", np.array(bilinear_table_int(iw, ow, align, half)), "int32_t")),
                       ("y_weight", "NULL"), ("x_weight", "NULL")]
            fn = "resize_bilinear_s8"
        else:
            ty, wy = bilinear_table_float(ih, oh, align, half)
            tx, wx = bilinear_table_float(iw, ow, align, half)
            fields += [("y_table", ctx.const("rows", np.array(ty), "int32_t")),
                       ("x_table", ctx.const("cols", np.array(tx), "int32_t")),
                       ("y_weight", ctx.const("row_w", np.array(wy, F), "float")),
                       ("x_weight", ctx.const("col_w", np.array(wx, F), "float"))]
            fn = "resize_bilinear_f32"
        return Layer(op, function=fn, struct="resize_params_t", fields=fields,
                     args=[data_ptr(ctx, x), ctx.ptr(y)], sources=("shape/mcu_resize.c",))
