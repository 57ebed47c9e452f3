"""The flatbuffer writer is the reader's twin: read -> write -> read gives the same IR, and TFLM runs the
rewritten int8 models to the same bytes as the originals."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mcugen.frontend import read_model_bytes
from mcugen.frontend.tflite_writer import write_model
from mcugen.oracle import tflm
from mcugen.testing.compare import sample_inputs
from tests.conftest import shared_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"
SHARED = [
    "ad01_int8.tflite", "hello_world_int8.tflite", "keyword_scrambled_8bit.tflite", "kws_ref_model.tflite",
    "micro_speech_quantized.tflite", "mobilenet_v2_quantized_1x3x224x224.tflite", "person_detect.tflite",
    "pretrainedResnet_quant.tflite", "str_ww_ref_model.tflite", "trained_lstm_int8.tflite", "vww_96_int8.tflite",
    "float/ad01_fp32.tflite", "float/hello_world_float.tflite", "float/kws_ref_model_float.tflite",
    "float/trained_lstm.tflite", "float/vww_96_float.tflite",
    "int16x8/ad01_int16x8.tflite", "int16x8/kws_ref_model_int16x8.tflite", "int16x8/vww_96_int16x8.tflite",
    "dynamic/ad01_dynamic.tflite", "dynamic/kws_ref_model_dynamic.tflite", "dynamic/kws_ref_model_float32.tflite",
    "dynamic/lstm_2layer_dynamic.tflite", "dynamic/vww_96_dynamic.tflite",
]
TFLM_RUNS = ["ad01_int8.tflite", "hello_world_int8.tflite", "keyword_scrambled_8bit.tflite", "kws_ref_model.tflite",
             "micro_speech_quantized.tflite", "person_detect.tflite", "trained_lstm_int8.tflite",
             "int16x8/kws_ref_model_int16x8.tflite"]


def describe(g):
    """Everything the IR holds, with tensors named by position: equal descriptions mean equal graphs."""
    ix = {id(t): i for i, t in enumerate(g.tensors)}

    def idx(ts):
        return [ix[id(t)] if t is not None else -1 for t in ts]

    def tensor(t):
        q = t.quant
        return (t.name, tuple(t.shape), t.dtype, t.is_variable, t.shape_signature,
                None if q is None else (q.scale.tobytes(), q.zero_point.tolist(), q.axis),
                None if t.data is None else (t.data.dtype.str, t.data.shape, t.data.tobytes()))
    return {
        "tensors": [tensor(t) for t in g.tensors],
        "operators": [(o.op, idx(o.inputs), idx(o.outputs), idx(o.intermediates), o.options) for o in g.operators],
        "io": (idx(g.inputs), idx(g.outputs)),
        "description": g.description,
        "signatures": [(s.key, [(n, ix[id(t)]) for n, t in s.inputs], [(n, ix[id(t)]) for n, t in s.outputs])
                       for s in g.signatures],
    }


def assert_same_ir(a, b):
    da, db = describe(a), describe(b)
    for key in da:
        if key in ("tensors", "operators"):
            assert len(da[key]) == len(db[key]), key
            for i, (x, y) in enumerate(zip(da[key], db[key])):
                assert x == y, f"{key}[{i}]: {str(x)[:300]} != {str(y)[:300]}"
        else:
            assert da[key] == db[key], key


def _models():
    return [pytest.param(n, id=n) for n in SHARED] + [
        pytest.param(str(p), id=p.name) for p in sorted(FIXTURES.glob("*.tflite"))]


@pytest.mark.parametrize("name", _models())
def test_read_write_read_same_ir(name):
    p = Path(name) if name.startswith("/") else shared_model(name)
    data = p.read_bytes()
    g = read_model_bytes(data, str(p))
    out = write_model(g)
    assert out[4:8] == b"TFL3"
    assert_same_ir(g, read_model_bytes(out))
    assert write_model(read_model_bytes(out)) == out  # writing is deterministic and a fixed point


@pytest.mark.parametrize("name", TFLM_RUNS)
def test_tflm_same_outputs(name):
    data = shared_model(name).read_bytes()
    out = write_model(read_model_bytes(data))
    g = read_model_bytes(data)
    xs = sample_inputs(g.inputs, 4, seed=1)
    ref = tflm.run(data, xs, len(g.outputs))
    got = tflm.run(out, xs, len(g.outputs))
    for a, b in zip(ref, got):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_constant_buffers_aligned():
    import tflite
    data = write_model(read_model_bytes(shared_model("kws_ref_model.tflite").read_bytes()))
    m = tflite.Model.GetRootAs(data, 0)
    offsets = []
    for i in range(m.BuffersLength()):
        buf = m.Buffers(i)
        if buf.DataLength():
            offsets.append(buf._tab.Vector(buf._tab.Offset(4)))
    assert offsets and all(o % 16 == 0 for o in offsets)
