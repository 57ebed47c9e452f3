"""`mcugen run` and `verify` show a progress bar on long runs (on a terminal): the samples then run in
chunks, and the outputs are the same as in one piece; a model with recurrent state runs in one piece (its
state must carry over from sample to sample)."""
from __future__ import annotations

import numpy as np

from mcugen import api
from mcugen.compiler import compile_bytes
from mcugen.testing.compare import sample_inputs
from tests.integration.helpers import need, tiny_model
from tests.ops.test_svdf import svdf_model


def test_chunked_run_gives_the_same_outputs(tmp_path, capsys):
    need("make", "cc")
    path = tmp_path / "p.tflite"
    path.write_bytes(tiny_model(2))
    g = compile_bytes(path.read_bytes(), "probe").graph
    model = str(path)
    n = api.PROGRESS_CHUNK["host"] * 2 + 7
    x = sample_inputs(g.inputs, n, seed=4)[0]
    whole = api.run(model, [x], board="host", name="p")[0]
    chunked = api.run(model, [x], board="host", name="p", progress=True)[0]
    assert whole.shape[0] == n and np.array_equal(whole, chunked)
    err = capsys.readouterr().err
    assert f"running {n} samples on host" in err
    r = api.verify(model, board="host", name="p", count=n, progress=True)
    assert r.ok and r.count == n


def test_stateful_model_runs_in_one_piece(tmp_path, capsys):
    need("make", "cc")
    rng = np.random.default_rng(3)
    path = tmp_path / "s.tflite"
    path.write_bytes(svdf_model(rng, 1, 6, 3, 2, 4, "int16"))
    g = compile_bytes(path.read_bytes(), "probe").graph
    model = str(path)
    n = api.PROGRESS_CHUNK["host"] + 20
    x = sample_inputs(g.inputs, n, seed=1)[0]
    a = api.run(model, [x], board="host", name="s")[0]
    b = api.run(model, [x], board="host", name="s", progress=True)[0]
    assert np.array_equal(a, b)
    assert "samples on host" not in capsys.readouterr().err
