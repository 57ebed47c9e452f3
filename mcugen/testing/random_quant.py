"""Random quantization parameters and weights for single-operator test models."""
from __future__ import annotations

import numpy as np


def rand_act_quant(rng: np.random.Generator) -> tuple[float, int]:
    """An activation scale in [0.002, 0.5) (log-uniform) and a zero point in [-128, 127]."""
    return float(np.exp(rng.uniform(np.log(0.002), np.log(0.5)))), int(rng.integers(-128, 128))


def rand_weights(rng: np.random.Generator, shape: tuple[int, ...], per_channel: bool, axis: int):
    """Symmetric int8 weights and their scales (one per channel along `axis`, or one)."""
    w = rng.integers(-127, 128, size=shape, dtype=np.int8)
    n = shape[axis] if per_channel else 1
    scales = [float(s) for s in np.exp(rng.uniform(np.log(0.001), np.log(0.05), size=n))]
    return w, scales


def rand_bias(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(-20000, 20000, size=n, dtype=np.int32)
