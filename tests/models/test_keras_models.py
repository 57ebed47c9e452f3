"""Small Keras models (tests/fixtures/keras/, written by examples/keras/make_keras_models.py,
make_issue8_models.py and make_lstm_models.py), bit-exact with TFLM.

Each fixture is what TFLiteConverter makes of ordinary Keras layers with
full-integer int8 quantization: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE
chains for Flatten/Reshape, EXPAND_DIMS + CONV_2D for Conv1D, MEAN for global
average pooling, QUANTIZE/DEQUANTIZE at float edges, and so on.

A dilated convolution in a model with a dynamic batch dimension (the Keras
default) becomes SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND whose middle
tensors are stored with the placeholder batch 1 instead of their real batch
(2 for Conv1D, 4 for Conv2D); TFLM runs them with the stored shapes and gets
wrong outputs (docs/tflm-differences.md). mcugen recognises the pattern and compiles
one dilated CONV_2D (passes/fuse_dilated_conv.py), which matches desktop TFLite's
reference kernels (tests/passes/test_fuse_dilated_conv.py); a SPACE_TO_BATCH_ND whose
stored shapes are wrong outside that pattern is refused.

The make_issue8_models.py fixtures come in int8 and 16x8 (`_int16`) versions.
Where TFLM refuses a model (an int16 RESIZE_BILINEAR or SPACE_TO_BATCH_ND, a
legacy uint8 CONV_2D), mcugen must refuse it too; the test checks TFLM still
refuses it, so that a TFLM upgrade shows up here.
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import pytest
from click.testing import CliRunner

from mcugen.cli import main
from mcugen.frontend import read_model_bytes
from mcugen.oracle import tflm
from mcugen.testing.compare import compare_model, sample_inputs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"

BIT_EXACT = [
    "dense_flatten",
    "conv2d_bn_relu_maxpool",
    "depthwise_separable",
    "conv1d",
    "conv2d_dilated",
    "residual_add",
    "activations",
    "padding_permute",
    "float_io",
    # make_issue8_models.py
    "upsampling_decoder_int8",          # RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR, TRANSPOSE_CONV
    "upsampling_decoder_nearest_int16",  # the same in 16x8, nearest upsampling twice
    "attention_block_int8",              # BATCH_MATMUL, SOFTMAX, 3-D FULLY_CONNECTED
    "attention_block_int16",
    "split_unpack_frontend_int8",        # SPLIT, SPLIT_V, UNPACK, PACK, MAXIMUM, MINIMUM, GREATER, SELECT_V2,
    "split_unpack_frontend_int16",       # REDUCE_MAX, SUM (int16: MEAN instead of REDUCE_MAX, no select)
    "elementwise_activations_int8",      # LOGISTIC, TANH, MUL, PRELU, SUB, LEAKY_RELU
    "elementwise_activations_int16",     # the same without PRELU (the 16x8 quantizer refuses it)
    "dilated_conv1d_stack_int8",
    "dilated_conv1d_stack_int16",
    "conv2d_uint8_io",                   # QUANTIZE uint8 -> int8 and int8 -> uint8 at the edges
    # make_lstm_models.py (state carried over the 10 consecutive invocations on both sides)
    "lstm_sequences_int8",               # UNIDIRECTIONAL_SEQUENCE_LSTM, return_sequences=True
    "lstm_last_int8",                    # return_sequences=False: STRIDED_SLICE of the last step
    "lstm_stacked_int8",                 # two LSTMs
    "conv1d_lstm_int8",                  # CONV_2D front end, then the LSTM
]
# fixture -> "node N: OPERATOR" lines the error must hold
UNSUPPORTED = {
    # TFLM refuses it (test_tflm_refuses): there is no int16 RESIZE_BILINEAR
    "upsampling_decoder_int16": ("node 5: RESIZE_BILINEAR",),
}
# dynamic-batch dilated convolutions: TFLM is wrong (test_dynamic_batch_tflm_is_wrong) or refuses them; mcugen
# fuses them into dilated CONV_2D layers, compared with LiteRT in tests/passes/test_fuse_dilated_conv.py
DILATED_DYNAMIC_BATCH = [
    "conv1d_dilated", "conv2d_dilated_dynamic_batch",
    "dilated_conv1d_stack_dynamic_batch_int8", "dilated_conv1d_stack_dynamic_batch_int16",
]
# fixtures TFLM refuses (test_tflm_refuses) that mcugen compiles, compared with LiteRT's reference kernels
LITERT_EXACT = [
    "legacy_uint8",  # all-uint8 TF1 fake-quant model: passes/uint8_to_int8.py runs it on the int8 kernels
]
# fixture -> what TFLM prints when it refuses it (stderr of the interpreter)
TFLM_REFUSES = {
    "dilated_conv1d_stack_dynamic_batch_int16": "Node SPACE_TO_BATCH_ND (number 5) failed to invoke",
    "upsampling_decoder_int16": "Node RESIZE_BILINEAR (number 5) failed to invoke",
    "legacy_uint8": "Node CONV_2D (number 0) failed to prepare",
}


def _fixture(name: str) -> Path:
    p = FIXTURES / f"{name}.tflite"
    assert p.exists(), f"{p} is missing: run examples/keras/make_keras_models.py (tests/fixtures/keras/README.md)"
    return p


def test_every_fixture_is_tested():
    on_disk = {p.stem for p in FIXTURES.glob("*.tflite")}
    assert on_disk == set(BIT_EXACT) | set(UNSUPPORTED) | set(LITERT_EXACT) | set(DILATED_DYNAMIC_BATCH)


@pytest.mark.parametrize("name", BIT_EXACT)
def test_keras_model_bit_exact(name):
    cmp = compare_model(_fixture(name).read_bytes(), count=10, name=name)
    bad = cmp.mismatches()
    assert cmp.exact, f"{name}: differing bytes per output (-1: size differs): {bad}"


@pytest.mark.parametrize("name", LITERT_EXACT)
def test_keras_model_bit_exact_with_litert(name):
    cmp = compare_model(_fixture(name).read_bytes(), count=10, name=name, oracle="litert")
    assert cmp.exact, f"{name}: differing bytes per output (-1: size differs): {cmp.mismatches()}"
    assert all(t.dtype == "uint8" for t in cmp.compiled.graph.inputs + cmp.compiled.graph.outputs)


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_keras_model_rejected(name, tmp_path):
    r = CliRunner().invoke(main, ["build", str(_fixture(name)), "--board", "host", "-o", str(tmp_path / "out")])
    assert r.exit_code == 4, r.output
    assert "Traceback" not in r.output
    for line in UNSUPPORTED[name]:
        assert line in r.output, r.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


_TFLM_ONE_RUN = """
import sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
from mcugen.frontend import read_model_bytes
from mcugen.oracle.tflm import ARENA
from mcugen.testing.compare import sample_inputs
data = open(sys.argv[1], "rb").read()
ip = runtime.Interpreter.from_bytes(data, arena_size=ARENA)
for i, x in enumerate(sample_inputs(read_model_bytes(data).inputs, 1)):
    ip.set_input(x[0], i)
ip.invoke()
"""


@pytest.mark.parametrize("name", sorted(TFLM_REFUSES))
def test_tflm_refuses(name):
    """Why these are in UNSUPPORTED: TFLM fails to prepare or to invoke them (its message goes to stderr)."""
    with pytest.raises(RuntimeError):
        tflm.run(_fixture(name).read_bytes(), sample_inputs(read_model_bytes(_fixture(name).read_bytes()).inputs, 1),
                 1)
    r = subprocess.run([sys.executable, "-c", _TFLM_ONE_RUN, str(_fixture(name))], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[2])
    assert r.returncode != 0 and TFLM_REFUSES[name] in r.stderr, r.stderr


_LITERT_RUN = """
import sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
ip = Interpreter(model_path=sys.argv[1], experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
ip.allocate_tensors()
xs = np.load(sys.argv[2])
out = []
for x in xs:
    ip.set_tensor(ip.get_input_details()[0]["index"], x)
    ip.invoke()
    out.append(ip.get_tensor(ip.get_output_details()[0]["index"]).astype(int).tolist())
print(__import__("json").dumps(out))
"""


def test_dynamic_batch_tflm_is_wrong(tmp_path):
    """dilated_conv1d_stack_dynamic_batch_int8 has the weights of dilated_conv1d_stack_int8 (batch_size=1, the
    dilation folded into CONV_2D): LiteRT, which resizes the tensors between SPACE_TO_BATCH_ND and
    BATCH_TO_SPACE_ND at run time, stays within a few steps of TFLM's run of the batch-1 model; TFLM's run of
    the dynamic-batch model, which trusts the stored placeholder batch, does not."""
    # find_spec, not importorskip: importing LiteRT here would put it in the same process as tflite-micro,
    # where the two clash (later TFLM runs in this test worker then compute wrong numbers)
    if importlib.util.find_spec("ai_edge_litert") is None:
        pytest.skip("ai-edge-litert is not installed (pip install ai-edge-litert)")
    dyn, one = _fixture("dilated_conv1d_stack_dynamic_batch_int8"), _fixture("dilated_conv1d_stack_int8")
    xs = sample_inputs(read_model_bytes(dyn.read_bytes()).inputs, 10)
    np.save(tmp_path / "x.npy", xs[0])
    r = subprocess.run([sys.executable, "-c", _LITERT_RUN, str(dyn), str(tmp_path / "x.npy")], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    litert_dyn = np.array(json.loads(r.stdout)).reshape(10, -1)
    tflm_one = tflm.run(one.read_bytes(), xs, 1)[0].reshape(10, -1).astype(int)
    tflm_dyn = tflm.run(dyn.read_bytes(), xs, 1)[0].reshape(10, -1).astype(int)
    assert np.abs(litert_dyn - tflm_one).max() <= 2   # a separate requantized bias ADD vs a fused bias
    assert np.abs(tflm_dyn - tflm_one).max() >= 50
