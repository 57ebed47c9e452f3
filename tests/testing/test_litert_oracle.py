"""mcugen.oracle.litert runs LiteRT's reference kernels in a child process (it clashes with tflite-micro)."""
import sys

import numpy as np

from mcugen.oracle import litert, tflm
from mcugen.testing.builder import TensorSpec, single_op_model


def test_litert_matches_tflm_on_an_int8_add():
    model = single_op_model("ADD", [TensorSpec((2, 8), "int8", 0.05, 3), TensorSpec((2, 8), "int8", 0.07, -5)],
                            [TensorSpec((2, 8), "int8", 0.1, 1)])
    rng = np.random.default_rng(0)
    xs = [rng.integers(-128, 128, (5, 2, 8), dtype=np.int8) for _ in range(2)]
    got = litert.run(model, xs)
    assert len(got) == 1 and got[0].dtype == np.int8 and got[0].shape == (5, 2, 8)
    assert (got[0] == tflm.run(model, xs, 1)[0]).all()
    assert "ai_edge_litert" not in sys.modules  # never loaded beside tflite_micro
