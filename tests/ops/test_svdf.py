"""SVDF (int8 input, int16 or int8 state) against TFLM over consecutive invocations (state carried)."""
import numpy as np
import pytest

from mcugen.frontend.tflite_reader import read_model
from mcugen.diagnose import single_op_of
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects
from mcugen.testing.random_quant import rand_act_quant

from tests.conftest import assert_bit_exact, need_arm_tools, shared_model


def svdf_model(rng, batches, input_size, units, rank, memory, state="int16", act="NONE", bias=True,
               variable=True, state_zp=None):
    filters = units * rank
    (xs, xz), (ys, yz) = rand_act_quant(rng), rand_act_quant(rng)
    ws = float(np.exp(rng.uniform(np.log(0.002), np.log(0.05))))
    if state == "int16":
        ss, sz = float(np.exp(rng.uniform(np.log(1e-4), np.log(1e-2)))), 0
        ts = float(np.exp(rng.uniform(np.log(1e-5), np.log(1e-3))))
        wt = rng.integers(-32767, 32768, (filters, memory)).astype(np.int16)
    else:
        (ss, sz), ts = rand_act_quant(rng), float(np.exp(rng.uniform(np.log(0.002), np.log(0.05))))
        wt = rng.integers(-127, 128, (filters, memory)).astype(np.int8)
    if state_zp is not None:
        sz = state_zp
    wf = rng.integers(-127, 128, (filters, input_size)).astype(np.int8)
    bs = float(np.float32(ss) * np.float32(ts))
    b = TensorSpec((units,), "int32", bs, 0, data=rng.integers(-30000, 30000, units).astype(np.int32)) if bias else None
    return single_op_model("SVDF", [
        TensorSpec((batches, input_size), "int8", xs, xz), TensorSpec((filters, input_size), "int8", ws, 0, data=wf),
        TensorSpec((filters, memory), state, ts, 0, data=wt), b,
        TensorSpec((batches, filters * memory), state, ss, sz, is_variable=variable)],
        [TensorSpec((batches, units), "int8", ys, yz)], {"rank": rank, "fused_activation_function": act})


ACTS = ["NONE", "RELU", "RELU6", "NONE"]


@pytest.mark.parametrize("seed", range(12))
def test_svdf_random(seed, bit_exact):
    """Random shapes, quantization and state type; 12 consecutive invocations carry the state."""
    rng = np.random.default_rng(100 + seed)
    small = seed < 6  # the first cases also run under QEMU
    batches = int(rng.integers(1, 3 if small else 4))
    input_size = int(rng.integers(1, 12 if small else 40))
    units = int(rng.integers(1, 6 if small else 20))
    rank = int(rng.integers(1, 4))
    memory = int(rng.integers(1, 6 if small else 12))
    state = "int8" if seed % 3 == 2 else "int16"
    model = svdf_model(rng, batches, input_size, units, rank, memory, state, ACTS[seed % 4])
    assert not rule_problems(model)
    bit_exact(model, count=12, sanitize=seed in (7, 8))


def test_svdf_int8_state_extreme_zero_points(bit_exact):
    """int8 state with zero points at the ends of the range: TFLM starts the state at its zero point."""
    rng = np.random.default_rng(7)
    for zp in (-128, 127):
        bit_exact(svdf_model(rng, 2, 5, 3, 2, 4, "int8", state_zp=zp), count=10)


def test_svdf_rules():
    rng = np.random.default_rng(3)
    assert any("variable" in m for m in rule_problems(svdf_model(rng, 1, 4, 2, 1, 3, variable=False)))
    no_bias = svdf_model(rng, 1, 4, 2, 1, 3, bias=False)
    assert any("bias" in m for m in rule_problems(no_bias))
    assert not tflm_rejects(svdf_model(rng, 1, 4, 2, 1, 3))
    assert tflm_rejects(svdf_model(rng, 1, 4, 2, 1, 3, variable=False))


def _keyword_svdfs():
    g = read_model(shared_model("keyword_scrambled_8bit.tflite"))
    return [op for op in g.operators if op.op == "SVDF"]


def test_keyword_svdf_layers(bit_exact):
    """Each of the seven SVDF layers of keyword_scrambled_8bit, cut out alone, over 25 invocations."""
    layers = _keyword_svdfs()
    assert len(layers) == 7
    for op in layers:
        bit_exact(single_op_of(op), count=25, seed=op.index)


def test_svdf_dsp_paths_cortex_m4():
    """The DSP paths (word-wise row moves when memory is a multiple of 4 (int8) or 2 (int16), paired feature
    sums, odd filter counts, input tails, rank > 1) on cortex-m4, against TFLM over 6 invocations."""
    need_arm_tools()
    rng = np.random.default_rng(41)
    cases = [(1, 16, 5, 1, 8, "int8"), (2, 7, 3, 3, 4, "int8"), (1, 9, 4, 2, 6, "int16"), (2, 5, 3, 1, 5, "int16"),
             (1, 13, 3, 1, 7, "int8")]
    for batches, input_size, units, rank, memory, state in cases:
        model = svdf_model(rng, batches, input_size, units, rank, memory, state)
        assert_bit_exact(model, count=6, boards=("cortex-m4",))
