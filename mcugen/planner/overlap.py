"""Operator-aware overlap: when may an operator's output share bytes with its input?

A kernel that streams through its output in order (pixel by pixel, each pixel's
channels written after the input they need was read) can write over input bytes
that no later output needs any more. If the input X is placed at byte offset
`d` from the start of the output Y (offset(X) = offset(Y) + d), writing output
byte b (relative to Y) is safe when every input byte still needed at that
moment lies at or after b, i.e. when for every output pixel p

    (p + 1) * out_bytes_per_pixel  <=  d + first_needed(p)

where first_needed(p) is the lowest input byte read while computing pixel p or
any later pixel (the kernel reads pixel p's whole window before its last channel
is written). The smallest such d is `min_input_offset`. This holds only if X
dies at this operator (no later reader, not a model output), which analysis
checks; the verifier then allows exactly this pair to overlap.

A kernel that can also run backwards (last pixel first) allows the mirror
image: the output placed at least `e` bytes past the input's start, with

    e + p * out_bytes_per_pixel  >  last_needed(p)

where last_needed(p) is the highest input byte read for pixel p or any earlier
pixel. The planner picks a direction per operator so that chains of layers do
not drift in one direction.

Each handler declares its rules through `OpHandler.overlap(op)`:
{input index: (forward minimum offset, backward minimum offset or None)}.
"""
from __future__ import annotations

import numpy as np


def streaming_min_offset(out_bytes_per_pixel: int, first_needed: np.ndarray) -> int:
    """Smallest d with (p + 1) * out_bytes_per_pixel <= d + first_needed[p] for all p.

    `first_needed[p]` must already be the suffix minimum over pixels >= p.
    """
    p = np.arange(first_needed.size, dtype=np.int64)
    return int(max(0, ((p + 1) * out_bytes_per_pixel - first_needed).max(initial=0)))


def reverse_min_offset(out_bytes_per_pixel: int, last_needed: np.ndarray) -> int:
    """Smallest e with e + p * out_bytes_per_pixel > last_needed[p] for all p (prefix maximum given)."""
    p = np.arange(last_needed.size, dtype=np.int64)
    return int(max(0, (last_needed + 1 - p * out_bytes_per_pixel).max(initial=0)))


def window_last_needed(batches: int, in_h: int, in_w: int, in_c: int, out_h: int, out_w: int, k_h: int, k_w: int,
                       stride_h: int, stride_w: int, dil_h: int, dil_w: int, pad_top: int, pad_left: int,
                       itemsize: int = 1) -> np.ndarray:
    """last_needed for a sliding-window op in raster order: the highest input byte of the window of
    pixel p or of any earlier pixel (prefix maximum)."""
    oy = np.arange(out_h)
    ox = np.arange(out_w)
    y1 = np.clip(oy * stride_h - pad_top + (k_h - 1) * dil_h, 0, in_h - 1)
    x1 = np.clip(ox * stride_w - pad_left + (k_w - 1) * dil_w, 0, in_w - 1)
    per_image = ((y1[:, None] * in_w + x1[None, :]).ravel() * in_c + in_c - 1) * itemsize + itemsize - 1
    image_bytes = in_h * in_w * in_c * itemsize
    last = np.concatenate([per_image + b * image_bytes for b in range(batches)])
    return np.maximum.accumulate(last)


def window_first_needed(batches: int, in_h: int, in_w: int, in_c: int, out_h: int, out_w: int,
                        stride_h: int, stride_w: int, pad_top: int, pad_left: int, itemsize: int = 1) -> np.ndarray:
    """first_needed for a sliding-window op in raster order over (batch, oy, ox): the lowest input byte
    of the window of pixel p or of any later pixel (suffix minimum)."""
    oy = np.arange(out_h)
    ox = np.arange(out_w)
    y0 = np.clip(oy * stride_h - pad_top, 0, in_h - 1)
    x0 = np.clip(ox * stride_w - pad_left, 0, in_w - 1)
    per_image = (y0[:, None] * in_w + x0[None, :]).ravel() * in_c * itemsize
    image_bytes = in_h * in_w * in_c * itemsize
    first = np.concatenate([per_image + b * image_bytes for b in range(batches)])
    return np.minimum.accumulate(first[::-1])[::-1]
