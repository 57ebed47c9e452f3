"""mcu_conv_1x1_k8_s8 (runtime_c/conv/mcu_conv_1x1_s8.c): a 1x1 CONV_2D over 4 or 8 input channels on a core
with DSP, one output pixel at a time with its values in registers, against TFLM.

The chosen cases run under QEMU on cortex-m4 and cortex-m33 (in CI the first three; all with MCUGEN_LONG=1) (the assembly) and, given the same plan, on the host
(its plain C twin, also under ASan/UBSan). Seeded random shapes: in_c 4 and 8, even out_c
from 2 to 40, stride 1 (one run over every pixel) and strides up to 3 (a run per output row), SAME and VALID,
batches, one-pixel images, per-tensor and per-channel weights, constant channels, the reverse pixel order under
a real arena overlap. The conditions (odd out_c, a clamp narrower than int8, other in_c, Helium, --optimize
size) keep the blocked product.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import mcugen.ops.conv as conv
from mcugen.compiler import compile_bytes
from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.random_quant import rand_bias
from tests.conftest import assert_bit_exact, qemu_boards
from tests.ops.test_conv_dsp import conv_layer, conv_model

BOARDS = ("cortex-m4", "cortex-m33")
LONG = bool(os.environ.get("MCUGEN_LONG"))

# (conv_model kwargs): every one takes mcu_conv_1x1_k8_s8 on cortex-m4
CASES = {
    "person_l2": dict(n=1, h=12, w=12, ic=8, oc=16, relu6_full=True),    # person_detect's layer 2, smaller
    "ic4_oc6": dict(n=1, h=5, w=7, ic=4, oc=6),
    "ic8_oc2_s2_valid_b2": dict(n=2, h=7, w=6, ic=8, oc=2, stride=(2, 2), pad="VALID"),
    "ic4_oc32_s21_tensor": dict(n=1, h=9, w=5, ic=4, oc=32, stride=(2, 1), per_channel=False),
    "ic8_oc10_s13": dict(n=1, h=4, w=11, ic=8, oc=10, stride=(1, 3)),
    "ic8_oc40_1px": dict(n=3, h=1, w=1, ic=8, oc=40),
    "ic4_oc8_relu_full": dict(n=1, h=6, w=6, ic=4, oc=8, relu_full=True),
    "ic8_oc4_no_bias_s3": dict(n=1, h=10, w=10, ic=8, oc=4, stride=(3, 3), bias=False),
}


def _model(case: str) -> bytes:
    kw = dict(CASES[case], kh=1, kw=1)
    seed = sorted(CASES).index(case)
    if kw.pop("relu6_full", False):  # RELU6 at scale 6/255, zero point -128: its range is the whole int8 range
        return conv_model(seed, **kw, act="RELU6", in_q=(0.05, -3), out_q=(6 / 255, -128))
    if kw.pop("relu_full", False):  # RELU with zero point -128
        return conv_model(seed, **kw, act="RELU", in_q=(0.04, 5), out_q=(0.1, -128))
    return conv_model(seed, **kw)


def _host_twin(model: bytes, monkeypatch, sanitize: bool) -> None:
    """The plain C twin on the host: the host board given the DSP boards' plan (monkeypatched: a host build
    of a DSP project is what a non-GCC or -O0 build for the core compiles), bit-exact with TFLM."""
    fast = conv.Conv2D.fast
    monkeypatch.setattr(conv.Conv2D, "fast", lambda self, op, features=frozenset(): fast(self, op, features | {"dsp"}))
    monkeypatch.setattr(conv.Conv2D, "as_fully_connected", lambda self, op, features=frozenset(): False)
    assert "conv_1x1_k8_s8" in {L.function for L in compile_bytes(model, "m", board="host").project.layers}
    assert_bit_exact(model, count=3, sanitize=sanitize)


@pytest.mark.parametrize("case", list(CASES))
def test_k8_is_chosen_and_exact(case, monkeypatch):
    model = _model(case)
    layer = conv_layer(model, "cortex-m4")
    assert layer.function == "conv_1x1_k8_s8"
    assert dict(layer.fields)["k_groups"] == CASES[case]["ic"] // 4
    assert conv_layer(model, "host").function != "conv_1x1_k8_s8"
    # cortex-m33 for the first three cases only, unless MCUGEN_LONG=1 (CI time)
    boards = BOARDS if LONG or list(CASES).index(case) < 3 else BOARDS[:1]
    assert_bit_exact(model, count=3, boards=qemu_boards(boards))
    _host_twin(model, monkeypatch, sanitize=case == "ic8_oc2_s2_valid_b2")


def test_k8_constant_channels(monkeypatch):
    """Zero weights with a huge bias and a vanishing scale: the constant form inside the k8 stream."""
    rng = np.random.default_rng(5)
    oc = 6
    wt = rng.integers(-127, 128, (oc, 1, 1, 8), dtype=np.int8)
    wt[2] = 0
    ws = [0.01, 0.02, 0.01, 1e-9, 0.015, 0.01]
    bias = rand_bias(rng, oc)
    bias[2] = 1 << 29
    model = conv_model(0, 1, 5, 4, 8, oc, 1, 1, wt=wt, ws=ws, bias_data=bias, in_q=(0.05, 3), out_q=(0.05, -7))
    op = compile_bytes(model, "m").graph.operators[0]
    plan = conv.Conv2D().fast(op, frozenset({"dsp"}))
    assert plan.function == "conv_1x1_k8_s8" and plan.constant_channels == 2
    assert_bit_exact(model, count=3, boards=qemu_boards(("cortex-m4",)))
    _host_twin(model, monkeypatch, sanitize=False)


@pytest.mark.parametrize("why,kwargs,board,optimize", [
    ("odd out_c", dict(n=1, h=4, w=4, ic=8, oc=7), "cortex-m4", "balanced"),
    ("in_c 12", dict(n=1, h=4, w=4, ic=12, oc=8), "cortex-m4", "balanced"),
    ("in_c 6", dict(n=1, h=4, w=4, ic=6, oc=8), "cortex-m4", "balanced"),
    ("clamp", dict(n=1, h=4, w=4, ic=8, oc=8, act="RELU6", out_q=(0.01, 0)), "cortex-m4", "balanced"),
    ("helium", dict(n=1, h=4, w=4, ic=8, oc=8), "cortex-m55", "balanced"),
    ("size", dict(n=1, h=4, w=4, ic=8, oc=8), "cortex-m4", "size"),
])
def test_k8_conditions(why, kwargs, board, optimize):
    model = conv_model(1, kh=1, kw=1, **kwargs)
    layers = [L for L in compile_bytes(model, "m", board=board, optimize=optimize).project.layers
              if L.op.op == "CONV_2D"]
    assert layers[0].function != "conv_1x1_k8_s8", why


def _chain(seed: int, h: int = 9, w: int = 7) -> bytes:
    """Three 1x1 layers 8 -> 8 -> 8 -> 8 without clamps: the planner overlaps them, some run backwards."""
    rng = np.random.default_rng(seed)
    t = [TensorSpec((1, h, w, 8), "int8", 0.05, 3)]
    ops, x = [], 0
    for i in range(3):
        wt = rng.integers(-127, 128, (8, 1, 1, 8), dtype=np.int8)
        ws = list(np.exp(rng.uniform(np.log(0.002), np.log(0.02), 8)))
        t.append(TensorSpec(wt.shape, "int8", ws, [0] * 8, data=wt))
        t.append(TensorSpec((8,), "int32", [0.05 * v for v in ws], [0] * 8, data=rand_bias(rng, 8)))
        t.append(TensorSpec((1, h, w, 8), "int8", 0.1 + 0.05 * i, -2 + i))
        ops.append(OpSpec("CONV_2D", [x, len(t) - 3, len(t) - 2], [len(t) - 1],
                          {"padding": "SAME", "stride_h": 1, "stride_w": 1, "fused_activation_function": "NONE"}))
        x = len(t) - 1
    return build_model(t, ops, [0], [x])


def test_k8_reverse_under_overlap(monkeypatch):
    model = _chain(4)
    c = compile_bytes(model, "chain", board="cortex-m4")
    assert c.plan.reverse_steps and c.plan.overlaps
    assert {L.function for L in c.project.layers} == {"conv_1x1_k8_s8"}
    assert any(dict(c.project.layers[s].fields)["reverse"] == 1 for s in c.plan.reverse_steps)
    assert_bit_exact(model, count=3, boards=qemu_boards(BOARDS))
    _host_twin(model, monkeypatch, sanitize=True)
