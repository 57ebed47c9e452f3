"""Float32 single-operator checks: mcugen against the TFLM interpreter within the float tolerance
(mcugen.testing.compare.FLOAT_TOLERANCE of the output range), on the host under ASan/UBSan, and for the
first case of each module also on a Cortex-M board under QEMU (cortex-m4 with its FPU, or cortex-m3 in soft
float)."""
from collections import defaultdict

import numpy as np

from mcugen.testing.compare import compare_model, output_errors, run_on_board
from tests.conftest import have_arm_tools

_seen: dict[str, int] = defaultdict(int)


def float_inputs(model_inputs, rng, scale=4.0):
    """Uniform samples in [-scale, scale) for every model input (count 6 per input)."""
    return [rng.uniform(-scale, scale, size=(6, *t.shape)).astype(np.float32) for t in model_inputs]


def check_float(model: bytes, module: str, rng=None, boards=("cortex-m4", "cortex-m3"), scale=4.0):
    """Compare `model` with TFLM within the float tolerance; the module's first case runs on boards[0], the
    second on boards[1] (QEMU). Returns the per-output FloatErrors on the host."""
    from mcugen.compiler import compile_bytes
    rng = rng if rng is not None else np.random.default_rng(0)
    graph = compile_bytes(model, "probe").graph
    xs = float_inputs(graph.inputs, rng, scale)
    cmp = compare_model(model, sanitize=True, inputs=xs)
    errs = cmp.errors()
    bad = [f"output {i}: {e.describe()}" for i, e in enumerate(errs) if e is not None and not e.ok]
    assert not bad, "host: " + "; ".join(bad)
    assert all(e is not None for e in errs), "expected float outputs"
    index = _seen[module]
    _seen[module] += 1
    if index < len(boards) and have_arm_tools():
        ours = run_on_board(model, boards[index], xs)
        bad = [f"output {i}: {e.describe()}" for i, e in enumerate(output_errors(ours, cmp.ref)) if not e.ok]
        assert not bad, f"{boards[index]}: " + "; ".join(bad)
    return errs
