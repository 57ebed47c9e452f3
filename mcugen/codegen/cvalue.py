"""Field values of a layer's parameter struct, as C initialisers.

Handlers describe parameters as data; this is the one place that turns data
into C text:
  int / numpy integer / bool -> decimal literal (INT32_MIN spelled as such)
  float / numpy float        -> float literal ("1.5f", NAN, INFINITY)
  str                        -> a C expression the context made (a const array's name, NULL, a pointer)
  list / tuple / ndarray     -> { a, b, ... }
  dict                       -> { .key = value, ... } (keys in the order given)
"""
from __future__ import annotations

import numpy as np

from .context import c_literal


def c_value(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if not -(1 << 63) <= v < (1 << 64):
            raise ValueError(f"integer {v} does not fit a C integer type")
        if v == -(1 << 31):
            return "INT32_MIN"
        if v < -(1 << 31) or v >= (1 << 32):
            return f"INT64_C({v})" if v != -(1 << 63) else "INT64_MIN"
        if v >= (1 << 31):
            return f"{v}u"
        return str(v)
    if isinstance(value, (float, np.floating)):
        return c_literal(value, "float")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(c_value(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{ " + ", ".join(f".{k} = {c_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as a C initialiser")
