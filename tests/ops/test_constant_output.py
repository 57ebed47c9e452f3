"""A model output that is a constant (TFLM returns its bytes): NAME_output(i) points at them in flash."""
import numpy as np
import pytest

from mcugen.compiler import compile_bytes
from mcugen.testing.builder import OpSpec, TensorSpec, build_model


def _model(dtype, data):
    tensors = [TensorSpec((2, 3), "int8", 0.1, 0), TensorSpec((3, 3), "int8", 0.1, 0),
               TensorSpec((2, 2), "int32", data=np.array([[1, 0], [0, 0]])),
               TensorSpec(data.shape, dtype, *((0.5, -3) if dtype in ("int8", "int16") else (None, None)),
                          data=data)]
    ops = [OpSpec("PAD", [0, 2], [1])]
    return build_model(tensors, ops, inputs=[0], outputs=[1, 3])


@pytest.mark.parametrize("dtype", ["int8", "int16", "float32"])
def test_constant_output(dtype, bit_exact):
    rng = np.random.default_rng(len(dtype))
    data = (rng.integers(-100, 100, size=(5, 3)) if dtype != "float32" else rng.standard_normal((5, 3))).astype(dtype)
    cmp = bit_exact(_model(dtype, data))
    assert np.array_equal(cmp.ours[1][0].reshape(data.shape).view(np.uint8), data.view(np.uint8))
    src = compile_bytes(_model(dtype, data), "m").project.files["m.c"]
    assert "a constant output" in src
