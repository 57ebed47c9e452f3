"""The real int8 models of ../shared/models, bit-exact with TFLM through `mcugen run --board host`.

Every model but the SVDF and LSTM ones: 20 inputs (all-minimum, all-maximum,
18 random) through the CLI's exact interface; the probe variant (every
activation an output) on 6 inputs, so a wrong early layer cannot hide behind a
saturated softmax; and one run under AddressSanitizer + UBSan.
"""
import os

import numpy as np
import pytest
from click.testing import CliRunner

from mcugen.cli import main
from mcugen.compiler import compile_model
from mcugen.oracle import tflm
from mcugen.testing.compare import sample_inputs
from tests.conftest import assert_bit_exact, shared_model

MODELS = [
    "hello_world_int8", "ad01_int8", "kws_ref_model", "micro_speech_quantized", "str_ww_ref_model",
    "person_detect", "vww_96_int8", "pretrainedResnet_quant", "mobilenet_v2_quantized_1x3x224x224",
]
PROBES = [m for m in MODELS if not m.startswith("mobilenet")]


def _count(model: str) -> int:
    return 20


@pytest.mark.models
@pytest.mark.parametrize("model", MODELS)
def test_model_bit_exact_via_cli(model, tmp_path):
    path = shared_model(f"{model}.tflite")
    compiled = compile_model(path)
    xs = sample_inputs(compiled.graph.inputs, _count(model), seed=1)
    args = ["run", str(path), "--board", "host"]
    for i, x in enumerate(xs):
        np.save(tmp_path / f"in{i}.npy", x)
        args += ["--input", str(tmp_path / f"in{i}.npy")]
    for i in range(len(compiled.graph.outputs)):
        args += ["--output", str(tmp_path / f"out{i}.npy")]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    ref = tflm.run(compiled.model_bytes, xs, len(compiled.graph.outputs))
    for i, want in enumerate(ref):
        got = np.load(tmp_path / f"out{i}.npy")
        assert got.dtype == want.dtype and got.shape == want.shape
        bad = np.count_nonzero(got != want)
        assert bad == 0, f"{model} output {i}: {bad} of {want.size} values differ"


@pytest.mark.models
@pytest.mark.parametrize("model", PROBES)
def test_probe_model_every_layer_bit_exact(model):
    path = shared_model(f"probe/{model}_probe.tflite")
    assert_bit_exact(path.read_bytes(), count=6, seed=2)


@pytest.mark.models
@pytest.mark.parametrize("model", MODELS)
def test_model_clean_under_sanitizers(model):
    if model.startswith("mobilenet") and os.environ.get("MCUGEN_LONG") != "1":
        # the largest model (30 s under ASan): its kernels are the others' (bit-exact above in the suite)
        pytest.skip("MCUGEN_LONG=1: mobilenet_v2 under ASan + UBSan (the long run)")
    path = shared_model(f"{model}.tflite")
    assert_bit_exact(path.read_bytes(), count=2, seed=3, sanitize=True)
