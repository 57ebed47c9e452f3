"""FULLY_CONNECTED against TFLM over random shapes, quantization and options."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_bias, rand_act_quant, rand_weights


@pytest.mark.parametrize("seed", range(12))
def test_fully_connected_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    batches, depth, units = int(rng.integers(1, 4)), int(rng.integers(1, 70)), int(rng.integers(1, 40))
    per_channel = bool(seed % 2)
    (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    w, ws = rand_weights(rng, (units, depth), per_channel, axis=0)
    keep = bool(rng.integers(0, 2)) and batches > 1
    in_shape = (batches, depth)
    out_shape = (batches, units)
    inputs = [
        TensorSpec(in_shape, "int8", si, zi),
        TensorSpec((units, depth), "int8", ws, [0] * len(ws), data=w),
        None if seed % 5 == 4 else TensorSpec((units,), "int32", [si * s for s in ws], [0] * len(ws),
                                              data=rand_bias(rng, units)),
    ]
    act = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"][seed % 4]
    model = single_op_model("FULLY_CONNECTED", inputs, [TensorSpec(out_shape, "int8", so, zo)],
                            {"fused_activation_function": act, "keep_num_dims": keep})
    bit_exact(model)
