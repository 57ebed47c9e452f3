"""`mcugen quantize --mode dynamic|weight-only` (mcugen/quantize/dynamic.py): weight quantization without
calibration data. A dynamic model made by mcugen runs in LiteRT and in mcugen's generated code alike
(within 1e-4 of LiteRT's output range; measured: identical), holds the converter's layout (int8 symmetric
per-channel weights on the right axis, float bias, asymmetric_quantize_inputs on FULLY_CONNECTED, small
weight tensors left float) and keeps the float model's output within a reasonable SQNR; a weight-only model
runs within the float tolerance and its weights take about a quarter of the float model's flash."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from mcugen import api
from mcugen.cli import main
from mcugen.compiler import compile_bytes
from mcugen.errors import UnsupportedModelError, UsageError
from mcugen.frontend import read_model, read_model_bytes
from mcugen.oracle import litert
from mcugen.quantize.dynamic import symmetric_int8
from mcugen.testing.compare import compare_model, float_error
from tests.conftest import shared_model
from tests.quantize.realistic import ad01, hello_world, kws


def run(*args):
    r = CliRunner().invoke(main, ["quantize", *map(str, args)])
    return r.exit_code, r.output


def sqnr(out, ref):
    out, ref = out.astype(np.float64), ref.astype(np.float64)
    return 10 * np.log10((ref ** 2).sum() / max(((out - ref) ** 2).sum(), 1e-300))


def test_symmetric_int8():
    w = np.array([[1.0, -0.5, 0.25], [0.0, 0.0, 0.0], [-2.0, 1.0, 0.004]], np.float32)
    q, s = symmetric_int8(w, 0)
    assert s.tolist() == pytest.approx([1 / 127, 1.0, 2 / 127])
    assert q[0].tolist() == [127, -64, 32] and q[1].tolist() == [0, 0, 0] and q[2].tolist() == [-127, 64, 0]
    q1, s1 = symmetric_int8(w, None)
    assert s1.size == 1 and q1[2, 0] == -127


def test_dynamic_ad01_matches_litert_and_converter():
    """ad01 (FULLY_CONNECTED x10): every layer hybrid, per-channel axis 0, asymmetric inputs; mcugen equals
    LiteRT; output SQNR against the float model close to the converter-made dynamic model's."""
    f = shared_model("float/ad01_fp32.tflite")
    r = api.quantize_weights(f, "dynamic")
    g = read_model_bytes(r.model, "q")
    fcs = [op for op in g.operators if op.op == "FULLY_CONNECTED"]
    assert len(fcs) == 10
    for op in fcs:
        w = op.inputs[1]
        assert w.dtype == "int8" and w.quant.scale.size == w.shape[0] and not np.any(w.quant.zero_point)
        assert op.inputs[2].dtype == "float32" and op.options["asymmetric_quantize_inputs"] is True
    xs = [ad01(12, 3)]
    cmp = compare_model(r.model, inputs=xs, oracle="litert")
    e = float_error(cmp.ours[0], cmp.ref[0])
    assert e.max_abs <= 1e-4 * e.range, e.describe()
    ref = litert.run(f.read_bytes(), xs, 1)[0]
    conv = litert.run(shared_model("dynamic/ad01_dynamic.tflite").read_bytes(), xs, 1)[0]
    ours, theirs = sqnr(cmp.ours[0], ref), sqnr(conv, ref)
    assert ours > 30 and ours > theirs - 1.0, (ours, theirs)


def test_dynamic_kws_threshold_cli(tmp_path):
    """kws: CONV_2D weights quantized, the DEPTHWISE_CONV_2D (576 values) and FULLY_CONNECTED (768) below the
    1,024 threshold stay float; --min-weights 0 quantizes them too; mcugen equals LiteRT."""
    f = shared_model("float/kws_ref_model_float.tflite")
    out = tmp_path / "d.tflite"
    code, text = run(f, "--mode", "dynamic", "-o", out)
    assert code == 0, text
    assert "dynamic" in text and "5 layers quantized, 5 left float" in text
    g = read_model(out)
    kinds = {(op.op, op.inputs[1].dtype) for op in g.operators if op.op in ("CONV_2D", "DEPTHWISE_CONV_2D",
                                                                           "FULLY_CONNECTED")}
    assert kinds == {("CONV_2D", "int8"), ("DEPTHWISE_CONV_2D", "float32"), ("FULLY_CONNECTED", "float32")}
    xs = [kws(6, 4)]
    cmp = compare_model(out.read_bytes(), inputs=xs, oracle="litert")
    e = float_error(cmp.ours[0], cmp.ref[0])
    assert e.max_abs <= 1e-4 * e.range, e.describe()
    out0 = tmp_path / "d0.tflite"
    code, text = run(f, "--mode", "dynamic", "--min-weights", "0", "--per-tensor", "-o", out0)
    assert code == 0, text
    g0 = read_model(out0)
    layers = [op for op in g0.operators if op.op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]
    assert all(op.inputs[1].dtype == "int8" for op in layers)
    for op in layers:  # per tensor: one scale (repeated per channel on the depthwise layers, as LiteRT wants)
        assert len(set(op.inputs[1].quant.scale.tolist())) == 1
    cmp = compare_model(out0.read_bytes(), inputs=xs, oracle="litert")
    e = float_error(cmp.ours[0], cmp.ref[0])
    assert e.max_abs <= 1e-4 * e.range, e.describe()


def test_symmetric_inputs_option(tmp_path):
    f = shared_model("float/hello_world_float.tflite")
    out = tmp_path / "h.tflite"
    code, text = run(f, "--mode", "dynamic", "--min-weights", "0", "--symmetric-inputs", "-o", out)
    assert code == 0, text
    fcs = [op for op in read_model(out).operators if op.op == "FULLY_CONNECTED"]
    assert fcs and all(op.options["asymmetric_quantize_inputs"] is False for op in fcs)
    xs = [hello_world(16, 1)]
    cmp = compare_model(out.read_bytes(), inputs=xs, oracle="litert")
    assert cmp.within_tolerance, cmp.errors()


def test_weight_only_kws_tolerance_and_flash(tmp_path):
    """Weight-only kws: every layer behind DEQUANTIZE in the file, scheme w8 in mcugen, within the float
    tolerance of LiteRT, and the weights about 4x smaller in the generated constants than the float model's."""
    f = shared_model("float/kws_ref_model_float.tflite")
    out = tmp_path / "w.tflite"
    code, text = run(f, "--mode", "weight-only", "-o", out)
    assert code == 0, text
    g = read_model(out)
    assert sum(op.op == "DEQUANTIZE" for op in g.operators) == 10
    c = compile_bytes(out.read_bytes(), "w")
    from mcugen.ops import handler
    assert all(handler(op.op).scheme(op) == "w8" for op in c.graph.operators
               if op.op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"))
    xs = [kws(6, 5)]
    cmp = compare_model(out.read_bytes(), inputs=xs, oracle="litert")
    assert cmp.within_tolerance, cmp.errors()
    float_c = compile_bytes(f.read_bytes(), "f")
    # the constants the build places in flash (its report's figure): weights, scales and biases
    ours, theirs = c.project.report["weight_bytes"], float_c.project.report["weight_bytes"]
    # kws: 91,440 -> 26,976 bytes (3.4x): the weights 4x, the scales and float biases 4 bytes per channel
    assert theirs / ours > 3.3, (ours, theirs)

    def layer_weights(compiled):
        return sum(op.inputs[1].nbytes for op in compiled.graph.operators
                   if len(op.inputs) > 1 and op.inputs[1] is not None and op.inputs[1].is_const)
    assert 4 * layer_weights(c) == layer_weights(float_c)


def test_errors(tmp_path):
    f = shared_model("float/hello_world_float.tflite")
    out = tmp_path / "x.tflite"
    cal = tmp_path / "cal.npy"
    np.save(cal, hello_world(8, 0))
    code, text = run(f, "--mode", "dynamic", "--calibration", cal, "-o", out)
    assert code == 2 and "uses no samples" in text and "--calibration" in text
    code, text = run(f, "--mode", "weight-only", "--bias-correction", "-o", out)
    assert code == 2 and "--bias-correction" in text
    code, text = run(f, "-o", out)
    assert code == 2 and "--calibration is required with --mode static" in text
    code, text = run(f, "--mode", "dynamic", "-o", out)  # hello_world's weights are all below 1,024 values
    assert code == 4 and "nothing to quantize" in text
    code, text = run(f, "--mode", "fancy", "-o", out)
    assert code == 2
    with pytest.raises(UsageError):
        api.quantize_weights(f, "static")
    with pytest.raises(UsageError):
        api.quantize_weights(f, "dynamic", min_weights=-1)
    with pytest.raises(UnsupportedModelError):
        api.quantize_weights(shared_model("ad01_int8.tflite"), "dynamic")


def test_weight_only_batch_matmul_rhs():
    """weight-only also quantizes a BATCH_MATMUL's constant rhs (per output column); dynamic leaves it float."""
    from mcugen.testing.builder import OpSpec, TensorSpec, build_model
    rng = np.random.default_rng(2)
    rhs = rng.normal(0, 1, (6, 5)).astype(np.float32)
    ts = [TensorSpec((1, 3, 6), "float32"), TensorSpec((6, 5), "float32", data=rhs), TensorSpec((1, 3, 5), "float32")]
    model = build_model(ts, [OpSpec("BATCH_MATMUL", [0, 1], [2], {"adj_x": False, "adj_y": False})], [0], [2])
    r = api.quantize_weights(model, "weight-only")
    g = read_model_bytes(r.model, "q")
    assert [op.op for op in g.operators] == ["DEQUANTIZE", "BATCH_MATMUL"]
    q = g.operators[0].inputs[0]
    assert q.dtype == "int8" and q.quant.scale.size == 5 and q.quant.axis == 1
    xs = [rng.normal(0, 1, (4, 1, 3, 6)).astype(np.float32)]
    cmp = compare_model(r.model, inputs=xs, oracle="litert")
    assert np.array_equal(cmp.ours[0], cmp.ref[0])
    with pytest.raises(UnsupportedModelError):
        api.quantize_weights(model, "dynamic", min_weights=0)
