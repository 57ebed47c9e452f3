"""Build the example models the project ships (examples/*.tflite), with mcugen's own flatbuffer builder.

    python examples/make_models.py

tiny_cnn.tflite: a small keyword-spotting-shaped int8 network,
CONV_2D -> DEPTHWISE_CONV_2D -> CONV_2D (1x1) -> AVERAGE_POOL_2D -> RESHAPE ->
FULLY_CONNECTED, seeded random weights, so the output is the same on every run.
"""
from pathlib import Path

import numpy as np

from mcugen.testing.builder import OpSpec, TensorSpec, build_model

HERE = Path(__file__).resolve().parent


def tiny_cnn(seed: int = 42) -> bytes:
    rng = np.random.default_rng(seed)

    def w(shape, axis):
        n = shape[axis]
        return rng.integers(-127, 128, size=shape, dtype=np.int8), [float(s) for s in rng.uniform(0.004, 0.02, n)]

    def bias(n, s_in, ws):
        return TensorSpec((n,), "int32", [s_in * s for s in ws], [0] * n,
                          data=rng.integers(-2000, 2000, size=n, dtype=np.int32))

    w0, s0 = w((16, 5, 3, 1), 0)
    w1, s1 = w((1, 3, 3, 16), 3)
    w2, s2 = w((24, 1, 1, 16), 0)
    w3, s3 = w((10, 24), 0)
    t = [
        TensorSpec((1, 32, 16, 1), "int8", 0.5, 10, name="input"),                            # 0
        TensorSpec(w0.shape, "int8", s0, [0] * 16, data=w0), bias(16, 0.5, s0),               # 1, 2
        TensorSpec((1, 16, 8, 16), "int8", 0.2, -128, name="conv0"),                          # 3
        TensorSpec(w1.shape, "int8", s1, [0] * 16, quantized_dimension=3, data=w1), bias(16, 0.2, s1),  # 4, 5
        TensorSpec((1, 16, 8, 16), "int8", 0.15, -128, name="dw1"),                           # 6
        TensorSpec(w2.shape, "int8", s2, [0] * 24, data=w2), bias(24, 0.15, s2),              # 7, 8
        TensorSpec((1, 16, 8, 24), "int8", 0.1, -128, name="pw2"),                            # 9
        TensorSpec((1, 1, 1, 24), "int8", 0.1, -128, name="pool"),                            # 10
        TensorSpec((2,), "int32", data=np.array([1, 24], np.int32)),                          # 11
        TensorSpec((1, 24), "int8", 0.1, -128, name="flat"),                                  # 12
        TensorSpec(w3.shape, "int8", s3, [0] * 10, data=w3), bias(10, 0.1, s3),               # 13, 14
        TensorSpec((1, 10), "int8", 0.25, 5, name="logits"),                                  # 15
    ]
    ops = [
        OpSpec("CONV_2D", [0, 1, 2], [3], {"padding": "SAME", "stride_h": 2, "stride_w": 2,
                                          "fused_activation_function": "RELU"}),
        OpSpec("DEPTHWISE_CONV_2D", [3, 4, 5], [6], {"padding": "SAME", "depth_multiplier": 1,
                                                    "fused_activation_function": "RELU"}),
        OpSpec("CONV_2D", [6, 7, 8], [9], {"padding": "VALID", "fused_activation_function": "RELU6"}),
        OpSpec("AVERAGE_POOL_2D", [9], [10], {"padding": "VALID", "filter_height": 16, "filter_width": 8,
                                              "stride_h": 16, "stride_w": 8}),
        OpSpec("RESHAPE", [10, 11], [12], {"new_shape": [1, 24]}),
        OpSpec("FULLY_CONNECTED", [12, 13, 14], [15]),
    ]
    return build_model(t, ops, [0], [15])


if __name__ == "__main__":
    (HERE / "tiny_cnn.tflite").write_bytes(tiny_cnn())
    print(f"wrote {HERE / 'tiny_cnn.tflite'}")
