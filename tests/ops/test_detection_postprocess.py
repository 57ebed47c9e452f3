"""TFLite_Detection_PostProcess (SSD post-processing, a custom operator) against TFLM and LiteRT.

The four float outputs are compared by `check_outputs`: the detection count and the classes exactly,
the scores exactly (they are copies of the inputs), the boxes within BOX_TOL (decoding is double
arithmetic rounded to float in every implementation: on the host the boxes are identical; under QEMU
newlib's exp may differ from glibc's in the last bit of a double). Rows past the written detections are
garbage in the references (they never write them) and zero in mcugen; only the written rows are
compared with the reference, and ours must be zero past them.

LiteRT (its BUILTIN_REF kernels) runs in a subprocess: it cannot share a process with tflite_micro.
It is the reference for what TFLM gets wrong or lacks (max_classes_per_detection > 1, uint8 inputs).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mcugen.backend import make_runner
from mcugen.codegen import write_project
from mcugen.compiler import compile_bytes
from mcugen.oracle import tflm
from mcugen.ops.detection_postprocess import OP, scratch_layout
from mcugen.testing.builder import TensorSpec, flexbuffer_options, single_op_model
from mcugen.testing.compare import rule_problems, run_on_board

from tests.conftest import need_arm_tools

BOX_TOL = 1e-6  # absolute, boxes are O(1); measured max error: 0 on the host, 0 on cortex-m4 (QEMU)
MEASURED: dict[str, float] = {}  # worst box error per reference, printed after the module (pytest -s)


@pytest.fixture(scope="module", autouse=True)
def _print_measured():
    yield
    print("\ndetection postprocess, max |box error| per reference:", MEASURED)

LITERT_SCRIPT = textwrap.dedent("""
    import sys, numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    d = np.load(sys.argv[2])
    ip = Interpreter(model_content=open(sys.argv[1], "rb").read(),
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    ip.allocate_tensors()
    ins, outs = ip.get_input_details(), ip.get_output_details()
    res = [[] for _ in outs]
    for s in range(d["x0"].shape[0]):
        for i, det in enumerate(ins):
            ip.set_tensor(det["index"], d["x%d" % i][s])
        ip.invoke()
        for j, det in enumerate(outs):
            res[j].append(ip.get_tensor(det["index"]).copy())
    np.savez(sys.argv[3], *[np.stack(r) for r in res])
""")


def run_litert(model: bytes, xs: list[np.ndarray]) -> list[np.ndarray]:
    with tempfile.TemporaryDirectory(prefix="mcugen-litert-") as tmp:
        t = Path(tmp)
        (t / "m.tflite").write_bytes(model)
        (t / "run.py").write_text(LITERT_SCRIPT)
        np.savez(t / "in.npz", **{f"x{i}": x for i, x in enumerate(xs)})
        r = subprocess.run([sys.executable, str(t / "run.py"), str(t / "m.tflite"), str(t / "in.npz"),
                            str(t / "out.npz")], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        with np.load(t / "out.npz") as o:
            return [o[f"arr_{i}"] for i in range(4)]


def run_ours(model: bytes, xs: list[np.ndarray], sanitize: bool = False) -> list[np.ndarray]:
    compiled = compile_bytes(model, "model")
    with tempfile.TemporaryDirectory(prefix="mcugen-det-") as tmp:
        d = Path(tmp) / "model"
        write_project(compiled.project.files, d, force=True)
        return make_runner(compiled, d, sanitize=sanitize)(xs)


# ---- models and inputs -----------------------------------------------------------------------

def make_model(n, classes, background, opts, box_type="float32", score_type="float32", anchors=None,
               box_quant=(None, None), score_quant=(None, None), anchor_quant=(None, None), stride=4,
               anchor_const=True):
    o = {"max_detections": 3, "max_classes_per_detection": 1, "detections_per_class": 100,
         "use_regular_nms": False, "nms_score_threshold": 0.3, "nms_iou_threshold": 0.5,
         "num_classes": classes, "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0, **opts}
    rows = o["max_detections"] * o["max_classes_per_detection"]
    return single_op_model(OP, [
        TensorSpec((1, n, stride), box_type, *box_quant),
        TensorSpec((1, n, classes + background), score_type, *score_quant),
        TensorSpec((n, 4), box_type, *anchor_quant, data=anchors if anchor_const else None),
    ], [TensorSpec((1, rows, 4), "float32"), TensorSpec((1, rows), "float32"), TensorSpec((1, rows), "float32"),
        TensorSpec((1,), "float32")], custom_options=flexbuffer_options(o))


def rand_anchors(rng, n, duplicates=True):
    a = np.stack([rng.uniform(0.1, 0.9, n), rng.uniform(0.1, 0.9, n),
                  rng.uniform(0.05, 0.5, n), rng.uniform(0.05, 0.5, n)], 1).astype(np.float32)
    if duplicates and n >= 4:  # identical anchors: IoU 1 when their encodings agree
        a[n - 1] = a[0]
        a[n - 2] = a[1]
    return a


def rand_inputs(rng, count, n, k, scores="uniform", stride=4):
    boxes = (rng.normal(size=(count, 1, n, stride)) * rng.choice([0.5, 2.0])).astype(np.float32)
    if scores == "uniform":
        s = rng.uniform(0, 1, size=(count, 1, n, k))
    elif scores == "ties":  # a few levels: ties among anchors and among classes
        s = rng.integers(0, 4, size=(count, 1, n, k)) / 4.0
    else:  # "below": nothing reaches the threshold
        s = rng.uniform(-1, 0.25, size=(count, 1, n, k))
    s = s.astype(np.float32)
    if scores == "ties" and n >= 4:  # identical boxes with identical scores
        boxes[:, :, n - 1] = boxes[:, :, 0]
        s[:, :, n - 1] = s[:, :, 0]
    return [boxes, s]


def rand_opts(rng, regular, classes):
    return {"max_detections": int(rng.integers(1, 11)), "use_regular_nms": regular,
            "detections_per_class": int(rng.integers(1, 6)) if rng.integers(2) else 100,
            "nms_score_threshold": float(rng.choice([0.0, 0.3, 0.5, 0.7])),
            "nms_iou_threshold": float(rng.choice([0.1, 0.3, 0.5, 0.6, 1.0])),
            "y_scale": float(rng.choice([1.0, 10.0])), "x_scale": float(rng.choice([1.0, 10.0])),
            "h_scale": float(rng.choice([2.0, 5.0])), "w_scale": float(rng.choice([2.0, 5.0]))}


# ---- comparison ---------------------------------------------------------------------------------

def written_rows(num: int, opts: dict, classes: int, rows: int) -> np.ndarray:
    """Mask of the output rows the references write for a count of `num`."""
    mask = np.zeros(rows, bool)
    mpd = opts.get("max_classes_per_detection", 1)
    if opts.get("use_regular_nms"):
        mask[: opts.get("max_detections", 3)] = True  # regular NMS writes zeros past the count itself
        return mask
    for i in range(num):
        mask[i * mpd: i * mpd + min(mpd, classes)] = True
    return mask


def check_outputs(ours, ref, opts, classes, where="host", key="host"):
    """Equal counts, classes and scores; boxes within BOX_TOL; ours zero past the written rows."""
    boxes, cls, scores, num = (np.asarray(o, np.float32) for o in ours)
    rb, rc, rs, rn = ref
    count = rn.shape[0]
    rows = rb.reshape(count, -1, 4).shape[1]
    worst = 0.0
    for s in range(count):
        n = int(num.reshape(count)[s])
        assert n == int(rn.reshape(count)[s]), f"{where} sample {s}: {n} detections, reference {rn.reshape(count)[s]}"
        m = written_rows(n, opts, classes, rows)
        ob, oc, os_ = boxes.reshape(count, rows, 4)[s], cls.reshape(count, rows)[s], scores.reshape(count, rows)[s]
        pb, pc, ps = rb.reshape(count, rows, 4)[s], rc.reshape(count, rows)[s], rs.reshape(count, rows)[s]
        np.testing.assert_array_equal(oc[m], pc[m], err_msg=f"{where} sample {s}: classes")
        np.testing.assert_array_equal(os_[m], ps[m], err_msg=f"{where} sample {s}: scores")
        if m.any():
            err = float(np.abs(ob[m] - pb[m]).max())
            worst = max(worst, err)
            assert err <= BOX_TOL, f"{where} sample {s}: boxes differ by {err}"
        assert not ob[~m].any() and not oc[~m].any() and not os_[~m].any(), f"{where} sample {s}: unwritten rows not 0"
    MEASURED[key] = max(MEASURED.get(key, 0.0), worst)
    return worst


# ---- against TFLM (float32, one class per detection) -----------------------------------------------

@pytest.mark.parametrize("seed", range(12))
def test_random_vs_tflm(seed):
    rng = np.random.default_rng(seed)
    regular = seed % 2 == 1
    n = int(rng.choice([1, 3, 7, 16, 33]))
    classes = int(rng.integers(1, 6))
    background = int(rng.integers(2))
    opts = rand_opts(rng, regular, classes)
    kind = ["uniform", "ties", "uniform", "below"][seed % 4]
    stride = 4 if seed % 3 else 6  # box encodings with extra values per anchor (keypoints)
    model = make_model(n, classes, background, opts, anchors=rand_anchors(rng, n), stride=stride)
    assert rule_problems(model) == []
    xs = rand_inputs(rng, 6, n, classes + background, kind, stride)
    ours = run_ours(model, xs, sanitize=seed in (1, 2))
    check_outputs(ours, tflm.run(model, xs, 4), opts, classes)
    if kind == "below":
        assert not ours[3].any()


def test_nms_suppression_cases():
    """Hand-made boxes: identical boxes (IoU 1), IoU exactly at the threshold, nested boxes."""
    anchors = np.array([[0.5, 0.5, 0.2, 0.2], [0.5, 0.5, 0.2, 0.2], [0.5, 0.6, 0.2, 0.2],
                        [0.5, 0.5, 0.4, 0.4], [0.2, 0.2, 0.1, 0.1]], np.float32)
    boxes = np.zeros((2, 1, 5, 4), np.float32)
    scores = np.array([[0.9, 0.9, 0.8, 0.7, 0.6], [0.5, 0.6, 0.6, 0.6, 0.6]], np.float32).reshape(2, 1, 5, 1)
    for iou in (1.0 / 3.0, 0.25, 0.5, 1.0):  # boxes 0 and 2 overlap with IoU 1/3; 0 in 3: 0.25
        for regular in (False, True):
            opts = {"max_detections": 5, "use_regular_nms": regular, "nms_iou_threshold": iou,
                    "nms_score_threshold": 0.0}
            model = make_model(5, 1, 0, opts, anchors=anchors)
            check_outputs(run_ours(model, [boxes, scores]), tflm.run(model, [boxes, scores], 4), opts, 1)


# ---- against LiteRT -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_random_vs_litert(seed):
    """Float inputs, tie-free scores (LiteRT's partial sorts leave tie order unspecified)."""
    rng = np.random.default_rng(100 + seed)
    n, classes, background = int(rng.choice([5, 12, 20])), int(rng.integers(1, 6)), int(rng.integers(2))
    opts = rand_opts(rng, seed % 2 == 1, classes)
    model = make_model(n, classes, background, opts, anchors=rand_anchors(rng, n, duplicates=False))
    xs = rand_inputs(rng, 6, n, classes + background)
    ours = run_ours(model, xs)
    check_outputs(ours, run_litert(model, xs), opts, classes, "litert", "litert")
    check_outputs(ours, tflm.run(model, xs, 4), opts, classes)


@pytest.mark.parametrize("mpd", [2, 3, 7])
def test_classes_per_detection_vs_litert(mpd):
    """max_classes_per_detection > 1: LiteRT's layout (TFLM writes past its outputs here)."""
    rng = np.random.default_rng(mpd)
    n, classes = 10, 4
    opts = {"max_detections": int(rng.integers(1, 5)), "max_classes_per_detection": mpd,
            "nms_score_threshold": 0.2}
    model = make_model(n, classes, 1, opts, anchors=rand_anchors(rng, n, duplicates=False))
    xs = rand_inputs(rng, 5, n, classes + 1)
    ours = run_ours(model, xs)
    check_outputs(ours, run_litert(model, xs), opts, classes, "litert", "litert")


def _distinct_u8(rng, count, shape):
    """uint8 values that never repeat within a sample: no ties for LiteRT's partial sorts."""
    size = int(np.prod(shape))
    return np.stack([rng.permutation(256)[:size].reshape(shape) for _ in range(count)]).astype(np.uint8)


@pytest.mark.parametrize("case", ["all-u8", "u8-boxes", "u8-scores"])
def test_uint8_vs_litert(case):
    """uint8 box encodings with anchors and/or uint8 class predictions (only LiteRT takes them)."""
    rng = np.random.default_rng(len(case))
    n, classes, bg = 12, 3, 1
    box_u8, score_u8 = case in ("all-u8", "u8-boxes"), case in ("all-u8", "u8-scores")
    af = rand_anchors(rng, n, duplicates=False)
    kw = {}
    if box_u8:
        a_scale, a_zp = 1.0 / 256, 0
        anchors = np.clip(np.round(af / a_scale), 1, 255).astype(np.uint8)
        kw.update(box_type="uint8", box_quant=(0.05, 128), anchor_quant=(a_scale, a_zp))
        boxes = rng.integers(100, 156, size=(6, 1, n, 4), dtype=np.uint8)
    else:
        anchors = af
        boxes = rng.normal(size=(6, 1, n, 4)).astype(np.float32)
    if score_u8:
        kw.update(score_type="uint8", score_quant=(1.0 / 255, 0))
        scores = _distinct_u8(rng, 6, (1, n, classes + bg))
    else:
        scores = rng.uniform(size=(6, 1, n, classes + bg)).astype(np.float32)
    for regular in (False, True):
        opts = {"max_detections": 4, "use_regular_nms": regular, "nms_score_threshold": 0.3}
        model = make_model(n, classes, bg, opts, anchors=anchors, **kw)
        assert rule_problems(model) == []
        ours = run_ours(model, [boxes, scores], sanitize=regular)
        check_outputs(ours, run_litert(model, [boxes, scores]), opts, classes, "litert", "litert")


def test_degenerate_boxes_vs_litert():
    """A box whose exp(h / h_scale) underflows has no height: TFLM's Eval fails (its ValidateBoxes
    demands ymin < ymax for every anchor), LiteRT continues with IoU 0 for it; so does mcugen."""
    rng = np.random.default_rng(3)
    n, classes = 8, 2
    opts = {"max_detections": 5, "nms_score_threshold": 0.2}
    model = make_model(n, classes, 1, opts, anchors=rand_anchors(rng, n, duplicates=False))
    boxes, scores = rand_inputs(rng, 3, n, classes + 1)
    boxes[:, :, 2, 2] = -1000.0  # anchor 2: height 0 after decoding
    scores[:, :, 2, 1] = 1.0     # and the best score (others are < 1), so it is selected first
    with pytest.raises(RuntimeError):
        tflm.run(model, [boxes, scores], 4)
    ours = run_ours(model, [boxes, scores])
    check_outputs(ours, run_litert(model, [boxes, scores]), opts, classes, "litert", "litert")
    assert (ours[1].reshape(3, -1)[:, 0] == 0).all() and (ours[2].reshape(3, -1)[:, 0] == 1.0).all()
    top = ours[0].reshape(3, -1, 4)[:, 0]
    assert (top[:, 0] == top[:, 2]).all()  # the degenerate box itself, selected first


# ---- cortex-m4 under QEMU -------------------------------------------------------------------------

@pytest.mark.parametrize("regular", [False, True])
def test_cortex_m4(regular):
    need_arm_tools()
    rng = np.random.default_rng(7)
    n, classes = 24, 3
    opts = {"max_detections": 6, "use_regular_nms": regular, "detections_per_class": 4}
    model = make_model(n, classes, 1, opts, anchors=rand_anchors(rng, n))
    xs = rand_inputs(rng, 4, n, classes + 1, "ties" if regular else "uniform")
    ours = run_on_board(model, "cortex-m4", xs)
    check_outputs(ours, tflm.run(model, xs, 4), opts, classes, "cortex-m4", "cortex-m4")


# ---- support rules --------------------------------------------------------------------------------

def _f32_model(**opts):
    rng = np.random.default_rng(0)
    return make_model(6, 2, 1, opts, anchors=rand_anchors(rng, 6))


@pytest.mark.parametrize("opts, words", [
    ({"nms_iou_threshold": 0.0}, "nms_iou_threshold"),
    ({"nms_iou_threshold": 1.5}, "nms_iou_threshold"),
    ({"max_detections": 0}, "max_detections"),
    ({"max_classes_per_detection": 0}, "max_classes_per_detection"),
    ({"use_regular_nms": True, "detections_per_class": 0}, "detections_per_class"),
    ({"h_scale": 0.0}, "h_scale"),
])
def test_rules_reject_options(opts, words):
    msgs = rule_problems(_f32_model(**opts))
    assert any(words in m for m in msgs), msgs


def test_rules_reject_what_tflm_fails():
    """TFLM prepares these models and fails in Eval; mcugen refuses them at build time."""
    for opts in ({"nms_iou_threshold": 0.0}, {"nms_iou_threshold": 1.5}):
        model = _f32_model(**opts)
        assert rule_problems(model)
        ip = tflm.interpreter(model)
        ip.set_input(np.zeros((1, 6, 4), np.float32), 0)
        ip.set_input(np.ones((1, 6, 3), np.float32), 1)
        with pytest.raises(RuntimeError):
            ip.invoke()


def test_rules_reject_types_shapes_anchors():
    rng = np.random.default_rng(0)
    a = rand_anchors(rng, 6)
    q = (0.1, 0)
    int8 = make_model(6, 2, 1, {}, box_type="int8", score_type="int8", box_quant=q, score_quant=q,
                      anchor_quant=q, anchors=np.zeros((6, 4), np.int8))
    assert any("type combination" in m for m in rule_problems(int8))
    mixed = make_model(6, 2, 1, {}, box_type="uint8", box_quant=q, anchor_quant=(0.01, 0),
                       anchors=np.round(a / 0.01).astype(np.uint8))
    assert rule_problems(mixed) == []  # uint8 boxes + anchors, float scores: LiteRT's combination
    assert any("not a constant" in m for m in rule_problems(make_model(6, 2, 1, {}, anchors=a, anchor_const=False)))
    flat = a.copy()
    flat[2, 2] = 0.0
    assert any("height or width" in m for m in rule_problems(make_model(6, 2, 1, {}, anchors=flat)))
    assert any("class predictions" in m for m in rule_problems(make_model(6, 2, 2, {}, anchors=a)))
    assert any("box encodings" in m for m in rule_problems(make_model(6, 2, 1, {}, anchors=a, stride=3)))


def test_scratch_layout():
    from mcugen.frontend.tflite_reader import read_model_bytes
    model = make_model(10, 3, 1, {"use_regular_nms": True, "detections_per_class": 4, "max_detections": 5},
                       score_type="uint8", score_quant=(0.01, 0), anchors=rand_anchors(np.random.default_rng(0), 10))
    op = read_model_bytes(model).operators[0]
    lay = scratch_layout(op)
    # decoded 160, scores 10*4*4, keep 40, active 12, selected 4*min(10, 4), lists 24*5
    assert lay["total"] == 160 + 160 + 40 + 12 + 16 + 120
    assert all(v % 4 == 0 for v in lay["offsets"].values())
