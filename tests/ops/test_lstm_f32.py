"""UNIDIRECTIONAL_SEQUENCE_LSTM, float32, against TFLM within the float tolerance over 6 consecutive
invocations (hidden and cell state carried): random time steps, batches, sizes, time/batch major, cell clip;
and the float trained_lstm end to end."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import compare_model, rule_problems
from mcugen.compiler import compile_bytes
from tests.conftest import shared_model
from tests.ops.f32_cases import check_float


def lstm_f32_model(rng, time_steps, batches, input_size, units, time_major=False, cell_clip=0.0, variable=True):
    x_shape = (time_steps, batches, input_size) if time_major else (batches, time_steps, input_size)
    ins = [TensorSpec(x_shape, "float32")]
    for shape in [(units, input_size)] * 4 + [(units, units)] * 4:
        ins.append(TensorSpec(shape, "float32", data=rng.normal(0, 0.4, shape).astype(np.float32)))
    ins += [None] * 3
    ins += [TensorSpec((units,), "float32", data=rng.normal(0, 0.5, units).astype(np.float32)) for _ in range(4)]
    ins += [None, None]
    ins.append(TensorSpec((batches, units), "float32", is_variable=variable))
    ins.append(TensorSpec((batches, units), "float32", is_variable=variable))
    ins += [None] * 4
    opts = {"fused_activation_function": "TANH", "cell_clip": cell_clip, "proj_clip": 0.0, "time_major": time_major,
            "asymmetric_quantize_inputs": False}
    return single_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [TensorSpec(x_shape[:2] + (units,), "float32")], opts)


@pytest.mark.parametrize("seed", range(10))
def test_lstm_f32_random(seed):
    rng = np.random.default_rng(1400 + seed)
    model = lstm_f32_model(rng, int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 20)),
                           int(rng.integers(1, 16)), time_major=bool(seed % 2),
                           cell_clip=[0.0, 0.5, 3.0, 0.0][seed % 4])
    assert not rule_problems(model)
    check_float(model, __name__, rng)


def test_lstm_f32_needs_variable_state():
    rng = np.random.default_rng(5)
    assert any("variable" in m for m in rule_problems(lstm_f32_model(rng, 2, 1, 3, 2, variable=False)))


@pytest.mark.models
def test_trained_lstm_float_end_to_end():
    """float/trained_lstm.tflite (LSTM, RESHAPE, FULLY_CONNECTED, SOFTMAX) over 20 consecutive invocations."""
    data = shared_model("float/trained_lstm.tflite").read_bytes()
    graph = compile_bytes(data, "tl").graph
    xs = [np.random.default_rng(8).uniform(0, 1, size=(20, *t.shape)).astype(np.float32) for t in graph.inputs]
    cmp = compare_model(data, inputs=xs, name="trained_lstm")
    errs = cmp.errors()
    assert all(e is not None and e.ok for e in errs), [e.describe() for e in errs if e is not None]
