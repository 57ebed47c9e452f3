"""The fast CONV_2D kernels (runtime_c/conv/mcu_conv_1x1_s8.c, mcu_conv_im2col_s8.c) against TFLM.

Every case runs on the host (plain C path) and under QEMU on cortex-m4 and cortex-m33 (DSP path:
the assembly product loop, SXTB16 gathering, SMMLAR requantization). The cases are chosen to hit
every variant and edge: 1x1 with and without an in_c tail and with stride; im2col with whole rows,
padded rows, taps outside the image on every side, per-tap gathering, dilation, full byte staging;
int8 and int16 weights; odd out_c and odd pixel counts; K tails of 1..3 groups; every fused
activation (byte-wise clamp); constant channels and the fallback to mcu_conv_s8; reverse order
under real arena overlaps. Plus the requantization identity (host and cortex-m4) and the scratch
sizes of C and Python.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mcugen.ops.conv as conv
from mcugen.compiler import compile_bytes
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.random_quant import rand_act_quant, rand_bias, rand_weights
from tests.conftest import assert_bit_exact, qemu_boards

ROOT = Path(__file__).resolve().parents[2]
DSP_BOARDS = ("cortex-m4", "cortex-m33")


def dsp_boards() -> tuple[str, ...]:
    return qemu_boards(DSP_BOARDS)


def _out(pad, size, k, s, d):
    eff = (k - 1) * d + 1
    return (size + s - 1) // s if pad == "SAME" else (size - eff + s) // s


def conv_model(seed, n, h, w, ic, oc, kh, kw, stride=(1, 1), dil=(1, 1), pad="SAME", act="NONE",
               per_channel=True, bias=True, wt=None, ws=None, bias_data=None, in_q=None, out_q=None):
    rng = np.random.default_rng(seed)
    (si, zi), (so, zo) = in_q or rand_act_quant(rng), out_q or rand_act_quant(rng)
    if wt is None:
        wt, ws = rand_weights(rng, (oc, kh, kw, ic), per_channel=per_channel, axis=0)
    if out_q is None:  # keep the multipliers below 0.5 (the fast kernels' condition)
        so = max(so, 2.5 * si * max(ws))
    oh, ow = _out(pad, h, kh, stride[0], dil[0]), _out(pad, w, kw, stride[1], dil[1])
    b = None
    if bias:
        data = rand_bias(rng, oc) if bias_data is None else np.asarray(bias_data, np.int32)
        b = TensorSpec((oc,), "int32", [si * s for s in ws], [0] * len(ws), data=data)
    return single_op_model(
        "CONV_2D",
        [TensorSpec((n, h, w, ic), "int8", si, zi), TensorSpec(wt.shape, "int8", ws, [0] * len(ws), data=wt), b],
        [TensorSpec((n, oh, ow, oc), "int8", so, zo)],
        {"padding": pad, "stride_h": stride[0], "stride_w": stride[1], "dilation_h_factor": dil[0],
         "dilation_w_factor": dil[1], "fused_activation_function": act})


def conv_layer(model: bytes, board: str = "cortex-m4"):
    """The first CONV_2D layer as lowered for `board` (the layouts below are the DSP boards' choice)."""
    layers = [L for L in compile_bytes(model, "m", board=board).project.layers if L.op.op == "CONV_2D"]
    return layers[0]


def field(layer, name):
    return dict(layer.fields)[name]


# id: (conv_model kwargs, kernel, w16, row_groups)   (w16 None: not checked)
CASES = {
    # 1x1: K tails (groups % 4 = 1, 2, 3), in_c tails, stride, odd out_c, odd pixel count, batches
    "1x1_ic8_oc7_relu6": (dict(n=2, h=5, w=3, ic=8, oc=7, kh=1, kw=1, act="RELU6"), "conv_1x1_s8", None, 0),
    "1x1_ic21_s2_oc10": (dict(n=1, h=9, w=7, ic=21, oc=10, kh=1, kw=1, stride=(2, 2)), "conv_1x1_s8", None, 0),
    "1x1_ic64_oc16_w16": (dict(n=1, h=9, w=8, ic=64, oc=16, kh=1, kw=1, act="RELU"), "conv_1x1_s8", True, 0),
    "1x1_ic44_oc5_w8": (dict(n=1, h=3, w=3, ic=44, oc=5, kh=1, kw=1, per_channel=False), "conv_1x1_s8", False, 0),
    "1x1_ic3_oc1": (dict(n=1, h=4, w=5, ic=3, oc=1, kh=1, kw=1, act="RELU_N1_TO_1"), "conv_1x1_s8", None, 0),
    "1x1_ic30_s3_valid": (dict(n=2, h=7, w=8, ic=30, oc=12, kh=1, kw=1, stride=(3, 2), pad="VALID"),
                          "conv_1x1_s8", None, 0),
    # im2col, in_c % 4 == 0: whole rows from the input, taps outside on every side (SAME), w16
    "3x3_ic16_oc9_w16": (dict(n=1, h=9, w=9, ic=16, oc=9, kh=3, kw=3, act="RELU"), "conv_im2col_s8", True, 12),
    "3x3_ic8_s2_w8": (dict(n=2, h=7, w=6, ic=8, oc=6, kh=3, kw=3, stride=(2, 2)), "conv_im2col_s8", False, 6),
    "5x3_ic4_dil2": (dict(n=1, h=11, w=9, ic=4, oc=4, kh=5, kw=3, dil=(2, 2), act="RELU6"), "conv_im2col_s8", None, 3),
    "2x4_ic12_s1x3_valid": (dict(n=1, h=6, w=13, ic=12, oc=3, kh=2, kw=4, stride=(1, 3), pad="VALID"),
                            "conv_im2col_s8", None, 12),
    # padded rows (k_w * in_c = 9 -> 12, 3 -> 4): straight from the input with up to 3 values more, staged
    # at the edges
    "3x3_ic3_s2_vww0": (dict(n=1, h=12, w=12, ic=3, oc=8, kh=3, kw=3, stride=(2, 2)), "conv_im2col_s8", None, 3),
    "3x3_ic3_oc16_res0": (dict(n=1, h=8, w=9, ic=3, oc=16, kh=3, kw=3, act="RELU"), "conv_im2col_s8", None, 3),
    "1x3_ic1_valid": (dict(n=1, h=5, w=8, ic=1, oc=5, kh=4, kw=3, pad="VALID"), "conv_im2col_s8", None, 1),
    # whole rows of 4 from in_c 1 (kws's first layer), edge rows assembled as bytes
    "10x4_ic1_s2_kws0": (dict(n=1, h=21, w=10, ic=1, oc=12, kh=10, kw=4, stride=(2, 2)), "conv_im2col_s8", None, 1),
    "2x2_ic2_s3": (dict(n=1, h=10, w=10, ic=2, oc=6, kh=2, kw=2, stride=(3, 3), act="RELU6"), "conv_im2col_s8", None, 1),
    "2x3_ic2_dil_w": (dict(n=1, h=8, w=9, ic=2, oc=7, kh=2, kw=3, dil=(1, 3), act="RELU_N1_TO_1"),
                      "conv_im2col_s8", None, 2),  # padded rows (6 -> 8), dilated: every row staged
    # whole window staged as bytes (k_w * in_c = 5 would pad to 8): K padded at its end
    "5x5_ic1_full_staging": (dict(n=2, h=7, w=7, ic=1, oc=4, kh=5, kw=5), "conv_im2col_s8", None, 0),
    "3x5_ic1_s2_no_bias": (dict(n=1, h=9, w=11, ic=1, oc=3, kh=3, kw=5, stride=(2, 2), bias=False),
                           "conv_im2col_s8", None, 0),
    "7x1_ic3_per_tensor": (dict(n=1, h=12, w=4, ic=3, oc=8, kh=7, kw=1, per_channel=False, act="RELU"),
                           "conv_im2col_s8", None, 1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fast_conv(case):
    kwargs, kernel, w16, row_groups = CASES[case]
    model = conv_model(sorted(CASES).index(case), **kwargs)
    layer = conv_layer(model)
    assert layer.function == kernel
    assert field(layer, "row_groups") == row_groups
    if w16 is not None:
        assert field(layer, "w16") == int(w16)
    # a board without DSP takes the pair-word layout (pixels = 1, tests/ops/test_conv_pairs.py), no int16 weights
    plain = conv_layer(model, "host")
    assert plain.function == kernel and field(plain, "w16") == 0 and field(plain, "pixels") == 1
    assert_bit_exact(model, count=4, boards=dsp_boards())


def test_one_output_channel_keeps_the_convolution_kernel(monkeypatch):
    """A 1x1 layer with one output channel is not run as FULLY_CONNECTED on a core without DSP (that kernel
    would take the per-tensor multiplier recipe), and stays bit-exact; with 3 channels it is (when the pair
    words do not hold: forced here)."""
    monkeypatch.setattr(conv, "pair_field_fits", lambda wa, x_dtype="int8": False)
    one = conv_model(3, n=1, h=4, w=5, ic=6, oc=1, kh=1, kw=1, per_channel=False)
    three = conv_model(3, n=1, h=4, w=5, ic=6, oc=3, kh=1, kw=1, per_channel=False)
    assert conv_layer(one, "host").function != "fully_connected_s8"
    assert conv_layer(three, "host").function == "fully_connected_s8"
    assert_bit_exact(one, count=4)
    assert_bit_exact(three, count=4)


@pytest.mark.parametrize("case", ["1x3_ic1_valid", "3x3_ic3_s2_vww0", "5x5_ic1_full_staging", "1x1_ic21_s2_oc10"])
def test_sanitized(case):
    """Padded rows read past their window up to the input's end, staging, in_c tails: under ASan/UBSan."""
    kwargs = CASES[case][0]
    assert_bit_exact(conv_model(sorted(CASES).index(case), **kwargs), count=3, sanitize=True)


@pytest.mark.parametrize("w16", [False, True])
def test_weight_formats(w16, monkeypatch):
    """The same layer with int8 and with int16 weights (the policy forced both ways)."""
    monkeypatch.setattr(conv, "W16_MIN_PIXELS", 0 if w16 else 1 << 30)
    model = conv_model(5, n=1, h=5, w=7, ic=20, oc=11, kh=3, kw=2, stride=(1, 2), act="RELU6")
    assert field(conv_layer(model), "w16") == int(w16)
    assert_bit_exact(model, count=4, boards=dsp_boards())


@pytest.mark.parametrize("pixels", [2, 3])
@pytest.mark.parametrize("shape", ["1x1", "3x3"])
def test_pixel_blocks(pixels, shape, monkeypatch):
    """Blocks of 2 and of 3 pixels (the scratch threshold forced both ways), with reverse under overlap
    and a short last block (9 x 7 = 63 pixels: 2 x 31 + 1; 3 x 21)."""
    monkeypatch.setattr(conv, "PIXELS3_MAX_SCRATCH", 1 << 30 if pixels == 3 else 0)
    monkeypatch.setattr(conv, "PIXELS2_ACTIVATIONS", 0)
    monkeypatch.setattr(conv, "k8_fits", lambda *a, **k: False)  # the blocked product (test_conv_1x1_k8.py)
    chain = [(8, 12, 1, 1), (12, 8, 1, 1), (8, 12, 1, 1)] if shape == "1x1" else [(8, 8, 3, 1), (8, 8, 3, 1)]
    model = conv_chain(2, chain, h=9, w=7)
    c = compile_bytes(model, "chain", board="cortex-m4")  # the DSP boards' blocking
    assert {field(L, "pixels") for L in c.project.layers} == {pixels}
    assert c.plan.reverse_steps
    assert_bit_exact(model, count=3, boards=dsp_boards())


def test_constant_channels():
    """Channels whose output cannot vary: all-zero weights with a huge bias (as vww's dead channels),
    a multiplier so small that every accumulator rounds to the zero point, and a zero scale. They take
    the constant form; the other channels stay exact."""
    rng = np.random.default_rng(11)
    oc = 6
    wt = rng.integers(-127, 128, (oc, 3, 3, 8), dtype=np.int8)
    wt[1] = 0
    wt[4] = 0
    ws = [0.01, 1e-9, 0.02, 2e-9, 3e-9, 0.015]
    bias = rand_bias(rng, oc)
    bias[1], bias[4] = 1 << 30, -(1 << 30)
    model = conv_model(0, 1, 6, 5, 8, oc, 3, 3, wt=wt, ws=ws, bias_data=bias, in_q=(0.05, 3), out_q=(0.02, -7))
    op = compile_bytes(model, "m").graph.operators[0]
    plan = conv.Conv2D().fast(op, frozenset({"dsp"}))
    assert plan is not None and plan.constant_channels == 3
    assert_bit_exact(model, count=4, boards=dsp_boards())


def test_fallback_to_reference():
    """A real multiplier >= 0.5 (shift >= 0) is outside the fast requantization: mcu_conv_s8 runs."""
    rng = np.random.default_rng(3)
    wt = rng.integers(-127, 128, (4, 3, 3, 5), dtype=np.int8)
    model = conv_model(0, 1, 6, 6, 5, 4, 3, 3, wt=wt, ws=[0.01, 0.02, 0.9, 0.01], in_q=(0.5, 0), out_q=(0.3, 1))
    assert conv_layer(model).function == "conv_s8"
    assert_bit_exact(model, count=4, boards=dsp_boards())


# ---- reverse order: chains where the planner overlaps layers and runs some backwards ------------

def conv_chain(seed, specs, h=9, w=7):
    """CONV_2D layers in a row, specs = [(in_c, out_c, k, stride), ...], SAME padding."""
    rng = np.random.default_rng(seed)
    t = [TensorSpec((1, h, w, specs[0][0]), "int8", 0.05, 3)]
    ops, x = [], 0
    for i, (ci, co, k, s) in enumerate(specs):
        wt = rng.integers(-127, 128, (co, k, k, ci), dtype=np.int8)
        ws = list(np.exp(rng.uniform(np.log(0.002), np.log(0.02), co)))
        t.append(TensorSpec(wt.shape, "int8", ws, [0] * co, data=wt))
        t.append(TensorSpec((co,), "int32", [0.05 * v for v in ws], [0] * co, data=rand_bias(rng, co)))
        h, w = (h + s - 1) // s, (w + s - 1) // s
        t.append(TensorSpec((1, h, w, co), "int8", 0.1 + 0.05 * i, -2 + i))
        ops.append(OpSpec("CONV_2D", [x, len(t) - 3, len(t) - 2], [len(t) - 1],
                          {"padding": "SAME", "stride_h": s, "stride_w": s,
                           "fused_activation_function": "RELU" if i % 2 else "NONE"}))
        x = len(t) - 1
    return build_model(t, ops, [0], [x])


CHAINS = {
    "1x1": [(8, 8, 1, 1)] * 3,
    "3x3": [(8, 8, 3, 1)] * 3,
    "mixed": [(8, 8, 1, 1), (8, 8, 3, 1), (8, 8, 1, 1), (8, 8, 3, 1)],
    "widths": [(8, 16, 1, 1), (16, 8, 1, 1), (8, 16, 1, 1), (16, 8, 1, 1)],
}


@pytest.mark.parametrize("chain", list(CHAINS))
def test_reverse_under_overlap(chain):
    model = conv_chain(1, CHAINS[chain])
    for board, fast in (("cortex-m4", {"conv_1x1_s8", "conv_1x1_k8_s8", "conv_im2col_s8"}),
                        ("host", {"conv_1x1_s8", "conv_im2col_s8"})):  # no DSP: the pair-word layout
        c = compile_bytes(model, "chain", board=board)
        reverse = sorted(c.plan.reverse_steps)
        assert reverse and c.plan.overlaps
        kernels = {L.function for L in c.project.layers}
        assert kernels <= fast
        assert all(field(c.project.layers[s], "reverse") == 1 for s in reverse)
    assert_bit_exact(model, count=4, sanitize=True)
    assert_bit_exact(model, count=4, boards=dsp_boards() + (("cortex-m3",) if dsp_boards() else ()))


def test_too_close_overlap_is_caught(monkeypatch):
    """With the overlap rule disabled, the 3x3 chain must come out wrong (the chain tests are meaningful)."""
    monkeypatch.setattr(conv, "streaming_min_offset", lambda out_bytes, first: 0)
    monkeypatch.setattr(conv, "reverse_min_offset", lambda out_bytes, last: 0)
    with pytest.raises(AssertionError):
        assert_bit_exact(conv_chain(1, CHAINS["3x3"]), count=4)


# ---- the requantization identity and the scratch sizes, in C -------------------------------------

REQUANT_TEST = r"""
#include <stdint.h>
#include <stdio.h>
#include "mcu_conv.h"
#include "mcu_fixedpoint.h"

static uint32_t s = 2463534242u;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; return s; }

static long cases, bad;

static void check(int32_t acc, int32_t m, int32_t e, int32_t zp)
{
    const int64_t h = ((int64_t)1 << (e - 1)) + (int64_t)zp * ((int64_t)1 << e);
    const int64_t a = acc < 0 ? -(int64_t)acc : acc;
    if (h < INT32_MIN || h > INT32_MAX || (h < 0 ? -h : h) + a + 2 >= ((int64_t)1 << 31)) {
        return; /* outside the condition the generator checks */
    }
    const int32_t m2 = (int32_t)((int64_t)2 * m - ((int64_t)1 << 32));
    const int32_t want = mcu_requantize(acc, m, -e) + zp;
    const int32_t got = mcu_conv_fast_requant(acc, m2, (int32_t)h, e);
    cases++;
    if (got != want) {
        if (bad++ < 5) {
            printf("acc %ld m %ld e %ld zp %ld: %ld, want %ld\n", (long)acc, (long)m, (long)e, (long)zp, (long)got,
                   (long)want);
        }
    }
}

int main(void)
{
    for (int32_t e = 1; e <= 31; e++) {
        for (int32_t i = 0; i < ROUNDS; i++) {
            const int32_t m = (int32_t)(0x40000000u | (rnd() & 0x3FFFFFFFu));
            const int32_t zp = (int32_t)(rnd() % 256u) - 128;
            const int32_t range = (int32_t)(rnd() >> (rnd() % 31u)); /* every magnitude */
            check((int32_t)(rnd() % ((uint32_t)range + 1u)) - range / 2, m, e, zp);
            check((int32_t)rnd(), m, e, zp);
            /* accumulators whose product lands on (or next to) a rounding tie of the shift */
            const int64_t v = ((int64_t)(int32_t)rnd() >> (rnd() % 32u) | 1) * ((int64_t)1 << (e - 1));
            const int64_t acc = (v * ((int64_t)1 << 31)) / m;
            for (int64_t d = -2; d <= 2; d++) {
                if (acc + d >= INT32_MIN && acc + d <= INT32_MAX) {
                    check((int32_t)(acc + d), m, e, zp);
                }
            }
        }
        const int32_t edges[] = {0, 1, -1, 2, -2, 1 << 20, -(1 << 20), INT32_MAX / 2, INT32_MIN / 2};
        for (unsigned j = 0; j < sizeof(edges) / sizeof(edges[0]); j++) {
            check(edges[j], 0x40000000, e, 0);
            check(edges[j], 0x7FFFFFFF, e, -128);
            check(edges[j], 0x5A5A5A5A, e, 127);
        }
    }
    printf("cases %ld mismatches %ld\n", cases, bad);
    return bad != 0;
}
"""

SIZES_TEST = r"""
#include <stdio.h>
#include "mcu_conv.h"
int main(void)
{
    for (int px = 1; px <= 3; px++)
        for (int kh = 1; kh <= 11; kh += 2)
            for (int kw = 1; kw <= 11; kw++)
                for (int c = 1; c <= 70; c += 3)
                    printf("%d %d %d %d %ld %ld %ld\n", px, kh, kw, c, (long)mcu_conv_1x1_s8_get_buffer_size(c, px),
                           (long)mcu_conv_im2col_s8_get_buffer_size(kh, kw, c, px),
                           (long)mcu_conv_im2col_s8_row_groups(kw, c));
    return 0;
}
"""


def _host_run(tmp_path: Path, source: str, defines=(), sources=()) -> str:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler")
    (tmp_path / "t.c").write_text(source)
    exe = tmp_path / "t"
    subprocess.run([cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", *defines, "-I", str(ROOT / "runtime_c/include"),
                    str(tmp_path / "t.c"), *(str(ROOT / "runtime_c" / f) for f in sources), "-o", str(exe)], check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_requant_identity_host(tmp_path):
    out = _host_run(tmp_path, REQUANT_TEST, ["-DROUNDS=20000"])
    assert "mismatches 0" in out and int(out.split()[1]) > 1_000_000, out


def test_requant_identity_cortex_m4(tmp_path):
    """The SMMLAR formulation on the DSP target, as a small bare-metal program under QEMU."""
    if not dsp_boards():
        pytest.skip("no Arm toolchain")
    sys.path.insert(0, str(ROOT / "tests" / "firmware"))
    import bringup_check as fw  # the firmware templates' own rendering helpers
    board = fw.tomllib.loads((ROOT / "boards" / "cortex-m4.toml").read_text())
    fw.render_templates(board, tmp_path)
    (tmp_path / "main.c").write_text(REQUANT_TEST)
    subprocess.run(["arm-none-eabi-gcc", *board["cflags"], "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror",
                    "-DROUNDS=600", "-I", str(ROOT / "runtime_c/include"), "main.c", f"{fw.NAME}_startup.c",
                    "--specs=nano.specs", "--specs=rdimon.specs", "-T", f"{fw.NAME}.ld", "-o", "fw.elf"],
                   cwd=tmp_path, check=True)
    status, text = fw.run(board, tmp_path, ["fw"])
    assert status == 0 and "mismatches 0" in text, text


def test_scratch_sizes_match_c(tmp_path):
    out = _host_run(tmp_path, SIZES_TEST, sources=("conv/mcu_conv_1x1_s8.c", "conv/mcu_conv_im2col_s8.c"))
    for line in out.splitlines():
        px, kh, kw, c, one, im2col, row_groups = map(int, line.split())
        assert conv.im2col_row_groups(kw, c) == row_groups, line
        if px == 1:  # the pair-word layout: K = kh * kw * c bytes of window, none for 1x1
            assert conv.FastConv("conv_im2col_s8", (kh * kw * c + 3) // 4, np.zeros(0), 0, 0, False, 1).scratch \
                == im2col, line
            assert conv.FastConv("conv_1x1_s8", (c + 3) // 4, np.zeros(0), 0, 0, False, 1).scratch == one == 0, line
            continue
        groups = kh * row_groups if row_groups else (kh * kw * c + 3) // 4
        plan = conv.FastConv("conv_im2col_s8", groups, np.zeros(0), 0, row_groups, False, px, c % 4 != 0)
        assert plan.scratch == im2col, line
        assert conv.FastConv("conv_1x1_s8", (c + 3) // 4, np.zeros(0), 0, 0, False, px).scratch == one, line
    # and the handler's own answer for real layers of each kind (3 pixels, and 2 above the threshold)
    for kh, kw, ic, px, hw in [(1, 1, 21, 3, 12), (3, 3, 3, 3, 12), (10, 4, 1, 3, 12), (5, 5, 1, 3, 12),
                               (3, 3, 16, 3, 12), (3, 3, 16, 2, 44), (1, 1, 200, 3, 4), (1, 1, 200, 2, 13)]:
        model = conv_model(0, 1, hw, hw, ic, 4, kh, kw)
        op = compile_bytes(model, "m").graph.operators[0]
        plan = conv.Conv2D().fast(op, frozenset({"dsp"}))
        assert plan.pixels == px
        rg = conv.im2col_row_groups(kw, ic)
        groups = (ic + 3) // 4 if kh == kw == 1 else (kh * rg if rg else (kh * kw * ic + 3) // 4)
        staging = 4 if ic % 4 and kh * kw > 1 else 0
        assert conv.Conv2D().scratch_bytes(op, frozenset({"dsp"})) == (8 * px + staging) * groups
        # without DSP the pair-word layout: nothing for 1x1 (the input in place), the window's bytes for im2col
        assert conv.Conv2D().scratch_bytes(op) == (0 if kh == kw == 1 else 4 * -(-(kh * kw * ic) // 4))


def test_python_requant_model():
    """conv.fast_requant (the build-time model of the C function) equals TFLM's recipe too."""
    rng = np.random.default_rng(0)
    for _ in range(3000):
        e = int(rng.integers(1, 32))
        m = int(rng.integers(1 << 30, 1 << 31))
        zp = int(rng.integers(-128, 128))
        h = (1 << (e - 1)) + zp * (1 << e)
        limit = (1 << 31) - 3 - abs(h)
        if limit <= 0:
            continue
        acc = int(rng.integers(-limit, limit))
        assert conv.fast_requant(acc, 2 * m - (1 << 32), h, e) == conv.tflm_requantize(acc, m, -e) + zp
