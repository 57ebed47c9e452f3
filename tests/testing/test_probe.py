"""mcugen.testing.probe: a probe model computes what the model computes, and exposes every layer."""
from pathlib import Path

from mcugen.frontend import read_model_bytes
from mcugen.oracle import tflm
from mcugen.testing.compare import sample_inputs
from mcugen.testing.probe import probe_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"


def test_probe_keeps_outputs_and_adds_every_layer():
    data = (FIXTURES / "residual_add.tflite").read_bytes()
    g = read_model_bytes(data)
    p = probe_model(data)
    gp = read_model_bytes(p)
    produced = {t.name for op in g.operators for t in op.outputs}
    assert [t.name for t in gp.outputs[:len(g.outputs)]] == [t.name for t in g.outputs]
    assert {t.name for t in gp.outputs} == produced | {t.name for t in g.outputs}
    xs = sample_inputs(g.inputs, 4, seed=0)
    want = tflm.run(data, xs, len(g.outputs))
    got = tflm.run(p, xs, len(gp.outputs))
    for a, b in zip(want, got):
        assert (a == b).all()
