"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (kernels: runtime_c/shape/mcu_space_batch.c).

TFLM (reference space_to_batch_nd.h / batch_to_space_nd.h, checked against the
pip interpreter): int8 and float32, 4-D NHWC inputs with a block_shape of 2
and paddings/crops of 2x2, or 3-D NHC inputs (read as NH1C) with one block
size and 1x2 paddings/crops; SPACE_TO_BATCH pads by memset with the output
zero point's low byte (0 for float32). Both must be constant tensors.

TFLM trusts the stored output shapes. The converter stores the tensors between
SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND of a dilated Keras convolution with a
dynamic batch with the placeholder batch 1 (the real one is batch x block
size); TFLM then computes wrong outputs, desktop TFLite (which resizes at run
time) the right ones (docs/tflm-differences.md). mcugen checks every stored
shape against the input shape, block sizes and paddings/crops and refuses a
model where they disagree; on consistent static shapes TFLM's kernels are
right and mcugen matches them byte for byte.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, OpHandler, register
from .transpose import data_ptr, same_type

TYPES = ("int8", "float32")


def _params(op):
    """(block sizes, pairs) as python lists; pairs = paddings (S2B) or crops (B2S)."""
    block = [int(v) for v in np.asarray(op.inputs[1].data).reshape(-1)]
    pairs = np.asarray(op.inputs[2].data, dtype=np.int64).reshape(-1, 2).tolist()
    return block, pairs


def expected_shape(op) -> tuple[int, ...] | str:
    """The output shape the input shape, block sizes and paddings/crops make, or what is wrong."""
    x = op.inputs[0]
    block, pairs = _params(op)
    spatial = list(x.shape[1:1 + len(block)])
    prod = int(np.prod(block))
    if op.op == "SPACE_TO_BATCH_ND":
        out = []
        for d, (n, b, (lo, hi)) in enumerate(zip(spatial, block, pairs)):
            if (n + lo + hi) % b:
                return f"spatial dimension {d}: {n} + paddings {lo}, {hi} is not a multiple of block size {b}"
            out.append((n + lo + hi) // b)
        return (x.shape[0] * prod, *out, *x.shape[1 + len(block):])
    if x.shape[0] % prod:
        return f"input batch {x.shape[0]} is not a multiple of the block sizes' product {prod}"
    out = []
    for d, (n, b, (lo, hi)) in enumerate(zip(spatial, block, pairs)):
        if n * b - lo - hi < 1:
            return f"spatial dimension {d}: crops {lo}, {hi} leave nothing of {n * b}"
        out.append(n * b - lo - hi)
    return (x.shape[0] // prod, *out, *x.shape[1 + len(block):])


@register
class SpaceBatch(OpHandler):
    ops = ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND")

    def rule_types(self, op):
        """Input and output have the same type: int8 or float32 (TFLM's types)."""
        return same_type(op, TYPES)

    def rule_parameters(self, op):
        """The input is 3-D (NHC) or 4-D (NHWC); block_shape is a constant int32 vector of one
        block size per spatial dimension (1 or 2), each >= 1; paddings / crops a constant int32
        tensor of (spatial dimensions, 2) values, none negative."""
        x = op.inputs[0]
        if len(x.shape) not in (3, 4):
            return f"input has {len(x.shape)} dimensions, needs 3 or 4"
        m = len(x.shape) - 2
        what = "paddings" if op.op == "SPACE_TO_BATCH_ND" else "crops"
        for i, name, n in ((1, "block_shape", m), (2, what, 2 * m)):
            t = op.inputs[i] if i < len(op.inputs) else None
            if t is None or not t.is_const or t.dtype != "int32" or t.size != n:
                return f"{name} must be a constant int32 tensor of {n} values"
        block, pairs = _params(op)
        if min(block) < 1:
            return f"block_shape {block} has a size below 1"
        if min(v for p in pairs for v in p) < 0:
            return f"{what} {pairs} are negative"
        return None

    def rule_stored_shape(self, op):
        """The stored output shape is the one the input shape, block sizes and paddings/crops
        give. (A Keras dilated convolution with a dynamic batch stores a placeholder batch of 1
        there; TFLM then computes wrong results, so mcugen refuses such a model: convert it with a
        fixed batch size of 1, which folds the dilation into CONV_2D.)"""
        if self.rule_parameters(op):
            return None
        want = expected_shape(op)
        if isinstance(want, str):
            return want
        y = op.outputs[0]
        return None if tuple(y.shape) == want else (
            f"stored output shape {y.shape} disagrees with the {want} that the input shape, block sizes "
            "and paddings/crops give (TFLM would compute wrong values)")

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        block, pairs = _params(op)
        xs = list(x.shape) if len(x.shape) == 4 else [x.shape[0], x.shape[1], 1, x.shape[2]]
        ys = list(y.shape) if len(y.shape) == 4 else [y.shape[0], y.shape[1], 1, y.shape[2]]
        bh, bw = block[0], block[1] if len(block) > 1 else 1
        top, left = pairs[0][0], pairs[1][0] if len(pairs) > 1 else 0
        pad = 0
        if op.op == "SPACE_TO_BATCH_ND" and y.quant is not None and y.dtype == "int8":
            pad = y.quant.zp & 0xFF
        fields = [("in_b", xs[0]), ("in_h", xs[1]), ("in_w", xs[2]), ("out_b", ys[0]), ("out_h", ys[1]),
                  ("out_w", ys[2]), ("block_h", bh), ("block_w", bw), ("top", top), ("left", left),
                  ("pixel_bytes", xs[3] * x.itemsize), ("pad_byte", pad)]
        fn = "space_to_batch_b" if op.op == "SPACE_TO_BATCH_ND" else "batch_to_space_b"
        return Layer(op, function=fn, struct="space_batch_params_t", fields=fields,
                     args=[data_ptr(ctx, x), ctx.ptr(y, "void")], sources=("shape/mcu_space_batch.c",))
