"""Seeded calibration and evaluation data in the float models' real input ranges.

No data set ships with the models, so these are synthetic but shaped like the real thing (smooth in time
and frequency / space, in the range the int8 siblings' input quantization covers):
kws MFCC windows (49 frames x 10 coefficients, about -123..26), vww images (96x96x3 in 0..1), ad01 log-mel
rows (5 frames x 128 bands, about -85..15), hello_world x in [0, 2 pi].
"""
from __future__ import annotations

import numpy as np


def _smooth(rng, shape, axis, width):
    """Gaussian noise low-passed along `axis` by a moving average of `width`."""
    x = rng.standard_normal(shape)
    k = np.ones(width) / np.sqrt(width)
    return np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), axis, x)


def kws(n, seed):
    rng = np.random.default_rng(seed)
    c = np.arange(10)
    mean = np.where(c == 0, -45.0, 8.0 / (1 + c))  # c0 carries the energy
    std = np.where(c == 0, 28.0, 14.0 / np.sqrt(1 + c))
    level = rng.uniform(-1, 1, (n, 1, 1)) * std[None, None, :] * 0.8
    x = mean + level + std * 0.6 * _smooth(rng, (n, 49, 10), 1, 5)
    return np.clip(x, -123, 26).astype(np.float32).reshape(n, 1, 49, 10, 1)


def vww(n, seed):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:96, 0:96] / 95.0
    out = np.empty((n, 96, 96, 3), np.float32)
    for s in range(n):
        img = rng.uniform(0.2, 0.7, 3) + (rng.uniform(-0.4, 0.4, 3)[None, None, :]
                                          * (yy * rng.uniform(-1, 1) + xx * rng.uniform(-1, 1))[..., None])
        for _ in range(rng.integers(2, 6)):  # blobs
            cy, cx, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
            blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
            img = img + blob[..., None] * rng.uniform(-0.5, 0.5, 3)
        img = img + 0.03 * rng.standard_normal(img.shape)
        out[s] = np.clip(img, 0, 1)
    return out.reshape(n, 1, 96, 96, 3)


def ad01(n, seed):
    rng = np.random.default_rng(seed)
    bands = np.arange(128)
    base = -20.0 - 40.0 * bands / 127  # energy falls with frequency
    level = rng.uniform(-20, 15, (n, 1, 1))
    x = base + level + 6.0 * _smooth(rng, (n, 5, 128), 2, 9) + 2.0 * rng.standard_normal((n, 5, 128))
    return np.clip(x, -85, 15).astype(np.float32).reshape(n, 1, 640)


def hello_world(n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 2 * np.pi, (n, 1, 1)).astype(np.float32)


DATA = {"kws_ref_model_float": kws, "vww_96_float": vww, "ad01_fp32": ad01, "hello_world_float": hello_world}
