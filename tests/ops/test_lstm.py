"""UNIDIRECTIONAL_SEQUENCE_LSTM (int8 activations, int16 cell) against TFLM over consecutive invocations."""
import numpy as np
import pytest

from mcugen.diagnose import single_op_of
from mcugen.frontend.tflite_reader import read_model
from mcugen.ops.lstm import UnidirectionalSequenceLstm, exact_requant, exact_requant_py, sigmoid_table
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects
from mcugen.testing.random_quant import rand_act_quant

from tests.conftest import assert_bit_exact, need_arm_tools, shared_model
from tests.ops.test_svdf import check_with_reset


def lstm_model(rng, time_steps, batches, input_size, units, time_major=False, act="TANH", cell_clip=0.0,
               cell_power=-12, peephole=False, variable=True, w_range=(0.002, 0.03)):
    (xs, xz), (hs, hz) = rand_act_quant(rng), rand_act_quant(rng)
    cs = 2.0 ** cell_power
    x_shape = (time_steps, batches, input_size) if time_major else (batches, time_steps, input_size)
    y_shape = x_shape[:2] + (units,)
    ins = [TensorSpec(x_shape, "int8", xs, xz)]
    wscale = []
    for shape in [(units, input_size)] * 4 + [(units, units)] * 4:
        s = float(np.exp(rng.uniform(np.log(w_range[0]), np.log(w_range[1]))))
        wscale.append(s)
        ins.append(TensorSpec(shape, "int8", s, 0, data=rng.integers(-127, 128, shape).astype(np.int8)))
    if peephole:
        ins += [TensorSpec((units,), "int16", 0.001, 0, data=rng.integers(-1000, 1000, units).astype(np.int16))] * 3
    else:
        ins += [None] * 3
    for k in range(4):
        bs = float(np.float32(xs) * np.float32(wscale[k]))
        ins.append(TensorSpec((units,), "int32", bs, 0, data=rng.integers(-20000, 20000, units).astype(np.int32)))
    ins += [None, None]
    ins.append(TensorSpec((batches, units), "int8", hs, hz, is_variable=variable))
    ins.append(TensorSpec((batches, units), "int16", cs, 0, is_variable=variable))
    ins += [None] * 4
    opts = {"fused_activation_function": act, "cell_clip": cell_clip, "proj_clip": 0.0, "time_major": time_major,
            "asymmetric_quantize_inputs": False}
    return single_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [TensorSpec(y_shape, "int8", hs, hz)], opts)


def test_sigmoid_table_shape():
    t = sigmoid_table()
    assert t[0] == 32768 and t[255] == 65535 and t.size == 256
    assert np.all(np.diff(t.astype(int)) >= 0)


@pytest.mark.parametrize("seed", range(12))
def test_lstm_random(seed, bit_exact):
    """Random sizes, quantization, time/batch major, cell clip and cell scale; 8 invocations carry the state."""
    rng = np.random.default_rng(200 + seed)
    small = seed < 6
    t = int(rng.integers(1, 4 if small else 7))
    b = int(rng.integers(1, 3 if small else 4))
    n_in = int(rng.integers(1, 8 if small else 30))
    units = int(rng.integers(1, 6 if small else 24))
    model = lstm_model(rng, t, b, n_in, units, time_major=bool(seed % 2), cell_clip=[0.0, 0.5, 3.0, 10.0][seed % 4], cell_power=[-12, -11, -15, -10, -9, -13][seed % 6])
    assert not rule_problems(model)
    bit_exact(model, count=8, sanitize=seed in (7, 8))


def test_lstm_rules():
    rng = np.random.default_rng(5)
    peep = lstm_model(rng, 2, 1, 3, 2, peephole=True)
    assert any("peephole" in m or "type combination" in m for m in rule_problems(peep))
    assert tflm_rejects(peep)
    relu = lstm_model(rng, 2, 1, 3, 2, act="RELU")
    assert any("activation" in m for m in rule_problems(relu))
    novar = lstm_model(rng, 2, 1, 3, 2, variable=False)
    assert any("variable" in m for m in rule_problems(novar))
    assert tflm_rejects(novar)


def _tflm_requant(a: int, m: int, shift: int) -> int:
    """TFLM's MultiplyByQuantizedMultiplier for shift <= 0 on Python integers: SRDHM then RDBPOT."""
    if a == m == -(1 << 31):
        v = (1 << 31) - 1
    else:
        ab = a * m
        n = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
        v = abs(n) >> 31 if n >= 0 else -(abs(n) >> 31)
    e = -shift
    mask = (1 << e) - 1
    return (v >> e) + int((v & mask) > (mask >> 1) + int(v < 0))


def test_exact_requant_equals_tflm():
    """exact_requant (mcu_rec_rq's one multiply) equals TFLM's two roundings plus the zero point for every
    shift it accepts (1..31), int32 extremes, values near the rounding ties and random sums; shifts >= 0 and
    sums that could leave int64 are refused."""
    rng = np.random.default_rng(9)
    assert exact_requant(1 << 30, 0) is None and exact_requant(1 << 30, 2) is None
    assert exact_requant(1 << 30, -32) is None and exact_requant((1 << 31) - 1, -30, 1 << 20) is None
    checked = 0
    for e in range(1, 32):
        for m in (1 << 30, (1 << 31) - 1, int(rng.integers(1 << 30, 1 << 31))):
            for zp in (0, -128, 127, int(rng.integers(-32768, 32768))):
                q = exact_requant(m, -e, zp)
                if q is None:
                    continue
                ties = [k * (1 << max(e - 1, 0)) + d for k in range(-6, 7) for d in (-1, 0, 1)]
                rand = rng.integers(-(1 << 31), 1 << 31, 40).tolist()
                for a in [-(1 << 31), (1 << 31) - 1, 0, 1, -1] + [2 * t for t in ties] + rand:
                    assert exact_requant_py(int(a), q) == _tflm_requant(int(a), m, -e) + zp, (a, m, e, zp)
                    checked += 1
    assert checked > 10000


@pytest.mark.parametrize("seed", range(3))
def test_lstm_fast_requant_host(seed, bit_exact):
    """Small weight scales: every multiplier shifts right and the kernels take the exact one-multiply form."""
    rng = np.random.default_rng(300 + seed)
    model = lstm_model(rng, 3, 2, int(rng.integers(1, 20)), int(rng.integers(1, 16)), time_major=bool(seed % 2),
                       cell_clip=[0.0, 2.0, 0.3][seed], w_range=(0.0001, 0.001))
    bit_exact(model, count=6)


def test_trained_lstm_layer(bit_exact):
    """The LSTM layer of trained_lstm_int8 (28 steps x 28 inputs, 20 units), cut out alone, 20 invocations."""
    g = read_model(shared_model("trained_lstm_int8.tflite"))
    op = next(o for o in g.operators if o.op == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    bit_exact(single_op_of(op), count=20)


def _exact_flag(model: bytes) -> int:
    """The lowering's exact_requant field for the model's LSTM."""
    from mcugen.codegen.context import GenContext
    from mcugen.compiler import compile_bytes
    c = compile_bytes(model, "probe", board="cortex-m4")
    op = c.graph.operators[0]
    layer = UnidirectionalSequenceLstm().lower(op, GenContext("probe", c.plan, frozenset({"dsp"})))
    return dict(layer.fields)["exact_requant"]


def test_lstm_dsp_paths_cortex_m4():
    """The DSP paths on cortex-m4: input and unit counts off multiples of 4 (tail groups), batch and time
    major, small weight scales (all multipliers shift right: exact_requant 1) and large ones whose multipliers
    shift left (the general requantization, exact_requant 0); then NAME_reset() between two runs."""
    need_arm_tools()
    rng = np.random.default_rng(77)
    cases = [dict(time_steps=3, batches=2, input_size=7, units=5, time_major=True, w_range=(0.0002, 0.001)),
             dict(time_steps=2, batches=1, input_size=8, units=12, cell_clip=1.0, w_range=(0.0002, 0.001)),
             dict(time_steps=2, batches=2, input_size=3, units=2, w_range=(0.5, 2.0))]
    flags = []
    for kw in cases:
        model = lstm_model(rng, **kw)
        flags.append(_exact_flag(model))
        assert_bit_exact(model, count=5, boards=("cortex-m4",))
    assert flags == [1, 1, 0]
    check_with_reset(lstm_model(rng, 2, 2, 6, 5, cell_clip=2.0, w_range=(0.0002, 0.001)), 4)


def lstm_model_16x8(rng, time_steps, batches, input_size, units, time_major=False, cell_clip=0.0, cell_power=-12,
                    w_range=(0.002, 0.03), input_zp=0):
    """16x8: int16 input, hidden and output (zero points 0), int8 weights, int64 biases, int16 cell."""
    xs, hs = (float(np.exp(rng.uniform(np.log(1e-4), np.log(3e-3)))) for _ in range(2))
    x_shape = (time_steps, batches, input_size) if time_major else (batches, time_steps, input_size)
    ins = [TensorSpec(x_shape, "int16", xs, input_zp)]
    wscale = []
    for shape in [(units, input_size)] * 4 + [(units, units)] * 4:
        ws = float(np.exp(rng.uniform(np.log(w_range[0]), np.log(w_range[1]))))
        wscale.append(ws)
        ins.append(TensorSpec(shape, "int8", ws, 0, data=rng.integers(-127, 128, shape).astype(np.int8)))
    ins += [None] * 3
    for k in range(4):
        bs = float(np.float32(xs) * np.float32(wscale[k]))
        ins.append(TensorSpec((units,), "int64", bs, 0, data=rng.integers(-2000000, 2000000, units).astype(np.int64)))
    ins += [None, None, TensorSpec((batches, units), "int16", hs, 0, is_variable=True),
            TensorSpec((batches, units), "int16", 2.0 ** cell_power, 0, is_variable=True)] + [None] * 4
    opts = {"fused_activation_function": "TANH", "cell_clip": cell_clip, "proj_clip": 0.0, "time_major": time_major,
            "asymmetric_quantize_inputs": False}
    return single_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [TensorSpec(x_shape[:2] + (units,), "int16", hs, 0)],
                           opts)


@pytest.mark.parametrize("seed", range(8))
def test_lstm_16x8_random(seed, bit_exact):
    """16x8 LSTM (TFLM runs it): random sizes, time/batch major, cell clip and scale, 6 invocations."""
    rng = np.random.default_rng(500 + seed)
    model = lstm_model_16x8(rng, int(rng.integers(1, 5)), int(rng.integers(1, 3)), int(rng.integers(1, 20)),
                            int(rng.integers(1, 14)), time_major=bool(seed % 2),
                            cell_clip=[0.0, 0.5, 3.0, 0.0][seed % 4], cell_power=[-12, -11, -13, -10][seed % 4])
    assert not rule_problems(model)
    bit_exact(model, count=6, sanitize=seed == 3)


def test_lstm_16x8_boards_and_rules():
    """16x8 on cortex-m4 and cortex-m0 under QEMU; a non-zero int16 zero point is refused."""
    need_arm_tools()
    rng = np.random.default_rng(600)
    assert_bit_exact(lstm_model_16x8(rng, 3, 2, 6, 5, cell_clip=1.0), count=5, boards=("cortex-m4", "cortex-m0"))
    assert any("zero point" in m for m in rule_problems(lstm_model_16x8(rng, 2, 1, 3, 2, input_zp=3)))
