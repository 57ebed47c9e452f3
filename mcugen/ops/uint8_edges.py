"""MCU_UINT8_TO_INT8 and MCU_INT8_TO_UINT8: the edges of a legacy uint8 model (passes/uint8_to_int8.py).

Internal operators, never in a .tflite file: the model keeps its uint8 inputs and outputs while its layers run
the int8 kernels; each edge flips the top bit of every byte (q - 128 as int8 is q ^ 0x80), which is exact.
Kernel: runtime_c/convert/mcu_flip_sign_8.c.
"""
from __future__ import annotations

from .base import Layer, OpHandler, Sig, register


@register
class Uint8Edge(OpHandler):
    ops = ("MCU_UINT8_TO_INT8", "MCU_INT8_TO_UINT8")
    signatures = (
        Sig("s8", (("uint8",),), (("int8",),)),
        Sig("s8", (("int8",),), (("uint8",),)),
    )

    def rule_same_quantization(self, op):
        """Input and output have the same shape and scale, and zero points 128 apart."""
        x, y = op.inputs[0], op.outputs[0]
        if x.size != y.size or x.quant is None or y.quant is None:
            return "input and output differ in size or have no quantization"
        up = 128 if x.dtype == "uint8" else -128
        if x.quant.s != y.quant.s or x.quant.zp - y.quant.zp != up:
            return "input and output quantization are not 128 apart"
        return None

    def overlap(self, op):
        """Each byte is read before it is written: the output may overwrite the input in place."""
        return {0: (0, None)}

    def lower_s8(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        return Layer(op, function="flip_sign_8", struct="flip_sign_params_t", fields=[("size", x.size)],
                     args=[ctx.ptr(x, "uint8_t"), ctx.ptr(y, "uint8_t")], sources=("convert/mcu_flip_sign_8.c",))
