"""TFLite_Detection_PostProcess, the custom operator at the end of SSD detectors
(kernels: runtime_c/detection/, header runtime_c/include/mcu_detection.h).

Its options are a FlexBuffer map in the operator's custom_options (read as TFLM's Init reads them:
detections_per_class defaults to 100, use_regular_nms to false, a missing number to 0). The arithmetic
follows TFLM's and LiteRT's kernels: box decoding in double rounded to float, NMS candidates sorted by
decreasing score with ties to the lower anchor index (TFLM's stable merge sort), IoU in float.

Where the references differ:
  - max_classes_per_detection > 1 (fast NMS): TFLM writes row k*c + col for the k-th output entry and
    counts entries, so it writes past its outputs and returns garbage (checked with the pip
    tflite-micro); LiteRT writes the classes of selected anchor i at rows i*mpd + col and counts anchors,
    the documented layout. mcugen follows LiteRT.
  - uint8 inputs: only LiteRT dequantizes them (box encodings with anchors, and class predictions);
    TFLM's Eval fails on any non-float input; int8 is taken by neither.
  - degenerate boxes (zero height or width, e.g. from exp underflow): TFLM's Eval fails, LiteRT and
    mcugen continue (their IoU is 0).
  - ties among class scores and in regular NMS's merge: LiteRT's std::partial_sort leaves their order
    unspecified; TFLM (and mcugen) put the lower index first.
  - rows past the written detections: both references leave them unwritten; mcugen writes zeros.
"""
from __future__ import annotations

import math

import numpy as np

from ..ir import Operator
from .base import Layer, OpHandler, Sig, register

OP = "CUSTOM:TFLite_Detection_PostProcess"
DEFAULT_DETECTIONS_PER_CLASS = 100  # TFLM's kNumDetectionsPerClass
SCALES = ("y_scale", "x_scale", "h_scale", "w_scale")
_F32, _U8 = ("float32",), ("uint8",)


def read_options(op: Operator) -> dict:
    """The operator's options from its FlexBuffer custom_options, with TFLM's defaults."""
    from flatbuffers import flexbuffers
    raw = op.options.get("custom_options")
    if not raw:
        raise ValueError("the operator has no custom_options")
    m = flexbuffers.Loads(bytes(raw))
    if not isinstance(m, dict):
        raise ValueError("custom_options is not a FlexBuffer map")

    def num(key, kind, default=0):
        v = m.get(key)
        return kind(default if v is None else v)
    out = {k: num(k, int) for k in ("max_detections", "max_classes_per_detection", "num_classes")}
    out["detections_per_class"] = num("detections_per_class", int, DEFAULT_DETECTIONS_PER_CLASS)
    out["use_regular_nms"] = bool(m.get("use_regular_nms") or False)
    for k in ("nms_score_threshold", "nms_iou_threshold", *SCALES):
        out[k] = float(np.float32(num(k, float)))
    return out


def _rows(o: dict) -> int:
    return o["max_detections"] * o["max_classes_per_detection"]


def scratch_layout(op: Operator) -> dict:
    """Byte offsets of the kernel's scratch areas (mcu_detection_scratch_t) and the total, 4-aligned."""
    o = read_options(op)
    boxes, scores = op.inputs[0], op.inputs[1]
    n, k = int(boxes.shape[1]), int(scores.shape[2])
    regular = o["use_regular_nms"]
    max_out = min(n, o["detections_per_class"] if regular else o["max_detections"])
    sizes = [("decoded", 16 * n), ("scores", 4 * n * k if scores.dtype == "uint8" else 0), ("keep", 4 * n),
             ("active", (n + 3) // 4 * 4), ("max_scores", 0 if regular else 4 * n), ("selected", 4 * max_out),
             ("list", 24 * o["max_detections"] if regular else 0)]
    layout, at = {}, 0
    for name, size in sizes:
        layout[name] = at
        at += size
    return {"offsets": layout, "total": at}


def _anchor_values(op: Operator) -> np.ndarray:
    a = op.inputs[2]
    v = np.asarray(a.data)
    if a.dtype == "uint8":
        v = (v.astype(np.float32) - np.float32(a.quant.zp)) * np.float32(a.quant.s)
    return v.astype(np.float32).reshape(-1, 4)


@register
class DetectionPostProcess(OpHandler):
    ops = (OP,)
    signatures = (
        Sig("f32", (_F32, _F32, _F32), (_F32,)),
        Sig("u8", (_U8, ("uint8", "float32"), _U8), (_F32,)),
        Sig("u8", (_F32, _U8, _F32), (_F32,)),
    )

    def rule_options(self, op):
        """custom_options is a FlexBuffer map: max_detections >= 1, max_classes_per_detection >= 1,
        num_classes >= 1, detections_per_class >= 1 (regular NMS), 0 < nms_iou_threshold <= 1,
        nms_score_threshold a number, and y/x/h/w_scale finite and non-zero."""
        try:
            o = read_options(op)
        except Exception as e:  # noqa: BLE001 - any decoding failure is the user's problem to see
            return f"custom_options cannot be read ({type(e).__name__}: {e})"
        for k in ("max_detections", "max_classes_per_detection", "num_classes"):
            if o[k] < 1:
                return f"{k} is {o[k]}, needs at least 1"
        if o["use_regular_nms"] and o["detections_per_class"] < 1:
            return f"detections_per_class is {o['detections_per_class']}, needs at least 1"
        if not 0.0 < o["nms_iou_threshold"] <= 1.0:
            return f"nms_iou_threshold is {o['nms_iou_threshold']}, needs 0 < t <= 1 (TFLM's Eval fails otherwise)"
        if math.isnan(o["nms_score_threshold"]):
            return "nms_score_threshold is NaN"
        for k in SCALES:
            if not (math.isfinite(o[k]) and o[k] != 0.0):
                return f"{k} is {o[k]}, needs a finite non-zero number"
        return None

    def rule_shapes(self, op):
        """Three inputs: box encodings [1, N, S] with S >= 4, class predictions [1, N, K] with K =
        num_classes or num_classes + 1 (a background column), anchors [N, 4]; four outputs: boxes
        [1, D, 4], classes [1, D], scores [1, D], count [1], with D = max_detections *
        max_classes_per_detection (the shapes LiteRT's Prepare gives them)."""
        if len(op.inputs) != 3 or any(t is None for t in op.inputs) or len(op.outputs) != 4:
            return f"needs 3 inputs and 4 outputs, has {len(op.inputs)} and {len(op.outputs)}"
        try:
            o = read_options(op)
        except Exception:  # noqa: BLE001 - rule_options reports it
            return None
        b, s, a = (tuple(t.shape) for t in op.inputs)
        if len(b) != 3 or b[0] != 1 or b[1] < 1 or b[2] < 4:
            return f"box encodings have shape {b}, need [1, N, S] with N >= 1 and S >= 4"
        n = b[1]
        if len(s) != 3 or s[0] != 1 or s[1] != n or s[2] - o["num_classes"] not in (0, 1):
            return (f"class predictions have shape {s}, need [1, {n}, {o['num_classes']}] or "
                    f"[1, {n}, {o['num_classes'] + 1}]")
        if a != (n, 4):
            return f"anchors have shape {a}, need [{n}, 4]"
        d = _rows(o)
        want = [(1, d, 4), (1, d), (1, d), (1,)]
        got = [tuple(t.shape) for t in op.outputs]
        if got != want:
            return f"outputs have shapes {got}, need {want}"
        return None

    def rule_anchors(self, op):
        """The anchors are a constant tensor, every value finite and every anchor height and width
        positive (so decoded boxes are never inverted, which both references reject at run time)."""
        if len(op.inputs) < 3 or op.inputs[2] is None:
            return None
        a = op.inputs[2]
        if a.data is None:
            return "the anchors are not a constant tensor"
        if a.dtype == "uint8" and a.quant is None:
            return None  # rule_quantization reports it
        v = _anchor_values(op)
        if not np.isfinite(v).all():
            return "the anchors hold non-finite values"
        bad = np.flatnonzero((v[:, 2] <= 0) | (v[:, 3] <= 0))
        if bad.size:
            return f"{bad.size} anchor(s) have a height or width <= 0 (first: anchor {int(bad[0])})"
        return None

    def rule_quantization(self, op):
        """uint8 inputs are quantized per tensor with a positive scale; box encodings and anchors are
        both uint8 or both float32 (LiteRT reads the anchors with the box encodings' type)."""
        for i, t in enumerate(op.inputs[:3]):
            if t is None or t.dtype != "uint8":
                continue
            if t.quant is None or t.quant.scale.size != 1 or not float(t.quant.s) > 0:
                return f"input {i} ('{t.name}') is uint8 without one positive scale"
        return None

    def scratch_bytes(self, op, features=frozenset()):
        return scratch_layout(op)["total"]

    def _fields(self, op, o):
        boxes, scores, anchors = op.inputs
        n, k = int(boxes.shape[1]), int(scores.shape[2])
        q = [("boxes_u8", int(boxes.dtype == "uint8")),
             ("box_scale", float(boxes.quant.s) if boxes.dtype == "uint8" else 0.0),
             ("box_zero_point", boxes.quant.zp if boxes.dtype == "uint8" else 0),
             ("anchor_scale", float(anchors.quant.s) if anchors.dtype == "uint8" else 0.0),
             ("anchor_zero_point", anchors.quant.zp if anchors.dtype == "uint8" else 0),
             ("scores_u8", int(scores.dtype == "uint8")),
             ("score_scale", float(scores.quant.s) if scores.dtype == "uint8" else 0.0),
             ("score_zero_point", scores.quant.zp if scores.dtype == "uint8" else 0)]
        return [("num_boxes", n), ("box_stride", int(boxes.shape[2])), ("num_classes", o["num_classes"]),
                ("num_scores", k), ("label_offset", k - o["num_classes"]),
                ("max_detections", o["max_detections"]),
                ("max_classes_per_detection", o["max_classes_per_detection"]),
                ("detections_per_class", o["detections_per_class"]),
                ("use_regular_nms", int(o["use_regular_nms"])), ("num_rows", _rows(o)),
                ("score_threshold", o["nms_score_threshold"]), ("iou_threshold", o["nms_iou_threshold"]),
                *[(s, o[s]) for s in SCALES], *q, ("scratch", scratch_layout(op)["offsets"])]

    def _layer(self, op, ctx, function, sources):
        o = read_options(op)
        args = [ctx.ptr(t) for t in op.inputs] + [ctx.ptr(t) for t in op.outputs]
        args.append(ctx.scratch(self.scratch_bytes(op, ctx.features), "uint8_t"))
        return Layer(op, function=function, struct="detection_params_t", fields=self._fields(op, o), args=args,
                     sources=sources)

    def lower_f32(self, op, ctx):
        return self._layer(op, ctx, "detection_postprocess_f32", ("detection/mcu_detection_postprocess_f32.c",))

    def lower_u8(self, op, ctx):
        return self._layer(op, ctx, "detection_postprocess_u8", ("detection/mcu_detection_postprocess_f32.c",
                                                                  "detection/mcu_detection_postprocess_u8.c"))
