"""The dynamic-range (hybrid) models in shared/models/dynamic/ against LiteRT's reference kernels
(OpResolverType.BUILTIN_REF; TFLM refuses hybrid models), over 10 inputs in each model's realistic range,
on the host (under ASan/UBSan for the small ones) and kws_ref_model_dynamic on cortex-m4 under QEMU.
lstm_2layer_dynamic (two hybrid UNIDIRECTIONAL_SEQUENCE_LSTM layers, asymmetric inputs, cell clip 10, then
STRIDED_SLICE and a float FULLY_CONNECTED) over consecutive invocations with its state carried, on the host
and on cortex-m4, within 1e-4 of LiteRT's output range (measured: bit for bit; the LSTM replays LiteRT's
gate functions, see mcu_lstm_hybrid.c).

Measured: every output equal to LiteRT's bit for bit on the host (max abs and rel error 0), including the
float layers (TFLM's reference float order, which LiteRT's reference kernels share)."""
import numpy as np
import pytest

from tests.ops.recurrent_hybrid_cases import within

from mcugen.testing.compare import compare_model, output_errors, run_on_board
from tests.conftest import need_arm_tools, shared_model

RANGES = {  # realistic input ranges (shared/models/README.md)
    "ad01_dynamic": (-85.0, 15.0),            # log-mel energies
    "kws_ref_model_dynamic": (-123.0, 26.0),  # MFCCs
    "kws_ref_model_float32": (-123.0, 26.0),  # MLPerf Tiny's file: hybrid CONV_2D despite its name
    "vww_96_dynamic": (0.0, 1.0),             # pixels
}


def _inputs(name, model, count=10):
    from mcugen.compiler import compile_bytes
    lo, hi = RANGES[name]
    rng = np.random.default_rng(7)
    xs = []
    for t in compile_bytes(model, "probe").graph.inputs:
        x = rng.uniform(lo, hi, size=(count, *t.shape)).astype(np.float32)
        x[0], x[1] = lo, hi          # constant inputs: the quantized input is one value
        x[2] *= 1e-3                 # the same shape at a thousandth of the range
        xs.append(x)
    return xs


def _report(ours, ref, where):
    for i, (a, b) in enumerate(zip(ours, ref)):
        d = np.abs(a.astype(np.float64) - b)
        rel = d / np.maximum(np.abs(b.astype(np.float64)), 1e-30)
        print(f"{where} output {i}: max abs error {d.max():.3g}, max rel error {rel.max():.3g}, "
              f"{np.count_nonzero(d)} of {d.size} values differ")


@pytest.mark.parametrize("name", sorted(RANGES))
def test_dynamic_model_host(name):
    model = shared_model(f"dynamic/{name}.tflite").read_bytes()
    cmp = compare_model(model, inputs=_inputs(name, model), oracle="litert", sanitize=name != "vww_96_dynamic")
    _report(cmp.ours, cmp.ref, f"{name} host")
    for i, e in enumerate(cmp.errors()):
        assert e.ok, f"{name} output {i}: {e.describe()}"
    # LiteRT's algorithm is reproduced operation for operation: demand the same bits on the host
    assert all(np.array_equal(a, b) for a, b in zip(cmp.ours, cmp.ref)), f"{name}: host differs from LiteRT"


def test_dynamic_model_on_cortex_m4():
    need_arm_tools()
    name = "kws_ref_model_dynamic"
    model = shared_model(f"dynamic/{name}.tflite").read_bytes()
    xs = _inputs(name, model, count=4)
    cmp = compare_model(model, inputs=xs, oracle="litert")
    ours = run_on_board(model, "cortex-m4", xs)
    _report(ours, cmp.ref, f"{name} cortex-m4")
    for i, e in enumerate(output_errors(ours, cmp.ref)):
        assert e.ok, f"{name} cortex-m4 output {i}: {e.describe()}"


def test_lstm_2layer_dynamic():
    """lstm_2layer_dynamic: 8 consecutive invocations (state carried; ranges from 1e-3 to 30, a constant
    input and an all-zero one) on the host under ASan/UBSan and 4 on cortex-m4."""
    model = shared_model("dynamic/lstm_2layer_dynamic.tflite").read_bytes()
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (8, 1, 16, 32)).astype(np.float32)
    x *= np.float32(10.0) ** rng.integers(-3, 2, (8, 1, 16, 1)).astype(np.float32)
    x[3] = 0.5
    x[5] = 0
    cmp = compare_model(model, inputs=[x], oracle="litert", sanitize=True)
    _report(cmp.ours, cmp.ref, "lstm_2layer_dynamic host")
    worst = [within(a, b, f"host output {i}") for i, (a, b) in enumerate(zip(cmp.ours, cmp.ref))]
    print("host worst error / range:", worst)
    need_arm_tools()
    xs = [x[:4]]
    ours = run_on_board(model, "cortex-m4", xs)
    _report(ours, [r[:4] for r in cmp.ref], "lstm_2layer_dynamic cortex-m4")
    for i, (a, b) in enumerate(zip(ours, cmp.ref)):
        within(a, b[:4], f"cortex-m4 output {i}")
