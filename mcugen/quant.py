"""Build-time quantization arithmetic (Python side of the fixed-point recipes).

Everything here mirrors what TFLM computes when it prepares a kernel, so the
constants the generated C uses are the ones TFLM would use at run time.
"""
from __future__ import annotations

import math

import numpy as np

ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")


def quantize_multiplier(real: float) -> tuple[int, int]:
    """Split a positive real multiplier into (M, shift), M in [2^30, 2^31), real ~= M * 2^(shift-31).

    frexp, then round M*2^31 half away from zero; a result of 2^31 is halved and
    the shift incremented; a shift below -31 flushes to (0, 0).
    """
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = int(math.copysign(math.floor(abs(q) * (1 << 31) + 0.5), q))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        shift, q_fixed = 30, (1 << 31) - 1
    return q_fixed, shift


def quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    """As quantize_multiplier, for 0 < real < 1 (shift <= 0)."""
    return quantize_multiplier(real)


def type_range(dtype: str) -> tuple[int, int]:
    """The representable range of an integer tensor type: (-128, 127) for int8, (-32768, 32767) for int16."""
    info = np.iinfo(np.dtype(dtype))
    return int(info.min), int(info.max)


def activation_range(act: str, scale: float, zero_point: int, dtype: str) -> tuple[int, int]:
    """Clamp range in quantized space for a fused activation (TFLM CalculateActivationRangeQuantized).

    `dtype` is the output tensor's type: the range is clipped to what that type holds."""
    qmin, qmax = type_range(dtype)

    def q(x: float) -> int:
        return zero_point + int(round_half_away(np.float32(x) / np.float32(scale)))

    if act == "NONE":
        return qmin, qmax
    if act == "RELU":
        return max(qmin, q(0.0)), qmax
    if act == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if act == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"fused activation {act} has no quantized range")


def round_half_away(x) -> float:
    """std::round: halves go away from zero."""
    x = float(x)
    return math.copysign(math.floor(abs(x) + 0.5), x)


def f64(x) -> float:
    """A float32 quantity widened to double, as TFLM's static_cast<double>(float)."""
    return float(np.float32(x))


def checked_log2(x: float) -> tuple[bool, int]:
    """TFLM CheckedLog2: (x is within 1e-3 of a power of two in log2, log2(x) rounded), in float32 as TFLM
    computes it (logf(x) * (1 / logf(2)), rounded half away from zero)."""
    lg = np.float32(np.float32(math.log(float(np.float32(x)))) * np.float32(np.float32(1.0) / np.float32(math.log(2.0))))
    r = np.float32(round_half_away(lg))
    return bool(abs(float(np.float32(lg - r))) < 1e-3), int(r)


def reduce_multiplier_16(multiplier: int) -> int:
    """TFLM's int64 MultiplyByQuantizedMultiplier first rounds the Q31 multiplier to 16 bits:
    (M + 2^15) >> 16, or 0x7FFF when M >= 0x7FFF0000."""
    m = int(multiplier)
    return (m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF


def requantize_64(x: int, multiplier: int, shift: int) -> int:
    """TFLM MultiplyByQuantizedMultiplier(int64_t x, M, shift) on Python integers (shift in [-31, 7]):
    (x * reduced + 2^(14 - shift)) >> (15 - shift), truncated to int32 as TFLM's static_cast."""
    total = 15 - int(shift)
    v = (int(x) * reduce_multiplier_16(multiplier) + (1 << (total - 1))) >> total
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)
