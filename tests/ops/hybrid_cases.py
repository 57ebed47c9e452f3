"""Hybrid (dynamic-range) single-operator checks: mcugen against LiteRT's reference kernels
(OpResolverType.BUILTIN_REF, in a child process: TFLM has no hybrid kernels) on the host under ASan/UBSan,
and for the first cases of each module also on Cortex-M boards under QEMU (cortex-m4: FPU and DSP path;
cortex-m3: soft float, plain C). The kernels reproduce LiteRT's algorithm operation for operation, so on the
host the outputs are demanded equal, not merely within the float tolerance."""
from collections import defaultdict

import numpy as np

from mcugen.testing.compare import compare_model, output_errors, run_on_board
from tests.conftest import have_arm_tools

_seen: dict[str, int] = defaultdict(int)


def hybrid_inputs(shape, rng, count=6, row_axes=1):
    """`count` samples of `shape` whose rows (the leading `row_axes` axes) have ranges 10^-3 .. 10^3 apart
    (what dynamic quantization is for); sample 1 has an all-zero first row, sample 2 is all zero, sample 3
    is non-negative (a ReLU output: zero point -128 in asymmetric quantization)."""
    x = rng.normal(0, 1, (count, *shape))
    mags = 10.0 ** rng.integers(-3, 4, (count, *shape[:row_axes]) + (1,) * (len(shape) - row_axes))
    x = (x * mags).astype(np.float32)
    x[1, 0] = 0
    x[2] = 0
    x[3] = np.abs(x[3])
    return x


def check_hybrid(model: bytes, module: str, xs: list[np.ndarray], boards=("cortex-m4", "cortex-m3")):
    cmp = compare_model(model, sanitize=True, inputs=xs, oracle="litert")
    for i, (ours, ref) in enumerate(zip(cmp.ours, cmp.ref)):
        assert ours.dtype == np.float32 and ours.shape == ref.shape
        diff = np.abs(ours.astype(np.float64) - ref)
        assert np.array_equal(ours, ref), (f"host output {i}: {np.count_nonzero(diff)} of {diff.size} values "
                                           f"differ from LiteRT, max abs error {diff.max():.3g}")
    index = _seen[module]
    _seen[module] += 1
    if index < len(boards) and have_arm_tools():
        ours = run_on_board(model, boards[index], xs)
        bad = [f"output {i}: {e.describe()}" for i, e in enumerate(output_errors(ours, cmp.ref)) if not e.ok]
        assert not bad, f"{boards[index]}: " + "; ".join(bad)
    return cmp
