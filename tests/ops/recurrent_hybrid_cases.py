"""Shared checks of the hybrid recurrent and matmul tests (LSTM, SVDF, BATCH_MATMUL): mcugen against LiteRT's
reference kernels (BUILTIN_REF, in a child process) over several consecutive invocations (the state carried
from one to the next), on the host under ASan/UBSan and, for the first two cases of a module, on cortex-m4
and cortex-m3 under QEMU. Outputs must be within HYBRID_TOLERANCE x the reference output's range (max - min).

SVDF, BATCH_MATMUL and the LSTM follow LiteRT operation for operation (measured: equal bit for bit). For the
LSTM that takes LiteRT's own gate functions: Eigen's logistic (its packet form for elements in aligned
4-float packets of LiteRT's scratch, its scalar form with glibc's expf for the others) and Eigen's rational
tanh, and the asymmetric zero point chosen in double (runtime_c/recurrent/mcu_lstm_hybrid.c; a long sweep:
tests/ops/test_lstm_hybrid.py with MCUGEN_LONG=1)."""
from collections import defaultdict

import numpy as np

from mcugen.testing.compare import compare_model, run_on_board
from tests.conftest import have_arm_tools

HYBRID_TOLERANCE = 1e-4
_seen: dict[str, int] = defaultdict(int)


def within(ours: np.ndarray, ref: np.ndarray, where: str) -> float:
    """Assert |ours - ref| <= HYBRID_TOLERANCE x range(ref) everywhere; return the worst error / range."""
    assert ours.shape == ref.shape and ours.dtype == np.float32, (where, ours.shape, ref.shape, ours.dtype)
    ref64 = ref.astype(np.float64)
    span = float(ref64.max() - ref64.min()) if ref.size else 0.0
    span = span if span > 0 else max(float(np.abs(ref64).max(initial=0.0)), 1e-30)
    d = np.abs(ours.astype(np.float64) - ref64)
    assert np.all(np.isfinite(ours) == np.isfinite(ref)), f"{where}: non-finite values differ"
    worst = float(np.nanmax(d, initial=0.0)) / span
    assert worst <= HYBRID_TOLERANCE, (f"{where}: max abs error {np.nanmax(d):.3g} = {worst:.3g} x output range "
                                       f"{span:.4g} (tolerance {HYBRID_TOLERANCE:g}); "
                                       f"{int(np.count_nonzero(d > HYBRID_TOLERANCE * span))} of {d.size} beyond")
    return worst


def check_hybrid_recurrent(model: bytes, module: str, xs: list[np.ndarray], boards=("cortex-m4", "cortex-m3")):
    """Host (sanitized) against LiteRT; the first len(boards) cases of `module` also on those boards
    (cortex-m4: FPU and the DSP path; cortex-m3: soft float, plain C)."""
    cmp = compare_model(model, sanitize=True, inputs=xs, oracle="litert")
    for i, (ours, ref) in enumerate(zip(cmp.ours, cmp.ref)):
        within(ours, ref, f"host output {i}")
    index = _seen[module]
    _seen[module] += 1
    if index < len(boards) and have_arm_tools():
        ours = run_on_board(model, boards[index], xs)
        for i, (a, b) in enumerate(zip(ours, cmp.ref)):
            within(a, b, f"{boards[index]} output {i}")
    return cmp


def ranged_inputs(shape, rng, count=5, row_axes=1, zero_row_at=1):
    """`count` consecutive invocations of `shape` whose rows (the leading `row_axes` axes) have ranges
    10^-3 .. 10^2 apart, changing from one invocation to the next; invocation `zero_row_at` has an all-zero
    first row and the last invocation is all zero."""
    x = rng.normal(0, 1, (count, *shape))
    mags = 10.0 ** rng.integers(-3, 3, (count, *shape[:row_axes]) + (1,) * (len(shape) - row_axes))
    x = (x * mags).astype(np.float32)
    x[zero_row_at].reshape(-1)[: int(np.prod(shape[row_axes:]))] = 0
    x[-1] = 0
    return x


_RESET_MAIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "NAME.h"
int main(int argc, char **argv)
{
    if (argc < 4) {
        return 1;
    }
    int n = atoi(argv[1]);
    FILE *in = fopen(argv[2], "rb"), *out = fopen(argv[3], "wb");
    size_t ib = NAME_input_bytes(0), ob = NAME_output_bytes(0);
    unsigned char *x = malloc(ib * (size_t)n);
    if (!in || !out || !x || fread(x, 1, ib * (size_t)n, in) != ib * (size_t)n || NAME_init(NULL) != 0) {
        return 2;
    }
    for (int round = 0; round < 2; round++) {
        for (int s = 0; s < n; s++) {
            memcpy(NAME_input(0), x + ib * (size_t)s, ib);
            if (NAME_invoke() != 0) {
                return 3;
            }
            fwrite(NAME_output(0), 1, ob, out);
        }
        if (NAME_reset() != 0) {
            return 4;
        }
    }
    fclose(out);
    free(x);
    return 0;
}
"""


def run_twice_with_reset(model: bytes, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Build the generated project for the host with a driver that invokes on every sample of x (one
    input), calls NAME_reset(), and invokes on them again; returns the two rounds' outputs (one output)."""
    import subprocess
    import tempfile
    from pathlib import Path

    from mcugen.codegen import write_project
    from mcugen.compiler import compile_bytes

    compiled = compile_bytes(model, "rst")
    out_t = compiled.graph.outputs[0]
    with tempfile.TemporaryDirectory(prefix="mcugen-reset-") as tmp:
        d = Path(tmp) / "rst"
        write_project(compiled.project.files, d, force=True)
        (d / "reset_main.c").write_text(_RESET_MAIN.replace("NAME", "rst"))
        srcs = [str(p) for p in sorted(d.glob("*.c"))]
        exe = d / "reset_main"
        subprocess.run(["gcc", "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
                        "-fno-sanitize-recover=all", "-I", str(d), *srcs, "-o", str(exe), "-lm"], check=True)
        (d / "in.bin").write_bytes(np.ascontiguousarray(x).tobytes())
        subprocess.run([str(exe), str(x.shape[0]), str(d / "in.bin"), str(d / "out.bin")], check=True, timeout=120)
        y = np.frombuffer((d / "out.bin").read_bytes(), np.dtype(out_t.dtype)).reshape(2, x.shape[0], *out_t.shape)
    return y[0], y[1]
