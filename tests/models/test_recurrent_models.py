"""The recurrent shared models end to end, and NAME_reset(), against TFLM called the same way.

Streaming: one invoke per input, state carried from one to the next on both
sides (the harness runs all samples after one init; the oracle uses one
interpreter). Reset: a small program of our own runs a sequence, calls
NAME_reset() and runs it again; TFLM's reference is the sequence run twice from
a fresh interpreter.
"""
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from mcugen.codegen import write_project
from mcugen.compiler import compile_bytes, compile_model
from mcugen.oracle import tflm
from mcugen.testing.compare import compare_model, count_mismatches, run_on_board, sample_inputs
from tests.conftest import need_arm_tools, shared_model
from tests.ops.test_lstm import lstm_model
from tests.ops.test_svdf import svdf_model

MODELS = ["keyword_scrambled_8bit", "trained_lstm_int8"]


@pytest.mark.models
@pytest.mark.parametrize("model", MODELS)
def test_recurrent_model_host(model):
    data = shared_model(f"{model}.tflite").read_bytes()
    cmp = compare_model(data, count=24, seed=3, name=model)
    assert cmp.exact, cmp.mismatches()
    # the state really carries: the outputs are not a function of the current input alone
    report = cmp.compiled.project.report
    # the state: the variable tensors' elements and what their kernels keep beside them (SVDF's ring position)
    assert report["state"]["bytes"] == sum(t.storage_bytes for t in cmp.compiled.graph.tensors if t.is_variable) > 0
    assert all(r["state_bytes"] > 0 for r in report["layers"] if r["op"] in ("SVDF", "UNIDIRECTIONAL_SEQUENCE_LSTM"))


@pytest.mark.models
@pytest.mark.parametrize("model", MODELS)
def test_recurrent_model_cortex_m4(model):
    need_arm_tools()
    data = shared_model(f"{model}.tflite").read_bytes()
    compiled = compile_bytes(data, model)
    xs = sample_inputs(compiled.graph.inputs, 20, seed=4)
    ours = run_on_board(data, "cortex-m4", xs, name=model)
    ref = tflm.run(data, xs, len(compiled.graph.outputs))
    assert not any(count_mismatches(ours, ref))


def test_keyword_state_matters():
    """The same input gives different outputs at different times (state), and the planner keeps the seven
    SVDF states apart from every other buffer for the whole program."""
    path = shared_model("keyword_scrambled_8bit.tflite")
    c = compile_model(path)
    states = [b for b in c.plan.buffers if b.tensor is not None and b.tensor.is_variable]
    assert len(states) == 7
    last = len(c.graph.operators) - 1
    assert all(b.first == 0 and b.last == last for b in states)
    for s in states:
        for b in c.plan.buffers:
            if b is not s:
                assert b.offset + b.size <= s.offset or s.offset + s.size <= b.offset


RESET_MAIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "NAME.h"
int main(int argc, char **argv)
{
    if (argc != 4) return 1;
    long n = strtol(argv[1], NULL, 10);
    FILE *in = fopen(argv[2], "rb"), *out = fopen(argv[3], "wb");
    size_t ib = NAME_input_bytes(0), ob = NAME_output_bytes(0);
    unsigned char *buf = malloc(ib * (size_t)n);
    if (NAME_init(NULL) != 0 || fread(buf, 1, ib * (size_t)n, in) != ib * (size_t)n) return 2;
    for (int pass = 0; pass < 2; pass++) {
        for (long s = 0; s < n; s++) {
            memcpy(NAME_input(0), buf + ib * (size_t)s, ib);
            if (pass == 1 && s == 0 && NAME_reset() != 0) return 3; /* reset leaves the input alone */
            if (NAME_invoke() != 0) return 4;
            fwrite(NAME_output(0), 1, ob, out);
        }
    }
    fclose(out);
    return 0;
}
"""


def _run_with_reset(model: bytes, xs: np.ndarray) -> np.ndarray:
    c = compile_bytes(model, "rst")
    with tempfile.TemporaryDirectory(prefix="mcugen-reset-") as tmp:
        d = Path(tmp) / "rst"
        write_project(c.project.files, d, force=True)
        (d / "reset_main.c").write_text(RESET_MAIN.replace("NAME", "rst"))
        sources = [str(p) for p in d.glob("*.c")]
        exe = d / "reset_test"
        subprocess.run(["cc", "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-I", str(d), *sources, "-o", str(exe)],
                       check=True)
        (d / "in.bin").write_bytes(np.ascontiguousarray(xs).tobytes())
        subprocess.run([str(exe), str(len(xs)), str(d / "in.bin"), str(d / "out.bin")], check=True)
        y = c.graph.outputs[0]
        return np.frombuffer((d / "out.bin").read_bytes(), dtype=y.dtype).reshape((2 * len(xs), *y.shape))


@pytest.mark.parametrize("kind", ["svdf16", "svdf8", "lstm"])
def test_reset_between_sequences(kind):
    rng = np.random.default_rng(11)
    if kind == "lstm":
        model = lstm_model(rng, 3, 2, 5, 4, cell_clip=2.0)
    else:
        model = svdf_model(rng, 2, 6, 3, 2, 4, "int16" if kind == "svdf16" else "int8", state_zp=None)
    c = compile_bytes(model, "probe")
    xs = sample_inputs(c.graph.inputs, 7, seed=2)[0]
    ref = tflm.run(model, [xs], 1)[0]
    ours = _run_with_reset(model, xs)
    assert (ours[:7] == ref).all() and (ours[7:] == ref).all()
    # without the reset the second pass would differ (the state matters)
    ip = tflm.interpreter(model)
    again = []
    for _ in range(2):
        for x in xs:
            ip.set_input(np.array(x), 0)
            ip.invoke()
            again.append(np.array(ip.get_output(0)))
    assert (np.stack(again[7:]) != ref).any()
    ip.reset()
    ip.set_input(np.array(xs[0]), 0)
    ip.invoke()
    assert (np.array(ip.get_output(0)) == ref[0]).all()  # TFLM's own reset agrees with a fresh interpreter


def test_report_shows_recurrent_layers(tmp_path):
    """The Markdown report lists the recurrent layers with MACs per time step and per invocation and their
    state bytes, and the total state in its summary."""
    from mcugen.report import write_report
    c = compile_model(shared_model("trained_lstm_int8.tflite"))
    md = write_report(c, tmp_path)[1].read_text()
    assert "## Recurrent layers" in md
    assert "| 0 | 0 | UNIDIRECTIONAL_SEQUENCE_LSTM | 28 | 3,840 | 107,520 | 60 |" in md
    assert "| recurrent state (variable tensors, kept across invocations, never shared) | 60 |" in md
    c = compile_model(shared_model("keyword_scrambled_8bit.tflite"))
    md = write_report(c, tmp_path)[1].read_text()
    # 5,120 state bytes and the seven SVDFs' ring position words
    assert md.count("| SVDF | 1 |") == 7 and "| 5,148 |" in md
