"""The high-word multiplies of cores without a 32 x 32 -> 64 multiply (Thumb-1 only: cortex-m0, Armv8-M
Baseline): mcu_mulhi_round16 builds floor((a * b + 2^31) / 2^32) from four 16 x 16 products, and mcu_smmlar and
mcu_conv_fast_requant use it there (MCU_MUL16). Compiled on the host with MCU_FORCE_MUL16, every result is
checked against the int64 form: the int32 edges and their neighbours crossed with each other, values on
and next to the 2^16 boundaries of both halves, and random pairs of every magnitude. The kernels that use
it run on cortex-m0 in the depthwise and convolution op tests."""
import subprocess
from pathlib import Path

from mcugen.backend.tools import host_compiler

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = r"""
#include <stdint.h>
#include <stdio.h>
#include "mcu_conv.h"

static uint32_t state = 88172645u;
static uint32_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

static long cases, bad;

static void check(int32_t a, int32_t b, int32_t c)
{
    const int32_t want = (int32_t)(uint32_t)((uint64_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32) + (uint32_t)c);
    const uint32_t t = (uint32_t)c + (uint32_t)a + (a < 0 ? 0xFFFFFFFFu : 0u);
    const uint64_t sum = ((uint64_t)t << 32) + (uint64_t)((int64_t)a * (int64_t)b) + 0x80000000u;
    const uint32_t hi = (uint32_t)(sum >> 32);
    const int32_t rq = (hi <= 0x7FFFFFFFu ? (int32_t)hi : -(int32_t)(~hi) - 1) >> 3;
    cases++;
    if (mcu_smmlar(a, b, c) != want || mcu_conv_fast_requant(a, b, c, 3) != rq) {
        if (bad++ < 5) {
            printf("a=%ld b=%ld c=%ld: %ld, want %ld\n", (long)a, (long)b, (long)c, (long)mcu_smmlar(a, b, c),
                   (long)want);
        }
    }
}

int main(void)
{
    static const int32_t edge[] = {INT32_MIN, INT32_MIN + 1, -65537, -65536, -65535, -32769, -32768, -32767,
                                   -2, -1, 0, 1, 2, 32767, 32768, 65535, 65536, 65537, 1 << 30, (1 << 30) + 1,
                                   INT32_MAX - 1, INT32_MAX};
    const int n = (int)(sizeof edge / sizeof edge[0]);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            check(edge[i], edge[j], 0);
            check(edge[i], edge[j], (int32_t)rnd());
        }
    }
    for (long k = 0; k < 3000000; k++) {
        const uint32_t r = rnd();
        int32_t a = (int32_t)rnd(), b = (int32_t)rnd();
        a >>= (int)(r & 31);          /* every magnitude */
        b >>= (int)((r >> 5) & 15);
        if (r & (1u << 10)) {
            a = (int32_t)((uint32_t)a & 0xFFFF0000u) | (int32_t)((r >> 11) & 1 ? 0xFFFF : 0); /* half boundaries */
        }
        check(a, b, (int32_t)(rnd() >> (r >> 27)));
    }
    printf("cases %ld bad %ld\n", cases, bad);
    return bad != 0;
}
"""


def test_mulhi_round16_equals_the_64_bit_product(tmp_path):
    src = tmp_path / "mul16.c"
    src.write_text(PROGRAM)
    exe = tmp_path / "mul16"
    cc = host_compiler("the MCU_MUL16 test").split()
    subprocess.run([*cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-DMCU_FORCE_MUL16",
                    "-fsanitize=undefined", "-fno-sanitize-recover=all", f"-I{ROOT / 'runtime_c' / 'include'}",
                    str(src), "-o", str(exe)], check=True, capture_output=True, text=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "bad 0" in r.stdout and "cases 3000968" in r.stdout, r.stdout
