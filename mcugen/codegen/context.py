"""The LowerContext the code generator gives operator handlers."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ..ir import Tensor
from ..ops.base import LowerContext
from ..planner import Plan

CTYPES = {
    "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "uint16": "uint16_t", "int32": "int32_t",
    "uint32": "uint32_t", "int64": "int64_t", "float32": "float", "bool": "uint8_t",
}
_NP = {"int8_t": np.int8, "uint8_t": np.uint8, "int16_t": np.int16, "int32_t": np.int32, "float": np.float32,
       "int64_t": np.int64, "uint16_t": np.uint16, "uint32_t": np.uint32}


@dataclass
class ConstArray:
    name: str
    ctype: str
    values: np.ndarray  # flattened

    @property
    def nbytes(self) -> int:
        return int(self.values.nbytes)


def c_literal(value, ctype: str) -> str:
    if ctype == "float":
        x = float(np.float32(value))
        if x != x:
            return "NAN"
        if x in (float("inf"), float("-inf")):
            return "INFINITY" if x > 0 else "-INFINITY"
        text = f"{x:.9g}"
        return text + ("f" if any(ch in text for ch in ".e") else ".0f")
    v = int(value)
    if ctype == "int32_t" and v == -(1 << 31):
        return "INT32_MIN"
    return str(v)


class GenContext(LowerContext):
    def __init__(self, name: str, plan: Plan, features: frozenset = frozenset()):
        self.name = name
        self.features = frozenset(features)
        self.plan = plan
        self.consts: list[ConstArray] = []
        self._by_hash: dict[tuple, str] = {}
        self._names: set[str] = set()
        self.step = 0
        self.layer_weight_bytes = 0

    def const(self, hint: str, array: np.ndarray, ctype: str) -> str:
        values = np.ascontiguousarray(np.asarray(array).astype(_NP[ctype]).ravel())
        self.layer_weight_bytes += values.nbytes
        key = (ctype, hashlib.sha256(values.tobytes()).hexdigest())
        if key in self._by_hash:  # identical constants are stored once
            return self._by_hash[key]
        name = f"{self.name}_l{self.step}_{hint}"
        i = 1
        while name in self._names:
            i += 1
            name = f"{self.name}_l{self.step}_{hint}{i}"
        self._names.add(name)
        self.consts.append(ConstArray(name, ctype, values))
        self._by_hash[key] = name
        return name

    def ptr(self, tensor: Tensor, ctype: str | None = None) -> str:
        ctype = ctype or CTYPES[tensor.dtype]
        if tensor.is_const:
            return self.const("data", tensor.data, ctype)
        return f"({ctype} *)(arena + {self.plan.offset_of(tensor)})"

    def reversed_step(self) -> bool:
        return self.step in self.plan.reverse_steps

    def scratch(self, nbytes: int, ctype: str = "int8_t") -> str:
        return f"({ctype} *)(arena + {self.plan.scratch_offset(self.step)})"
