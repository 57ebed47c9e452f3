"""DEPTHWISE_CONV_2D kernels against TFLM: the 3x3 depth-multiplier-1 kernel and the general one, each
with its plain C path (host, and the first cases on every QEMU CPU) and its DSP path (cortex-m4 and
cortex-m33 under QEMU), over channel counts that leave every tail of the 4-channel groups, padding on
every side, strides, dilations, fused activations, both requantizations (fast and TFLM's) and the
reverse pixel order."""
import numpy as np
import pytest

from mcugen.compiler import compile_bytes
from mcugen.ops.conv import fast_requant_table
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.compare import rule_problems
from mcugen.testing.random_quant import rand_act_quant, rand_bias, rand_weights
from tests.conftest import assert_bit_exact, have_arm_tools, need_arm_tools

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
DSP_BOARDS = ("cortex-m4", "cortex-m33")


def _out(pad, size, k, s, d):
    eff = (k - 1) * d + 1
    return (size + s - 1) // s if pad == "SAME" else (size - eff + s) // s


def _case(rng, c, k=(3, 3), dm=1, stride=(1, 1), dil=(1, 1), pad="SAME", act="NONE", per_channel=True,
          bias=True, size=None, batches=1, slow=False, huge_bias=False):
    """Tensor specs and options of one depthwise layer: [input, filter, bias], output, options.
    slow: a real multiplier >= 0.5 (shift >= 0), which the fast requantization does not take."""
    kh, kw = k
    h, w = size or (int(rng.integers((kh - 1) * dil[0] + 1, 10)), int(rng.integers((kw - 1) * dil[1] + 1, 10)))
    oc = c * dm
    (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    wt, ws = rand_weights(rng, (1, kh, kw, oc), per_channel, axis=3)
    if slow:
        so = si * max(ws) * 1.5
    b = rand_bias(rng, oc)
    if huge_bias:
        b[0] = 1 << 30
    oh, ow = _out(pad, h, kh, stride[0], dil[0]), _out(pad, w, kw, stride[1], dil[1])
    inputs = [TensorSpec((batches, h, w, c), "int8", si, zi),
              TensorSpec(wt.shape, "int8", ws, [0] * len(ws), quantized_dimension=3, data=wt),
              TensorSpec((oc,), "int32", [si * s for s in ws], [0] * len(ws), data=b) if bias else None]
    output = TensorSpec((batches, oh, ow, oc), "int8", so, zo)
    options = {"padding": pad, "stride_h": stride[0], "stride_w": stride[1], "dilation_h_factor": dil[0],
               "dilation_w_factor": dil[1], "depth_multiplier": dm, "fused_activation_function": act}
    return inputs, output, options


def _model(*cases):
    """One model holding every case as an independent layer (one firmware build checks them all)."""
    tensors, ops, ins, outs = [], [], [], []
    for inputs, output, options in cases:
        idx = []
        for t in inputs:
            if t is None:
                idx.append(-1)
            else:
                idx.append(len(tensors))
                tensors.append(t)
        tensors.append(output)
        ops.append(OpSpec("DEPTHWISE_CONV_2D", idx, [len(tensors) - 1], options))
        ins.append(idx[0])
        outs.append(len(tensors) - 1)
    return build_model(tensors, ops, ins, outs)


def _check_on_boards(cases, kernel, per_model=5, boards=DSP_BOARDS):
    """Bit-exact on the host and `boards`, a few layers per model (the semihosting harness keeps
    every input and output file open)."""
    for i in range(0, len(cases), per_model):
        model = _model(*cases[i:i + per_model])
        assert set(_kernels(model)) <= ({kernel} if isinstance(kernel, str) else kernel)
        assert_bit_exact(model, count=4, boards=boards)


def _kernels(model):
    layers = compile_bytes(model, "m").project.report["layers"]
    return [layer["kernel"] for layer in layers]


# ---------------------------------------------------------------- host (plain C), first cases on QEMU

HOST_CASES = [
    # channels, extra options
    (8, {}), (5, {"stride": (2, 2)}), (3, {"pad": "VALID"}), (13, {"dil": (2, 2)}), (1, {"stride": (2, 1)}),
    (6, {"batches": 2, "per_channel": False}), (4, {"size": (3, 3)}), (7, {"slow": True}),
    (12, {"huge_bias": True}), (2, {"dm": 3}), (1, {"dm": 8, "stride": (2, 2)}),
    (5, {"k": (1, 5), "pad": "VALID"}), (9, {"k": (4, 2), "stride": (1, 2)}), (16, {"dil": (1, 2), "pad": "SAME"}),
]


@pytest.mark.parametrize("i", range(len(HOST_CASES)))
def test_depthwise_random(i, bit_exact):
    rng = np.random.default_rng(500 + i)
    c, extra = HOST_CASES[i]
    inputs, output, options = _case(rng, c, act=ACTS[i % 4], **extra)
    model = single_op_model("DEPTHWISE_CONV_2D", inputs, [output], options)
    three = extra.get("k", (3, 3)) == (3, 3) and extra.get("dm", 1) == 1
    one = c == 1 and extra.get("dm", 1) >= 2  # one input channel: mcu_depthwise_conv_1ch_s8.c
    assert _kernels(model) == ["depthwise_conv_3x3_s8" if three else "depthwise_conv_1ch_s8" if one else
                               "depthwise_conv_s8"]
    bit_exact(model, sanitize=i in (0, 9))


def test_bias_is_required():
    """TFLM's interpreter crashes (segmentation fault) preparing a DEPTHWISE_CONV_2D without bias,
    so there is nothing to be bit-exact with: the support rule rejects it."""
    inputs, output, options = _case(np.random.default_rng(2), 4, bias=False)
    problems = rule_problems(single_op_model("DEPTHWISE_CONV_2D", inputs, [output], options))
    assert any("no bias" in p for p in problems)


def test_requantization_choice():
    """The fast requantization is used when exact, TFLM's otherwise (shift >= 0, huge bias)."""
    rng = np.random.default_rng(1)
    for extra, fast in (({}, True), ({"slow": True}, False), ({"huge_bias": True}, False)):
        inputs, output, options = _case(rng, 8, **extra)
        files = compile_bytes(single_op_model("DEPTHWISE_CONV_2D", inputs, [output], options), "m").project.files
        assert any(".fast = 1" in text for text in files.values()) == fast, extra


# ---------------------------------------------------------------- the fast requantization, exhaustively

def _tflm(acc, m, shift):
    """TFLM MultiplyByQuantizedMultiplier for shift <= 0, on numpy int64 arrays (reference)."""
    ab = acc * m
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    v = (ab + nudge)
    v = np.where(v >= 0, v >> 31, -((-v) >> 31))          # truncating division by 2^31
    e = -shift
    mask = (1 << e) - 1
    rem = v & mask
    thr = (mask >> 1) + (v < 0)
    return (v >> e) + (rem > thr)


def test_fast_requantization_is_tflm():
    """SMMLAR(2 acc, M, K) + [acc < 0] >> e equals TFLM's requantization for every e, many multipliers,
    and accumulators around every rounding tie, 0, and the extremes the bound allows."""
    rng = np.random.default_rng(3)
    for e in range(1, 32):
        for m in [1 << 30, (1 << 31) - 1, *rng.integers(1 << 30, 1 << 31, 6)]:
            zp = int(rng.integers(-128, 128))
            table = fast_requant_table(np.array([m]), np.array([-e]), zp, np.array([(1 << 30) - 1]))
            if table is None:
                continue
            mm, k, ee = (int(v) for v in table)
            # accumulators whose SRDHM lands on or next to a tie of the rounding shift
            k_max = max((1 << 29) >> e, 1)
            v = rng.integers(-k_max, k_max, 400).astype(np.int64) << e
            ties = np.concatenate([v + (1 << (e - 1)) + d for d in (-1, 0, 1)])
            acc = (ties << 31) // m
            acc = np.concatenate([acc - 1, acc, acc + 1, np.arange(-300, 300),
                                  rng.integers(-(1 << 30) + 1, 1 << 30, 2000)])
            acc = acc[np.abs(acc) < 1 << 30]
            a2 = 2 * acc
            ours = ((((a2 * mm + (1 << 31)) >> 32) + k + np.where(a2 < 0, -1, 0)) >> ee)
            np.testing.assert_array_equal(ours, _tflm(acc, m, -e) + zp, err_msg=f"e={e} m={m}")


# ---------------------------------------------------------------- DSP paths under QEMU

def test_depthwise_3x3_dsp():
    """Every tail of the channel groups, padding on every side, stride, dilation, per-tensor and slow
    requantization, both activations' clamp forms, batches; on cortex-m4 and cortex-m33 (DSP), and
    cortex-m3 (no DSP: the Armv7-M assembly over whole groups of 4 channels)."""
    need_arm_tools()
    rng = np.random.default_rng(11)
    cases = [_case(rng, c, act=ACTS[j % 4], **extra) for j, (c, extra) in enumerate([
        (8, {}), (1, {}), (2, {"stride": (2, 2)}), (3, {"dil": (2, 1)}), (5, {"pad": "VALID", "stride": (1, 2)}),
        (6, {"per_channel": False, "batches": 2}), (7, {"slow": True}), (12, {"huge_bias": True}),
        (16, {"size": (2, 2)}), (9, {"dil": (2, 2)}), (4, {"size": (1, 9)}),
    ])]
    _check_on_boards(cases, "depthwise_conv_3x3_s8", boards=DSP_BOARDS + ("cortex-m3",))


def test_depthwise_general_dsp():
    need_arm_tools()
    rng = np.random.default_rng(12)
    cases = [_case(rng, c, act=ACTS[j % 4], **extra) for j, (c, extra) in enumerate([
        (1, {"dm": 8, "stride": (2, 2)}), (2, {"dm": 4}), (3, {"dm": 2, "k": (2, 3)}), (5, {"k": (5, 1), "pad": "VALID"}),
        (4, {"dm": 4, "k": (4, 4), "stride": (2, 2), "slow": True}), (8, {"k": (1, 1)}),
        (1, {"dm": 8, "k": (5, 4), "stride": (2, 2), "per_channel": False}),
    ])]
    _check_on_boards(cases, {"depthwise_conv_s8", "depthwise_conv_1ch_s8"})  # in_c 1: the 1ch kernel


def _reverse_everything(monkeypatch):
    """Run every depthwise layer backwards, without overlap (so only the order changes)."""
    from mcugen.codegen.context import GenContext
    from mcugen.ops.conv import DepthwiseConv2D
    monkeypatch.setattr(GenContext, "reversed_step", lambda self: True)
    monkeypatch.setattr(DepthwiseConv2D, "overlap", lambda self, op: {})


def test_depthwise_reverse(monkeypatch):
    rng = np.random.default_rng(13)
    model = _model(_case(rng, 6, stride=(2, 1), batches=2), _case(rng, 3, dm=2, k=(3, 2), batches=2),
                   _case(rng, 8, pad="VALID"))
    _reverse_everything(monkeypatch)
    src = compile_bytes(model, "m").project.files
    assert any(".reverse = 1" in text for text in src.values())
    assert_bit_exact(model, count=3, boards=DSP_BOARDS if have_arm_tools() else ())


def test_depthwise_overlapping_chain():
    """Chained depthwise layers whose outputs the planner lays over their inputs, in whichever
    direction it picks; cortex-m4 runs the DSP path."""
    rng = np.random.default_rng(14)
    c = 8
    t = [TensorSpec((1, 9, 7, c), "int8", 0.05, 2)]
    ops = []
    for j in range(3):
        wt, ws = rand_weights(rng, (1, 3, 3, c), True, axis=3)
        t.append(TensorSpec(wt.shape, "int8", ws, [0] * c, quantized_dimension=3, data=wt))
        t.append(TensorSpec((c,), "int32", [0.05 * s for s in ws], [0] * c, data=rand_bias(rng, c)))
        t.append(TensorSpec((1, 9, 7, c), "int8", 0.08 + 0.01 * j, j - 3))
        ops.append(OpSpec("DEPTHWISE_CONV_2D", [len(t) - 4, len(t) - 3, len(t) - 2], [len(t) - 1],
                          {"padding": "SAME", "depth_multiplier": 1, "fused_activation_function": "RELU"}))
    model = build_model(t, ops, [0], [len(t) - 1])
    assert compile_bytes(model, "m").plan.overlaps
    assert_bit_exact(model, count=4, boards=("cortex-m4",) if have_arm_tools() else ())


def test_dsp_layout_only_on_dsp_boards():
    """The general kernel's int16 weight layout is read only by its DSP path: the host and the Cortex-M0/M3
    get NULL there (and no such constant), a DSP board gets it."""
    rng = np.random.default_rng(14)
    inputs, output, options = _case(rng, 2, dm=4, k=(2, 3))
    model = single_op_model("DEPTHWISE_CONV_2D", inputs, [output], options)

    def weights_field(board):
        layer = compile_bytes(model, "m", board=board).project.layers[0]
        return dict(layer.fields)["weights"], compile_bytes(model, "m", board=board).project.report["weight_bytes"]

    (host, host_bytes), (m0, _), (m4, m4_bytes) = (weights_field(b) for b in ("host", "cortex-m0", "cortex-m4"))
    assert host == "NULL" and m0 == "NULL" and m4 != "NULL"
    assert host_bytes < m4_bytes
