"""The Helium requantizations against TFLM's scalar one (mcu_requantize, MultiplyByQuantizedMultiplier), as a
bare-metal program on cortex-m55 under QEMU, over random accumulators of every magnitude, every multiplier
range and shift, values on and next to the rounding ties, and the int32 edges:
  - depthwise layout 4 (any shift): VSHL by the left shift, VQRDMULH, VRSHL by -e of v + (v >> 31 & mask);
  - depthwise layout 2 (shift <= -1): VQRDMULH, VQADD of v >> 31, VRSHL by the shift;
  - ADD's rescale (shift <= 0): VQRDMULH by a scalar, v + (v >> 31 & mask), VRSHL by a scalar.
The fast conv product's (VQRDMULH + [acc < 0] + h, >> e) is exact where the generator proves it
(mcu_conv_fast_requant); test_conv_dsp.py checks that identity, VQRDMULH being SMMLAR's v here."""
import sys
import subprocess
from pathlib import Path

import pytest

from tests.conftest import have_arm_tools

ROOT = Path(__file__).resolve().parents[2]

REQUANT_MVE_TEST = r"""
#include <stdint.h>
#include <stdio.h>
#include <arm_mve.h>
#include "mcu_fixedpoint.h"

static uint32_t state = 2463534242u;
static uint32_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

static long cases, bad;

static void check4(const int32_t acc[4], int32_t m, int32_t shift)
{
    const int32_t ls = shift > 0 ? shift : 0, rs = shift > 0 ? 0 : -shift;
    const int32x4_t a = vld1q_s32(acc);
    int32x4_t v = vqrdmulhq_s32(vshlq_s32(a, vdupq_n_s32(ls)), vdupq_n_s32(m));
    v = vaddq_s32(v, vandq_s32(vshrq_n_s32(v, 31), vdupq_n_s32(rs > 0 ? -1 : 0)));
    v = vrshlq_s32(v, vdupq_n_s32(-rs));
    int32x4_t w = vqrdmulhq_n_s32(vshlq_r_s32(a, ls), m);
    w = vrshlq_n_s32(vaddq_s32(w, vandq_s32(vshrq_n_s32(w, 31), vdupq_n_s32(rs > 0 ? -1 : 0))), -rs);
    int32x4_t u = vqrdmulhq_s32(a, vdupq_n_s32(m));
    u = vrshlq_s32(vqaddq_s32(u, vshrq_n_s32(u, 31)), vdupq_n_s32(shift));
    int32_t o[4], p[4], q[4];
    vst1q_s32(o, v);
    vst1q_s32(p, w);
    vst1q_s32(q, u);
    for (int j = 0; j < 4; j++) {
        const int32_t ref = mcu_requantize(acc[j], m, shift);
        cases++;
        if (o[j] != ref || p[j] != ref || (shift <= -1 && q[j] != ref)) {
            if (bad < 5) {
                printf("acc %ld m %ld shift %ld: %ld %ld %ld want %ld\n", (long)acc[j], (long)m, (long)shift,
                       (long)o[j], (long)p[j], (long)q[j], (long)ref);
            }
            bad++;
        }
    }
}

int main(void)
{
    for (int32_t shift = -31; shift <= 8; shift++) {
        for (int r = 0; r < ROUNDS; r++) {
            const int32_t m = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
            int32_t acc[4];
            for (int j = 0; j < 4; j++) {
                const int32_t range = (int32_t)(rnd() >> (rnd() % 31u));
                acc[j] = j == 3 ? (int32_t)rnd() : (int32_t)(rnd() % ((uint32_t)range + 1u)) - range / 2;
            }
            check4(acc, m, shift);
            if (shift < 0) { /* accumulators whose product lands on or next to a rounding tie of the shift */
                const int32_t e = -shift;
                const int64_t v = ((int64_t)(int32_t)rnd() >> (rnd() % 32u) | 1) * ((int64_t)1 << (e - 1));
                const int64_t t = (v * ((int64_t)1 << 31)) / m;
                int32_t near[4];
                for (int j = 0; j < 4; j++) {
                    const int64_t x = t + j - 2;
                    near[j] = x >= INT32_MIN && x <= INT32_MAX ? (int32_t)x : 0;
                }
                check4(near, m, shift);
            }
        }
        const int32_t edges[3][4] = {{0, 1, -1, 2}, {INT32_MAX, INT32_MIN, INT32_MAX / 2, INT32_MIN / 2},
                                     {1 << 20, -(1 << 20), -2, INT32_MIN + 1}};
        for (int j = 0; j < 3; j++) {
            check4(edges[j], 0x40000000, shift);
            check4(edges[j], 0x7FFFFFFF, shift);
            check4(edges[j], 0x5A5A5A5A, shift);
        }
    }
    printf("cases %ld mismatches %ld\n", cases, bad);
    return bad != 0;
}
"""


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_vector_requant_is_tflms_on_cortex_m55(tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "firmware"))
    import bringup_check as fw  # the firmware templates' own rendering helpers
    board = fw.tomllib.loads((ROOT / "boards" / "cortex-m55.toml").read_text())
    fw.render_templates(board, tmp_path)
    (tmp_path / "main.c").write_text(REQUANT_MVE_TEST)
    subprocess.run(["arm-none-eabi-gcc", *board["cflags"], "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror",
                    "-DROUNDS=1500", "-I", str(ROOT / "runtime_c/include"), "main.c", f"{fw.NAME}_startup.c",
                    "--specs=nano.specs", "--specs=rdimon.specs", "-T", f"{fw.NAME}.ld", "-o", "fw.elf"],
                   cwd=tmp_path, check=True)
    status, text = fw.run(board, tmp_path, ["fw"])
    assert status == 0 and "mismatches 0" in text, text
    assert int(text.split("cases")[1].split()[0]) > 400_000, text
