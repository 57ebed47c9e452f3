"""The pair-word CONV_2D / FULLY_CONNECTED kernels of cores without DSP (mcu_conv_pairs_pixel in
runtime_c/conv/mcu_conv_1x1_s8.c; layout in mcu_conv.h, plan in mcugen/ops/conv.py plan_pair_rows) against TFLM.

Every case runs on the host (portable C: 32-bit products), on cortex-m3 (the assembly: SMLAL product and
requantization) and on cortex-m0 (portable C, Armv6-M) under QEMU. The cases reach every block shape
(3, 2 and 1 pairs, an odd out_c's padding channel in each, out_c multiple of 6), K % 8 of 0 to 7 (the
single steps before the turns of 8), strides, padding on every side, dilation, batches, every fused
activation (the narrow ones clamp after the kernel's int8 saturation), constant channels, the low field's
range at its limit (and one past it: the fallbacks), the fallback of a large multiplier, reverse order
under real overlaps, and FULLY_CONNECTED per tensor and per channel.
"""
from __future__ import annotations

import numpy as np
import pytest

import mcugen.ops.conv as conv
from mcugen.compiler import compile_bytes
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.random_quant import rand_act_quant, rand_bias, rand_weights
from tests.conftest import assert_bit_exact, qemu_boards
from tests.ops.test_conv_dsp import conv_chain, conv_layer, conv_model, field

PLAIN_BOARDS = ("cortex-m3", "cortex-m0")


def plain_boards() -> tuple[str, ...]:
    return qemu_boards(PLAIN_BOARDS)


# id: (conv_model kwargs, kernel on the plain boards)
CASES = {
    # 1x1 read in place: pairs = 4 (a block of 3, then 1 pair with the padding channel), K % 8 = 0, RELU6
    "1x1_ic8_oc7_relu6": (dict(n=2, h=5, w=3, ic=8, oc=7, kh=1, kw=1, act="RELU6"), "conv_1x1_s8"),
    # stride (the input of each pixel found by division), K % 8 = 5, pairs = 5: 3 + 2 in place
    "1x1_ic21_s2_oc10": (dict(n=1, h=9, w=7, ic=21, oc=10, kh=1, kw=1, stride=(2, 2)), "conv_1x1_s8"),
    "1x1_ic64_oc16_relu": (dict(n=1, h=5, w=4, ic=64, oc=16, kh=1, kw=1, act="RELU"), "conv_1x1_s8"),
    # one channel: one pair, the padding channel through the buffer; K % 8 = 3
    "1x1_ic3_oc1_n1to1": (dict(n=1, h=4, w=5, ic=3, oc=1, kh=1, kw=1, act="RELU_N1_TO_1"), "conv_1x1_s8"),
    # pairs = 3 with an odd out_c: no block in place, all 3 pairs through the buffer; K % 8 = 1
    "1x1_ic9_oc5_per_tensor": (dict(n=1, h=3, w=4, ic=9, oc=5, kh=1, kw=1, per_channel=False), "conv_1x1_s8"),
    # pairs = 6, odd: one block in place, the second through the buffer; K % 8 = 1 after two turns
    "1x1_ic17_oc11": (dict(n=1, h=3, w=3, ic=17, oc=11, kh=1, kw=1, act="RELU"), "conv_1x1_s8"),
    # out_c a multiple of 6: only whole blocks; K % 8 = 6; VALID with stride 3 x 2
    "1x1_ic30_oc12_s3": (dict(n=2, h=7, w=8, ic=30, oc=12, kh=1, kw=1, stride=(3, 2), pad="VALID"), "conv_1x1_s8"),
    # im2col: rows with taps outside on every side, staged byte by byte; K = 27 (K % 8 = 3)
    "3x3_ic3_s2_oc8": (dict(n=1, h=12, w=12, ic=3, oc=8, kh=3, kw=3, stride=(2, 2)), "conv_im2col_s8"),
    # kws's first layer in small: K = 40 (K % 8 = 0), stride 2, rows outside above and below
    "10x4_ic1_s2_oc12": (dict(n=1, h=21, w=10, ic=1, oc=12, kh=10, kw=4, stride=(2, 2)), "conv_im2col_s8"),
    "3x3_ic16_oc9_relu": (dict(n=1, h=7, w=6, ic=16, oc=9, kh=3, kw=3, act="RELU"), "conv_im2col_s8"),
    "5x3_ic4_dil2_relu6": (dict(n=1, h=11, w=9, ic=4, oc=4, kh=5, kw=3, dil=(2, 2), act="RELU6"), "conv_im2col_s8"),
    "2x3_ic2_dil_w3": (dict(n=1, h=8, w=9, ic=2, oc=7, kh=2, kw=3, dil=(1, 3), act="RELU_N1_TO_1"),
                       "conv_im2col_s8"),
    "3x3_ic8_s2_batches": (dict(n=2, h=7, w=6, ic=8, oc=6, kh=3, kw=3, stride=(2, 2)), "conv_im2col_s8"),
    "3x5_ic1_s2_no_bias": (dict(n=1, h=9, w=11, ic=1, oc=3, kh=3, kw=5, stride=(2, 2), bias=False),
                           "conv_im2col_s8"),
}


def _conv_spec(seed, n, h, w, ic, oc, kh, kw, stride=(1, 1), dil=(1, 1), pad="SAME", act="NONE",
               per_channel=True, bias=True):
    """conv_model's layer (same seed, same tensors) as (inputs, output, options) for a model of several."""
    specs = []

    def capture(op, inputs, outputs, options):
        specs.append((inputs, outputs[0], options))
        return b""

    import tests.ops.test_conv_dsp as dsp
    saved, dsp.single_op_model = dsp.single_op_model, capture
    try:
        conv_model(seed, n, h, w, ic, oc, kh, kw, stride, dil, pad, act, per_channel, bias)
    finally:
        dsp.single_op_model = saved
    return specs[0]


def _model(op: str, cases):
    """Independent layers side by side in one model (one firmware build per board for all of them)."""
    tensors, ops, ins, outs = [], [], [], []
    for inputs, output, options in cases:
        idx = []
        for t in inputs:
            idx.append(-1 if t is None else len(tensors))
            if t is not None:
                tensors.append(t)
        tensors.append(output)
        ops.append(OpSpec(op, idx, [len(tensors) - 1], options))
        ins.append(idx[0])
        outs.append(len(tensors) - 1)
    return build_model(tensors, ops, ins, outs)


@pytest.mark.parametrize("case", list(CASES))
def test_pair_conv_kernel_choice(case):
    kwargs, kernel = CASES[case]
    model = conv_model(sorted(CASES).index(case), **kwargs)
    for board in ("host", "cortex-m3", "cortex-m0"):
        layer = conv_layer(model, board)
        assert layer.function == kernel and field(layer, "pixels") == 1
    assert field(conv_layer(model, "cortex-m4"), "pixels") in (2, 3)  # the DSP boards keep their layout


GROUPS = [list(CASES)[i:i + 5] for i in range(0, len(CASES), 5)]


@pytest.mark.parametrize("group", range(len(GROUPS)))
def test_pair_conv(group):
    """Every case of CASES, five layers a model, on the host, cortex-m3 and cortex-m0."""
    names = GROUPS[group]
    model = _model("CONV_2D", [_conv_spec(sorted(CASES).index(c), **CASES[c][0]) for c in names])
    layers = compile_bytes(model, "m", board="cortex-m3").project.layers
    assert [L.function for L in layers] == [CASES[c][1] for c in names]
    assert_bit_exact(model, count=4, boards=plain_boards())


def test_pair_conv_sanitized():
    """The portable pass, the in-place input of a strided 1x1, the gathered window and the odd out_c's
    buffer under AddressSanitizer and UBSan."""
    names = ("1x1_ic21_s2_oc10", "3x3_ic3_s2_oc8", "1x1_ic9_oc5_per_tensor")
    model = _model("CONV_2D", [_conv_spec(sorted(CASES).index(c), **CASES[c][0]) for c in names])
    assert_bit_exact(model, count=3, sanitize=True)


def _limit_model(k: int, magnitude: int = 127):
    """A 1x1 layer whose channel 0 (a pair's low field) has k weights of -magnitude: sum x * w_a reaches
    128 * k * magnitude at the all-minimum input, the most the low field allows when just below 2^22."""
    rng = np.random.default_rng(5)
    oc = 4
    wt = rng.integers(-127, 128, (oc, 1, 1, k), dtype=np.int8)
    wt[0] = -magnitude
    ws = [2e-4, 1e-3, 1e-3, 1e-3]
    return conv_model(0, 1, 2, 3, k, oc, 1, 1, wt=wt, ws=ws, in_q=(0.02, 0), out_q=(1.5, 2))


def test_low_field_at_its_limit():
    """128 * 258 * 127 = 4,194,048 < 2^22 = 4,194,304: the pair words hold, and the all-minimum input (x = -128 against
    weights -127: the largest low field) stays exact on every plain core; one more input value (259) is past
    the limit: the layer takes the FULLY_CONNECTED rows4 kernel instead, still exact."""
    fits, past = _limit_model(258), _limit_model(259)
    op = compile_bytes(fits, "m").graph.operators[0]
    assert conv.Conv2D().fast(op).pixels == 1
    assert not conv.pair_field_fits(np.full((1, 259), -127))
    assert conv.pair_field_fits(np.full((1, 258), -127)) and conv.pair_field_fits(np.full((1, 258), 127))
    assert conv_layer(fits, "cortex-m3").function == "conv_1x1_s8"
    layer = conv_layer(past, "cortex-m3")
    assert layer.function == "fully_connected_s8" and field(layer, "rows4") == 1
    assert_bit_exact(fits, count=4, boards=plain_boards())
    assert_bit_exact(past, count=4, boards=plain_boards()[:1])


def test_low_field_fallback_im2col():
    """An im2col layer past the low field's limit keeps the DSP layout's plain C (pixels 3), exact."""
    rng = np.random.default_rng(9)
    wt = (rng.choice([-1, 1], size=(4, 3, 3, 32)) * 127).astype(np.int8)
    model = conv_model(1, 1, 5, 5, 32, 4, 3, 3, wt=wt, ws=[1e-4] * 4, in_q=(0.02, 0), out_q=(2.0, 0))
    layer = conv_layer(model, "cortex-m3")
    assert layer.function == "conv_im2col_s8" and field(layer, "pixels") == 3
    assert_bit_exact(model, count=4, boards=plain_boards()[:1])


def test_constant_channels_pairs():
    """Constant channels (zero weights with a huge bias, multipliers rounding everything to the zero point) in
    both fields of a pair; the other channels stay exact."""
    rng = np.random.default_rng(11)
    oc = 6
    wt = rng.integers(-127, 128, (oc, 3, 3, 8), dtype=np.int8)
    wt[1] = 0
    wt[4] = 0
    ws = [0.01, 1e-9, 0.02, 2e-9, 3e-9, 0.015]
    bias = rand_bias(rng, oc)
    bias[1], bias[4] = 1 << 30, -(1 << 30)
    model = conv_model(0, 1, 6, 5, 8, oc, 3, 3, wt=wt, ws=ws, bias_data=bias, in_q=(0.05, 3), out_q=(0.02, -7))
    plan = conv.Conv2D().fast(compile_bytes(model, "m").graph.operators[0])
    assert plan.pixels == 1 and plan.constant_channels == 3
    assert_bit_exact(model, count=4, boards=plain_boards())


def test_large_multiplier_falls_back():
    """A real multiplier >= 0.5 is outside the fast requantization: mcu_conv_s8 on the plain cores too."""
    rng = np.random.default_rng(3)
    wt = rng.integers(-127, 128, (4, 3, 3, 5), dtype=np.int8)
    model = conv_model(0, 1, 6, 6, 5, 4, 3, 3, wt=wt, ws=[0.01, 0.02, 0.9, 0.01], in_q=(0.5, 0), out_q=(0.3, 1))
    assert conv_layer(model, "cortex-m3").function == "conv_s8"
    assert_bit_exact(model, count=4, boards=plain_boards()[:1])


@pytest.mark.parametrize("chain", ["1x1", "mixed"])
def test_pairs_reverse_under_overlap(chain):
    """Chains the planner overlaps, some layers run last pixel first (reverse), on the pair kernels."""
    specs = {"1x1": [(8, 8, 1, 1)] * 3, "mixed": [(8, 8, 1, 1), (8, 8, 3, 1), (8, 8, 1, 1), (8, 8, 3, 1)]}[chain]
    model = conv_chain(1, specs)
    c = compile_bytes(model, "chain", board="cortex-m3")
    assert c.plan.reverse_steps and c.plan.overlaps
    assert {field(L, "pixels") for L in c.project.layers} == {1}
    assert all(field(c.project.layers[s], "reverse") == 1 for s in c.plan.reverse_steps)
    assert_bit_exact(model, count=4, boards=plain_boards()[:1])


def _fc(rng, units, depth, batches=1, per_channel=False, bias=True, act="NONE", spec=False):
    (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    w, ws = rand_weights(rng, (units, depth), per_channel, axis=0)
    so = max(so, 2.5 * si * max(ws))  # the fast requantization's condition
    b = TensorSpec((units,), "int32", [si * s for s in ws], [0] * len(ws), data=rand_bias(rng, units)) if bias else None
    inputs = [TensorSpec((batches, depth), "int8", si, zi),
              TensorSpec((units, depth), "int8", ws, [0] * len(ws), data=w), b]
    output, options = TensorSpec((batches, units), "int8", so, zo), {"fused_activation_function": act}
    return (inputs, output, options) if spec else single_op_model("FULLY_CONNECTED", inputs, [output], options)


FC_CASES = {  # units, depth, batches, per_channel, bias, act
    "u13_d33_b3_per_tensor": (13, 33, 3, False, True, "NONE"),
    "u7_d5_per_channel_relu6": (7, 5, 1, True, True, "RELU6"),
    "u1_d12_no_bias": (1, 12, 2, False, False, "RELU"),
    "u24_d64_per_channel": (24, 64, 1, True, True, "RELU_N1_TO_1"),
}


def test_pair_fully_connected():
    """FC_CASES in one model: batches as the pixels of conv_1x1_s8 on the plain cores, exact on all three
    (the DSP cores' conv_1x1_pairs_s8: tests/ops/test_fully_connected_dsp.py)."""
    specs = []
    for name, (units, depth, batches, per_channel, bias, act) in FC_CASES.items():
        model = _fc(np.random.default_rng(sorted(FC_CASES).index(name)), units, depth, batches, per_channel,
                    bias, act)
        for board in ("host", "cortex-m3", "cortex-m0"):
            layer = compile_bytes(model, "m", board=board).project.layers[0]
            assert layer.function == "conv_1x1_s8" and field(layer, "pixels") == 1
            assert (field(layer, "in_w"), field(layer, "in_c"), field(layer, "out_c")) == (batches, depth, units)
        # DSP cores: the pair words' own entry (a speed layout); --optimize size keeps the int8 kernel
        assert compile_bytes(model, "m", board="cortex-m4").project.layers[0].function == "conv_1x1_pairs_s8"
        assert compile_bytes(model, "m", board="cortex-m4", optimize="size").project.layers[0].function == \
            "fully_connected_s8"
        specs.append(_fc(np.random.default_rng(sorted(FC_CASES).index(name)), units, depth, batches, per_channel,
                         bias, act, spec=True))
    assert_bit_exact(_model("FULLY_CONNECTED", specs), count=4, boards=plain_boards())


def test_pair_stream_decodes():
    """pack_pair_stream's words hold both channels' weights exactly (w_a the low 23 bits sign-extended, w_b the
    rest), blocks of 3 pairs then the rest, the start value bias_b * 2^23 and the doubled bias_a."""
    rng = np.random.default_rng(2)
    for oc, k in ((1, 3), (5, 7), (6, 4), (11, 9), (8, 1)):
        wk = rng.integers(-128, 128, (oc, k)).astype(np.int64)
        oc2 = oc + (oc & 1)
        quant = np.zeros((oc2, 4), np.int64)
        quant[:, 0] = rng.integers(-(1 << 31), 1 << 31, oc2)
        quant[:, 1] = -(1 << 31)
        quant[:, 2:] = 1
        s = conv.pack_pair_stream(wk, quant).astype(np.int64)
        w = np.zeros((oc2, k), np.int64)
        w[:oc] = wk
        pos = 0
        for j in range(0, oc2 // 2, 3):
            nb = min(3, oc2 // 2 - j)
            start = s[pos:pos + 2 * nb].reshape(nb, 2)
            value = (start[:, 0] & 0xFFFFFFFF) | (start[:, 1] << 32)
            np.testing.assert_array_equal(value, quant[2 * j + 1:2 * (j + nb):2, 0] << 23)
            pos += 2 * nb
            words = s[pos:pos + k * nb].reshape(k, nb).T
            low = ((words & 0x7FFFFF) ^ 0x400000) - 0x400000
            np.testing.assert_array_equal(low, w[2 * j:2 * (j + nb):2])
            np.testing.assert_array_equal((words - low) >> 23, w[2 * j + 1:2 * (j + nb):2])
            pos += k * nb
            rq = s[pos:pos + 9 * nb].reshape(nb, 9)
            np.testing.assert_array_equal(rq[:, 0] & 0xFFFFFFFF, (2 * quant[2 * j:2 * (j + nb):2, 0]) & 0xFFFFFFFF)
            np.testing.assert_array_equal(rq[:, [1, 5]], 1 << 30)
            np.testing.assert_array_equal(rq[:, [4, 8]], -(1 << 31))
            pos += 9 * nb
        assert pos == s.size
