"""MUL (int8, broadcasting) against TFLM over random shapes, quantization and options."""
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mcugen.ops.elementwise import broadcast_plan, mul_multiplier
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant
from mcugen.testing.compare import rule_problems

from tests.ops.binary_cases import ACTS, out_quant, out_shape, rand_inputs

ROOT = Path(__file__).resolve().parents[2]


KINDS = ["same", "scalar", "one", "channel", "cross", "random", "random"]


@pytest.mark.parametrize("seed", range(14))
def test_mul_random(seed, bit_exact):
    rng = np.random.default_rng(100 + seed)
    kind = KINDS[seed % len(KINDS)]
    a, b = rand_inputs(rng, kind)
    act = ACTS[seed % 4]
    (s1, z1), (s2, z2) = rand_act_quant(rng), rand_act_quant(rng)
    const = seed % 3 == 1 or len(b) == 0
    data = rng.integers(-128, 128, size=b, dtype=np.int8) if const else None
    so, zo = out_quant(rng, "MUL", (s1, z1), (s2, z2), act, data)
    model = single_op_model("MUL", [TensorSpec(a, "int8", s1, z1), TensorSpec(b, "int8", s2, z2, data=data)],
                            [TensorSpec(out_shape(a, b), "int8", so, zo)], {"fused_activation_function": act})
    bit_exact(model, sanitize=seed == 5)


# (s1, z1, s2, z2, so, zo): the first three give different outputs on a few input
# pairs when the scale product is taken in float32 instead of double (the oracle
# matches double); the others have a multiplier > 1 (positive shift), one large
# enough that TFLM's int32 shift wraps, and one so small it flushes to zero.
PAIR_CASES = [
    (0.01133193913847208, -93, 0.011264190077781677, 120, 0.048297129571437836, 97),
    (0.0030295751057565212, 9, 0.40730664134025574, 70, 0.039440687745809555, -111),
    (0.008816102519631386, 112, 0.12369683384895325, -35, 0.37858977913856506, 13),
    (0.5, 0, 0.5, 0, 0.002, 5),
    (1.0, 3, 1.0, -2, 1e-5, 5),
    (1e-5, 0, 1e-5, 0, 100.0, -7),
]


@pytest.mark.parametrize("case", PAIR_CASES, ids=["double1", "double2", "double3", "gain", "wrap", "flush"])
def test_mul_all_pairs(case, bit_exact):
    """Every int8 value of input2 (a constant row) against many values of input1 (a column)."""
    s1, z1, s2, z2, so, zo = case
    row = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    model = single_op_model("MUL", [TensorSpec((64, 1), "int8", s1, z1),
                                    TensorSpec((1, 256), "int8", s2, z2, data=row)],
                            [TensorSpec((64, 256), "int8", so, zo)], {"fused_activation_function": "NONE"})
    bit_exact(model, count=40, sanitize=case[4] == 1e-5)


def test_mul_multiplier():
    assert mul_multiplier(0.5, 0.5, 0.25) == (1 << 30, 1)
    assert mul_multiplier(1e-5, 1e-5, 100.0) == (0, 0)


def _problems(a, b, y, sa=0.05, act="NONE", dtype="int8", per_channel=False):
    sa = [sa, sa * 2] if per_channel else sa
    za = [0, 0] if per_channel else 0
    model = single_op_model("MUL", [TensorSpec(a, dtype, sa, za, quantized_dimension=len(a) - 1),
                                    TensorSpec(b, "int8", 0.05, 0)],
                            [TensorSpec(y, "int8", 0.05, 0)], {"fused_activation_function": act})
    return rule_problems(model)


def test_rules():
    assert _problems((2, 3), (3,), (2, 3)) == []
    assert _problems((1, 2, 1, 2, 1, 2), (2, 1, 2, 1, 2, 1), (2,) * 6) == []
    assert any("rank 7" in m for m in _problems((2,) * 7, (2,), (2,) * 7))
    assert any("do not broadcast" in m for m in _problems((2, 3), (2,), (2, 3)))
    assert any("broadcast shape" in m for m in _problems((2, 3), (3,), (2, 1)))
    assert any("empty dimension" in m for m in _problems((2, 0), (1,), (2, 0)))
    assert any("TANH" in m for m in _problems((2, 3), (3,), (2, 3), act="TANH"))
    assert any("int16" in m for m in _problems((2, 3), (3,), (2, 3), dtype="int16"))
    assert any("per channel" in m for m in _problems((2, 2), (2,), (2, 2), per_channel=True))


INPLACE_CASE = r"""
static int case%(k)d(void) {
    static const mcu_mul_params_t P = { .size = %(size)d, .bcast = %(bcast)s,
        .input1_offset = 3, .input2_offset = -7, .output_offset = 10,
        .output_multiplier = %(m)d, .output_shift = %(h)d, .act_min = -128, .act_max = 127 };
    int8_t a[%(na)d], b[%(nb)d], ref[%(size)d], buf[%(size)d];
    fill(a, %(na)d);
    fill(b, %(nb)d);
    mcu_mul_s8(&P, a, b, ref);
    memcpy(buf, %(full)s, sizeof buf);
    mcu_mul_s8(&P, %(args)s, buf);
    return memcmp(ref, buf, sizeof buf) != 0;
}
"""
INPLACE_SHAPES = [((4, 6), (4, 6)), ((4, 6), (6,)), ((4, 1), (4, 6)), ((3, 1, 5), (3, 4, 5)), ((2, 3, 4), (2, 1, 4))]


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_in_place(tmp_path):
    """The output may overlay the input whose shape is the output's (flat and broadcast paths)."""
    m, h = mul_multiplier(0.03, 0.05, 0.04)
    pad = lambda v, f: "{" + ", ".join(str(x) for x in list(v) + [f] * (6 - len(v))) + "}"  # noqa: E731
    src = ["#include <string.h>", '#include "mcu_elementwise.h"',
           "static unsigned seed = 12345u;",
           "static void fill(int8_t *x, int n) { for (int i = 0; i < n; i++) "
           "{ seed = seed * 1103515245u + 12345u; x[i] = (int8_t)(seed >> 16); } }"]
    for k, (a, b) in enumerate(INPLACE_SHAPES):
        y = out_shape(a, b)
        rank, shape, st1, st2 = broadcast_plan(a, b, y)
        full = "a" if tuple(a) == y else "b"
        src.append(INPLACE_CASE % dict(
            k=k, size=int(np.prod(y)), bcast=f"{{ {rank}, {pad(shape, 1)}, {pad(st1, 0)}, {pad(st2, 0)} }}",
            m=m, h=h, na=int(np.prod(a)), nb=int(np.prod(b)),
            full=full, args="buf, b" if full == "a" else "a, buf"))
    src.append("int main(void) {\n" + "".join(f"    if (case{k}()) return {k + 1};\n"
                                              for k in range(len(INPLACE_SHAPES))) + "    return 0;\n}\n")
    (tmp_path / "main.c").write_text("\n".join(src))
    exe = tmp_path / "t"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", "-I", str(ROOT / "runtime_c" / "include"),
                    str(tmp_path / "main.c"), str(ROOT / "runtime_c" / "elementwise" / "mcu_mul_s8.c"),
                    "-o", str(exe)], check=True)
    rc = subprocess.run([str(exe)]).returncode
    assert rc == 0, f"in-place result differs for {INPLACE_SHAPES[rc - 1]}"
