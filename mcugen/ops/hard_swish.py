"""HARD_SWISH, int8 (kernel: runtime_c/activation/mcu_hard_swish_s8.c).

TFLM HardSwishPrepare: hires_input_scale = in_scale / 128 (float32); the output
multiplier hires / out_scale and the "reluish" multiplier hires / (3 / 32768)
(both float32 quotients) are split by QuantizeMultiplier and their Q31 parts
rounded to Q15 (DownScaleInt32ToInt16Multiplier). TFLM fails Prepare when the
output multiplier's exponent is positive, i.e. out_scale <= in_scale / 128.
int16 stays unsupported: the TFLM interpreter prepares an int16 HARD_SWISH but
fails to invoke it ("Unsupported type INT16"), so there is no reference.
float32 (mcu_hard_swish_f32.c): TFLM's reference x * min(6, max(0, x + 3)) / 6.
"""
from __future__ import annotations

import numpy as np

from ..quant import f64, quantize_multiplier
from .base import Layer, register
from .relu import F32, S8, UnaryElementwise


def downscale_to_int16(m: int) -> int:
    """TFLM DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15, saturating."""
    if m >= (1 << 31) - 1 - (1 << 15):
        return (1 << 15) - 1
    return (m + (1 << 15)) >> 16


def hard_swish_params(in_scale: float, out_scale: float) -> tuple[int, int, int, int]:
    """(output multiplier Q15, output exponent, reluish multiplier Q15, reluish exponent)."""
    hires = np.float32(1.0 / 128.0) * np.float32(in_scale)
    reluish_scale = np.float32(3.0) / np.float32(32768.0)
    om, oe = quantize_multiplier(f64(hires / np.float32(out_scale)))
    rm, re = quantize_multiplier(f64(hires / reluish_scale))
    return downscale_to_int16(om), oe, downscale_to_int16(rm), re


@register
class HardSwish(UnaryElementwise):
    ops = ("HARD_SWISH",)
    signatures = (S8, F32)  # TFLM fails to invoke int16 HARD_SWISH
    f32_kernel = "hard_swish"  # float32: TFLM's reference x * min(6, max(0, x + 3)) / 6
    f32_source = "activation/mcu_hard_swish_f32.c"

    def rule_output_scale(self, op):
        """The output scale is above input scale / 128 (the output multiplier must not shift left)."""
        x, y = self.io(op)
        if x.quant is None or y.quant is None:
            return None
        _, oe, _, _ = hard_swish_params(x.quant.s, y.quant.s)
        return None if oe <= 0 else (f"output scale {y.quant.s:g} is too small for input scale "
                                     f"{x.quant.s:g} (needs more than input scale / 128)")

    def lower_s8(self, op, ctx):
        x, y = self.io(op)
        om, oe, rm, re = hard_swish_params(x.quant.s, y.quant.s)
        fields = [("size", x.size), ("input_zero_point", x.quant.zp), ("output_zero_point", y.quant.zp),
                  ("output_multiplier", om), ("output_exponent", oe),
                  ("reluish_multiplier", rm), ("reluish_exponent", re)]
        return Layer(op, function="hard_swish_s8", struct="hard_swish_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("activation/mcu_hard_swish_s8.c",))
