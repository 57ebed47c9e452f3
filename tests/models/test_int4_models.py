"""A real model with int4 weights: kws_ref_model (../shared/models) with every CONV_2D, DEPTHWISE_CONV_2D and
FULLY_CONNECTED weight tensor requantized from int8 to int4 (symmetric, [-7, 7]: per channel for the
convolutions, per tensor for FULLY_CONNECTED, which is all TFLM accepts), the bias rescaled to the new
input_scale * weight_scale, written with mcugen's flatbuffer writer. TFLM runs it; mcugen compiles it
bit-exact (end to end, every layer through a probe model, and on cortex-m4 under QEMU), with half the
filter flash."""
import numpy as np
import pytest

from mcugen.frontend import read_model_bytes
from mcugen.frontend.tflite_writer import write_model
from mcugen.ir import Quant
from mcugen.testing.probe import probe_model
from tests.conftest import assert_bit_exact, need_arm_tools, shared_model

INT4_OPS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}  # operator -> quantized axis


def requantize_int4(graph, qmax: int = 7):
    """Rewrite, in place, the int8 weights of graph's CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED operators
    as int4 in [-qmax, qmax]: scale' = max |real| / qmax per channel (per tensor for FULLY_CONNECTED),
    q' = round(real / scale'); the int32 bias rescaled to input_scale * scale'. Returns the tensors changed."""
    done = {}
    for op in graph.operators:
        if op.op not in INT4_OPS or len(op.inputs) < 2 or op.inputs[1] is None:
            continue
        w, x = op.inputs[1], op.inputs[0]
        if w.dtype != "int8" or not w.is_const or w.quant is None or id(w) in done:
            continue
        axis = INT4_OPS[op.op]
        per_channel = op.op != "FULLY_CONNECTED"
        scale = np.asarray(w.quant.scale, np.float64)
        moved = np.moveaxis(w.data.astype(np.float64), axis, 0)      # [channel, ...]
        channels = moved.shape[0]
        col = (-1,) + (1,) * (moved.ndim - 1)
        old = np.broadcast_to(scale, (channels,)) if scale.size > 1 else np.full(channels, scale[0])
        real = moved * old.reshape(col)
        if per_channel:
            amax = np.abs(real.reshape(channels, -1)).max(axis=1)
            new = np.where(amax > 0, amax / qmax, old).astype(np.float32)
            q = np.rint(real / new.astype(np.float64).reshape(col))
        else:
            amax = np.abs(real).max()
            new = np.array([amax / qmax if amax > 0 else scale[0]], np.float32)
            q = np.rint(real / float(new[0]))
        w.data = np.moveaxis(np.clip(q, -qmax, qmax), 0, axis).astype(np.int8)
        w.dtype = "int4"
        w.quant = Quant(scale=new, zero_point=np.zeros(new.size, np.int64), axis=axis if per_channel else 0)
        b = op.inputs[2] if len(op.inputs) > 2 else None
        if b is not None and b.is_const and b.dtype == "int32":
            old_b = np.broadcast_to(scale, (b.size,)) if scale.size > 1 else np.full(b.size, scale[0])
            new_b = np.broadcast_to(new, (b.size,)).astype(np.float64)
            s_in = float(x.quant.s)
            real_b = b.data.astype(np.float64) * s_in * old_b
            b.data = np.clip(np.rint(real_b / (s_in * new_b)), -(1 << 31), (1 << 31) - 1).astype(np.int32)
            bs = (np.float32(s_in) * new_b.astype(np.float32)).astype(np.float32)
            b.quant = Quant(scale=bs, zero_point=np.zeros(bs.size, np.int64), axis=0)
        done[id(w)] = w
    return list(done.values())


def kws_int4() -> bytes:
    g = read_model_bytes(shared_model("kws_ref_model.tflite").read_bytes(), "kws_ref_model.tflite")
    changed = requantize_int4(g)
    assert len(changed) == 10  # 5 CONV_2D, 4 DEPTHWISE_CONV_2D, 1 FULLY_CONNECTED
    return write_model(g)


@pytest.fixture(scope="module")
def kws4():
    return kws_int4()


@pytest.mark.models
def test_kws_int4_runs_in_tflm_and_is_bit_exact(kws4):
    cmp = assert_bit_exact(kws4, count=20, seed=1)
    g = cmp.compiled.graph
    assert sum(t.dtype == "int4" for t in g.tensors) == 10


@pytest.mark.models
def test_kws_int4_probe_every_layer_bit_exact(kws4):
    assert_bit_exact(probe_model(kws4), count=4, seed=2)


@pytest.mark.models
def test_kws_int4_halves_filter_flash(kws4):
    """report.json weight_bytes: the int4 model's filters take about half the int8 model's bytes."""
    from mcugen.compiler import compile_bytes
    int8 = compile_bytes(shared_model("kws_ref_model.tflite").read_bytes(), "kws8").project.report
    int4 = compile_bytes(kws4, "kws4").project.report
    g = read_model_bytes(shared_model("kws_ref_model.tflite").read_bytes(), "kws")
    filters = sum(op.inputs[1].nbytes for op in g.operators if op.op in INT4_OPS)
    saved = int8["weight_bytes"] - int4["weight_bytes"]
    assert saved >= 0.4 * filters, (int8["weight_bytes"], int4["weight_bytes"], filters)


@pytest.mark.models
def test_kws_int4_on_cortex_m4(kws4):
    """The DSP kernels (packed weights unpacked in registers), every layer through a probe model, on cortex-m4."""
    need_arm_tools()
    assert_bit_exact(kws4, count=3, seed=4, boards=("cortex-m4",))
    assert_bit_exact(probe_model(kws4), count=2, seed=9, boards=("cortex-m4",))
