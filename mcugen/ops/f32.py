"""What the float32 (scheme 'f32') lowerings share: TFLM's float activation ranges, the grouped weight
layout of the float CONV_2D / FULLY_CONNECTED kernels, and the wrapper that confines integer-only rules
to the integer schemes."""
from __future__ import annotations

import functools

import numpy as np

F32_SIG_INPUTS = (("float32",), ("float32",), ("float32",))
FLT_MAX = float(np.finfo(np.float32).max)
GROUP = 8  # MCU_F32_GROUP in runtime_c/include/mcu_f32.h


def float_activation_range(act: str) -> tuple[float, float]:
    """TFLM CalculateActivationRange<float>: the clamp of a fused activation in float."""
    ranges = {"NONE": (-FLT_MAX, FLT_MAX), "RELU": (0.0, FLT_MAX), "RELU6": (0.0, 6.0),
              "RELU_N1_TO_1": (-1.0, 1.0)}
    if act not in ranges:
        raise ValueError(f"fused activation {act} has no float range")
    return ranges[act]


def group_rows(rows: np.ndarray, group: int = GROUP) -> np.ndarray:
    """[outputs, k] float32 -> [ceil(outputs / group), k, group]: `group` outputs' weights side by side per
    k (the last group padded with zeros), the order mcu_conv_f32 / mcu_fully_connected_f32 read."""
    rows = np.asarray(rows, np.float32)
    n, k = rows.shape
    padded = np.zeros((-(-n // group) * group, k), np.float32)
    padded[:n] = rows
    return np.ascontiguousarray(padded.reshape(-1, group, k).transpose(0, 2, 1))


def integer_only(rule):
    """A support rule that applies to the integer schemes only (float32 tensors carry no quantization)."""
    @functools.wraps(rule)
    def check(self, op):
        return None if self.scheme(op) == "f32" else rule(self, op)
    check.__doc__ = "Integer schemes: " + (rule.__doc__ or "").strip()
    return check
