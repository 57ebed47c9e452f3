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


# ---- gemmlowp / TFLM integer arithmetic in Python (for build-time tables) ------------------------

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _wrap_i32(v: int) -> int:
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


def sat_rdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul: high 32 bits of 2ab, rounded half up, saturating INT32_MIN^2."""
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    q = abs(ab + nudge) >> 31  # C integer division truncates toward zero
    return q if ab + nudge >= 0 else -q


def rdbpot(x: int, e: int) -> int:
    """RoundingDivideByPOT: x / 2^e rounded half away from zero."""
    mask = (1 << e) - 1
    rem = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > threshold else 0)


def sat_mul_pot(x: int, e: int) -> int:
    """SaturatingRoundingMultiplyByPOT<e>: a saturating left shift for e > 0, rdbpot for e < 0."""
    if e < 0:
        return rdbpot(x, -e)
    if x > (INT32_MAX >> e):
        return INT32_MAX
    if x < (INT32_MIN >> e):
        return INT32_MIN
    return x << e


def multiply_by_quantized_multiplier(x: int, mult: int, shift: int) -> int:
    """TFLM's int32 MultiplyByQuantizedMultiplier (double rounding), x * (1 << left) wrapping like int32."""
    left, right = (shift, 0) if shift > 0 else (0, -shift)
    return rdbpot(sat_rdhm(_wrap_i32(x * (1 << left)), mult), right)


def inv_sqrt_multiplier_exp(x: int, reverse_shift: int = -1) -> tuple[int, int]:
    """TFLM GetInvSqrtQuantizedMultiplierExp: 1/sqrt(x) as (Q31 multiplier, shift) by five Newton-Raphson steps
    in gemmlowp fixed point with 3 integer bits; x <= 1 gives (INT32_MAX, 0)."""
    if x <= 1:
        return INT32_MAX, 0
    shift = 11
    while x >= (1 << 29):
        x //= 4
        shift += 1
    clz = 32 - x.bit_length()
    pairs = (clz - 1) // 2 - 1
    shift -= pairs
    x <<= 2 * pairs
    half_input = rdbpot(x >> 1, 1)                 # F3
    half_three = (1 << 28) + (1 << 27)             # 1.5 in F3
    v = 1 << 28                                    # F3 one
    for _ in range(5):
        x3 = sat_mul_pot(sat_rdhm(sat_rdhm(v, v), v), 6)      # F9 -> F3
        d = _wrap_i32(sat_rdhm(half_three, v) - sat_rdhm(half_input, x3))  # F6
        v = sat_mul_pot(d, 3)                                   # F6 -> F3
    v = sat_rdhm(v, 1518500250)                    # times sqrt(2)/2 (F0)
    if shift < 0:
        v = _wrap_i32(v << -shift)
        shift = 0
    return v, shift * reverse_shift
