"""INT4 tensors (TensorType INT4): two values per byte, element 0 in the low nibble, sign-extended.

TFLite stores an int4 tensor densely over its flat (row-major) element order: value 2k in the low
nibble of byte k, value 2k+1 in its high nibble; an odd count leaves the last high nibble unused
(written as 0). The IR keeps such a constant as int8 values in [-8, 7] (`Tensor.data`, dtype name
'int4'); the writer packs them again, and kernels that read packed weights get them through
`pack_int4` in whatever order their layout needs.
"""
from __future__ import annotations

import numpy as np

INT4_MIN, INT4_MAX = -8, 7


def packed_size(n: int) -> int:
    """Bytes that `n` int4 values take packed."""
    return (int(n) + 1) // 2


def pack_int4(values) -> np.ndarray:
    """Int values in [-8, 7] (any shape, flattened in C order) -> uint8 bytes, two values per byte,
    element 2k in the low nibble of byte k."""
    v = np.asarray(values).reshape(-1).astype(np.int64)
    if v.size and (v.min() < INT4_MIN or v.max() > INT4_MAX):
        raise ValueError(f"int4 values must lie in [{INT4_MIN}, {INT4_MAX}], got [{v.min()}, {v.max()}]")
    nib = v & 0xF
    if nib.size % 2:
        nib = np.concatenate([nib, np.zeros(1, np.int64)])
    return (nib[0::2] | (nib[1::2] << 4)).astype(np.uint8)


def unpack_int4(raw, n: int) -> np.ndarray:
    """The first `n` int4 values of packed bytes `raw`, sign-extended to int8."""
    b = np.frombuffer(bytes(raw), dtype=np.uint8) if not isinstance(raw, np.ndarray) else raw.astype(np.uint8)
    if b.size < packed_size(n):
        raise ValueError(f"{b.size} bytes hold fewer than {n} int4 values")
    out = np.empty(2 * b.size, np.int64)
    out[0::2] = b & 0xF
    out[1::2] = b >> 4
    out = out[:n]
    return np.where(out >= 8, out - 16, out).astype(np.int8)
