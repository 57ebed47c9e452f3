"""What the hybrid (scheme 'hybrid', dynamic-range) lowerings share: float32 activations, int8 constant
weights with quantization (per tensor or per channel), float32 bias; the kernels quantize their float input
at run time as desktop TFLite's (LiteRT's) reference hybrid kernels do (runtime_c/include/mcu_hybrid.h).
TFLM has no hybrid kernels; LiteRT with OpResolverType.BUILTIN_REF is the reference."""
from __future__ import annotations

import functools

import numpy as np

from .base import Sig
from .f32 import float_activation_range

HYBRID_SIG = Sig("hybrid", (("float32",), ("int8",), ("float32",)), (("float32",),), optional=(2,))


def hybrid_aware(rule):
    """A quantization rule for the integer schemes that, for hybrid operators, checks the weights only
    (their float input and output carry no quantization)."""
    @functools.wraps(rule)
    def check(self, op):
        if self.scheme(op) != "hybrid":
            return rule(self, op)
        w = op.inputs[1]
        if w.quant is None or w.quant.scale.size == 0:
            return f"hybrid weights '{w.name}' have no quantization parameters"
        if np.any(w.quant.zero_point != 0):
            return f"hybrid weights '{w.name}' have a nonzero zero point (LiteRT's hybrid kernels ignore it)"
        if not np.all(np.isfinite(w.quant.scale)):
            return f"hybrid weights '{w.name}' have a non-finite scale"
        return None
    check.__doc__ = (rule.__doc__ or "").strip() + (" Hybrid: the int8 weights carry finite scales and zero "
                                                    "points 0 (the float input and output carry none).")
    return check


def hybrid_activation(op) -> tuple[int, float, float]:
    """(clamp, lo, hi) of the fused activation in float; NONE: no clamp at all (LiteRT applies none)."""
    act = op.options.get("fused_activation_function", "NONE")
    lo, hi = float_activation_range(act)
    return int(act != "NONE"), lo, hi


def weight_scales(w, channels: int) -> np.ndarray:
    """The weight scales as float32, one per output channel (a per-tensor scale repeated)."""
    s = np.asarray(w.quant.scale, np.float32).reshape(-1)
    return s if s.size == channels else np.full(channels, s[0], np.float32)
