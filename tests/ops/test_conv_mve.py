"""The Helium (MVE) path of the fast CONV_2D kernels (mcu_conv_fast_gemm4 in mcu_conv_1x1_s8.c, the int8
gathering of mcu_conv_im2col_s8.c; pixels = 4) on cortex-m55 under QEMU, bit-exact with TFLM. Cases from
test_conv_dsp.py's table that hit every gathering variant (1x1 with in_c tails and stride; im2col with
whole rows, padded rows, taps outside, dilation, per-tap gathering, full byte staging), plus K not a
multiple of 16 (the predicated tail: K = 4, 12, 20, 36, 44, 84 ...) and a short last block of 1..3
pixels, constant channels, and layers run backwards under real arena overlaps."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

import mcugen.ops.conv as conv
from mcugen.compiler import compile_bytes
from tests.conftest import assert_bit_exact, have_arm_tools
from tests.ops.test_conv_dsp import CASES, CHAINS, ROOT, conv_chain, conv_layer, conv_model, field

M55 = ("cortex-m55",)
need_qemu = pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")

PICKED = ["1x1_ic21_s2_oc10", "1x1_ic30_s3_valid", "5x3_ic4_dil2", "3x3_ic3_s2_vww0", "10x4_ic1_s2_kws0",
          "2x3_ic2_dil_w", "5x5_ic1_full_staging"]
EXTRA = {  # K tails against 16 and pixel counts leaving 1, 2, 3 in the last block of 4
    "1x1_ic84_oc19_px21": dict(n=1, h=3, w=7, ic=84, oc=19, kh=1, kw=1, act="RELU"),
    "1x1_ic16_oc33_px22": dict(n=2, h=11, w=1, ic=16, oc=33, kh=1, kw=1),
    "3x3_ic12_oc3_px23": dict(n=1, h=23, w=1, ic=12, oc=3, kh=3, kw=3, act="RELU6"),
    "3x1_ic5_oc17": dict(n=1, h=6, w=5, ic=5, oc=17, kh=3, kw=1, stride=(2, 1)),
}


def test_mve_layout_chosen():
    """cortex-m55 gets pixels = 4 and a stream per pair of channels (mcu_conv.h's Helium layout); the other
    boards keep their layouts; the scratch is never larger than the DSP boards' blocks of 2."""
    model = conv_model(3, n=1, h=5, w=7, ic=19, oc=13, kh=3, kw=3)
    m55, m4 = conv_layer(model, "cortex-m55"), conv_layer(model, "cortex-m4")
    assert field(m55, "pixels") == 4 and field(m4, "pixels") in (2, 3) and field(m55, "w16") == 0
    op = compile_bytes(model, "m").graph.operators[0]
    plan = conv.Conv2D().fast(op, frozenset({"dsp", "fpu", "mve"}))
    steps = -(-4 * plan.k_groups // 16)  # per pair: bias[2], 16 weights a channel per step, M[2], h[2], -e[2]
    assert plan.weights.size == 7 * (2 + 8 * steps + 6)
    assert plan.scratch <= conv.FastConv("conv_im2col_s8", plan.k_groups, plan.weights, 0, plan.row_groups, False,
                                         2, plan.staging).scratch


def test_scratch_sizes_match_c_mve(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    src = tmp_path / "t.c"
    src.write_text('#include <stdio.h>\n#include "mcu_conv.h"\nint main(void){for(int kh=1;kh<=7;kh+=2)'
                   'for(int kw=1;kw<=7;kw++)for(int c=1;c<=40;c+=3)printf("%d %d %d %ld %ld\\n",kh,kw,c,'
                   '(long)mcu_conv_1x1_s8_get_buffer_size(c,4),(long)mcu_conv_im2col_s8_get_buffer_size(kh,kw,c,4));'
                   'return 0;}\n')
    exe = tmp_path / "t"
    subprocess.run([cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I", str(ROOT / "runtime_c/include"),
                    str(src), str(ROOT / "runtime_c/conv/mcu_conv_1x1_s8.c"),
                    str(ROOT / "runtime_c/conv/mcu_conv_im2col_s8.c"), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        kh, kw, c, one, im2col = map(int, line.split())
        rg = conv.im2col_row_groups(kw, c)
        groups = kh * rg if rg else (kh * kw * c + 3) // 4
        assert conv.FastConv("conv_im2col_s8", groups, np.zeros(0), 0, rg, False, 4, c % 4 != 0).scratch == im2col
        assert conv.FastConv("conv_1x1_s8", (c + 3) // 4, np.zeros(0), 0, 0, False, 4).scratch == one


@need_qemu
@pytest.mark.parametrize("case", PICKED + list(EXTRA))
def test_fast_conv_mve(case):
    if case in CASES:
        kwargs, kernel = CASES[case][0], CASES[case][1]
        seed = sorted(CASES).index(case)
    else:
        kwargs, kernel = EXTRA[case], "conv_1x1_s8" if EXTRA[case]["kh"] == 1 == EXTRA[case]["kw"] else None
        seed = 40 + list(EXTRA).index(case)
    model = conv_model(seed, **kwargs)
    layer = conv_layer(model, "cortex-m55")
    assert field(layer, "pixels") == 4
    if kernel:
        assert layer.function == kernel
    assert_bit_exact(model, count=4, boards=M55)


@need_qemu
@pytest.mark.parametrize("chain", ["mixed"])
def test_reverse_under_overlap_mve(chain):
    model = conv_chain(1, CHAINS[chain])
    c = compile_bytes(model, "chain", board="cortex-m55")
    assert c.plan.reverse_steps and c.plan.overlaps
    assert_bit_exact(model, count=4, boards=M55)


@pytest.mark.skipif(not (have_arm_tools() and __import__("os").environ.get("MCUGEN_LONG")),
                    reason="long sweep: MCUGEN_LONG=1 (and the Arm tools)")
@pytest.mark.parametrize("seed", range(12))
def test_fast_conv_mve_sweep(seed):
    """Random 1x1 and larger convolutions through the Helium product (4 pixels x 2 channels, K tails of 4, 8,
    12 values, odd channel counts, strides, padding, activations) on cortex-m55."""
    rng = np.random.default_rng(8800 + seed)
    kh, kw = [(1, 1), (3, 3), (int(rng.integers(1, 4)), int(rng.integers(1, 4)))][seed % 3]
    kwargs = dict(n=int(rng.integers(1, 3)), h=int(rng.integers(kh, 9)), w=int(rng.integers(kw, 9)),
                  ic=int(rng.integers(1, 70)), oc=int(rng.integers(2, 40)), kh=kh, kw=kw,
                  stride=(int(rng.integers(1, 3)),) * 2, pad=["SAME", "VALID"][seed % 2],
                  act=["NONE", "RELU", "RELU6", "RELU_N1_TO_1"][seed % 4])
    model = conv_model(8800 + seed, **kwargs)
    assert field(conv_layer(model, "cortex-m55"), "pixels") == 4
    assert_bit_exact(model, count=3, boards=("cortex-m55",))


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_constant_channels_mve():
    """Channels whose output cannot vary (all-zero weights with a huge bias, a multiplier so small that every
    accumulator rounds to the zero point) take the constant form in the Helium stream too (M = 2^30, h = twice
    the output, e = 1), an odd channel count among them; the other channels stay exact on cortex-m55."""
    from mcugen.testing.random_quant import rand_bias
    rng = np.random.default_rng(11)
    oc = 7
    wt = rng.integers(-127, 128, (oc, 3, 3, 8), dtype=np.int8)
    wt[1] = 0
    wt[4] = 0
    ws = [0.01, 1e-9, 0.02, 2e-9, 3e-9, 0.015, 0.012]
    bias = rand_bias(rng, oc)
    bias[1], bias[4] = 1 << 30, -(1 << 30)
    model = conv_model(0, 1, 6, 5, 8, oc, 3, 3, wt=wt, ws=ws, bias_data=bias, in_q=(0.05, 3), out_q=(0.02, -7))
    plan = conv.Conv2D().fast(compile_bytes(model, "m").graph.operators[0], frozenset({"dsp", "fpu", "mve"}))
    assert plan is not None and plan.constant_channels == 3 and plan.pixels == 4
    assert_bit_exact(model, count=4, boards=("cortex-m55",))
