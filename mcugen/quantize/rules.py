"""What TFLM needs of a quantized graph, stated once per operator.

For each operator the quantizer handles: which input holds weights and along which axis they are
quantized per channel (the bias is then input 2, int32 with scale input_scale x weight_scale[c]), whether
the operator requires its activation inputs and output to share one quantization (the TFLM kernel copies or
compares values without rescaling them; the converter ties them the same way), and whether its int8 output
has a fixed quantization (the kernel writes in that scale whatever the tensor says), per activation type.
An operator absent from RULES is refused by the quantizer.

The 16x8 scheme (--activations int16): every activation int16 symmetric (zero point 0, which TFLM's int16
ADD, SUB, SOFTMAX, ... require), weights int8 as in int8, the bias of CONV_2D, DEPTHWISE_CONV_2D and
FULLY_CONNECTED int64 (BIAS_TYPE), and the int16 fixed output scales of SOFTMAX, LOGISTIC and TANH
(1/32768, zero point 0).

Mixed activations (a dict node index -> 'int8' | 'int16', rewrite.py): every rule applies per node, in that
node's type (its ties, its fixed output scale, its bias type BIAS_TYPE[type]); rewrite.py converts where a
tensor's producer and a reader differ in type.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    doc: str
    weights_axis: int | None = None  # input 1 is a constant weight tensor, per-channel along this axis
    same_scale: bool = False  # activation inputs and output share one quantization
    fixed_output: tuple[float, int] | None = None  # (scale, zero point) of an int8 output
    fixed_output_s16: tuple[float, int] | None = None  # (scale, zero point) of an int16 output
    tied_inputs: tuple[int, ...] = ()  # input indices that share the output's quantization (LSTM hidden state)
    own_params: bool = False  # weights, biases and states quantized by the operator's own module (lstm_rule)

    def fixed(self, dtype: str) -> tuple[float, int] | None:
        """The fixed output quantization for activations of `dtype`, or None."""
        return self.fixed_output_s16 if dtype == "int16" else self.fixed_output


BIAS_TYPE = {"int8": "int32", "int16": "int64"}  # bias of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED


RULES: dict[str, Rule] = {
    "CONV_2D": Rule("weights int8 symmetric per output channel (axis 0), bias int32", weights_axis=0),
    "DEPTHWISE_CONV_2D": Rule("weights int8 symmetric per channel (axis 3), bias int32", weights_axis=3),
    "FULLY_CONNECTED": Rule("weights int8 symmetric per output unit (axis 0), bias int32", weights_axis=0),
    "AVERAGE_POOL_2D": Rule("output quantization = input quantization (TFLM does not rescale)", same_scale=True),
    "MAX_POOL_2D": Rule("output quantization = input quantization (TFLM does not rescale)", same_scale=True),
    "RESHAPE": Rule("output quantization = input quantization (bytes are shared)", same_scale=True),
    "SQUEEZE": Rule("output quantization = input quantization (bytes are shared)", same_scale=True),
    "EXPAND_DIMS": Rule("output quantization = input quantization (bytes are shared)", same_scale=True),
    "PAD": Rule("output quantization = input quantization (padding is the zero point)", same_scale=True),
    "CONCATENATION": Rule("every input and the output share one quantization (TFLM copies bytes)",
                          same_scale=True),
    "TRANSPOSE": Rule("output quantization = input quantization (TFLM copies bytes)", same_scale=True),
    "STRIDED_SLICE": Rule("output quantization = input quantization (TFLM copies bytes)", same_scale=True),
    "SOFTMAX": Rule("output fixed: int8 scale 1/256, zero point -128; int16 scale 1/32768, zero point 0",
                    fixed_output=(1.0 / 256, -128), fixed_output_s16=(1.0 / 32768, 0)),
    "LOGISTIC": Rule("output fixed: int8 scale 1/256, zero point -128; int16 scale 1/32768, zero point 0",
                     fixed_output=(1.0 / 256, -128), fixed_output_s16=(1.0 / 32768, 0)),
    "TANH": Rule("output fixed: int8 scale 1/128, zero point 0; int16 scale 1/32768, zero point 0",
                 fixed_output=(1.0 / 128, 0), fixed_output_s16=(1.0 / 32768, 0)),
    "ADD": Rule("inputs and output quantized independently (the kernel rescales)"),
    "SUB": Rule("inputs and output quantized independently (the kernel rescales)"),
    "MUL": Rule("inputs and output quantized independently (the kernel rescales)"),
    "RELU": Rule("input and output quantized independently (the kernel rescales)"),
    "RELU6": Rule("input and output quantized independently (the kernel rescales)"),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": Rule(
        "the standard LSTM only (four gates, no peephole, projection or layer norm, TANH): int8 input and output, "
        "hidden state (input 18) = output quantization, weights int8 symmetric per tensor, biases int32 (scale "
        "input x input-weight), cell state int16 with a power-of-two scale (lstm_rule.py)",
        tied_inputs=(18,), own_params=True),
}
