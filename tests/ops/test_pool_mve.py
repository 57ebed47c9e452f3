"""The Helium (MVE) path of AVERAGE_POOL_2D int8 (mcu_avgpool_s8.c: int16 lane sums of 8 channels, the last
vector predicated) on cortex-m55 under QEMU, bit-exact with TFLM: channel counts with tails 1..7, windows
clipped by SAME padding, strides, every fused activation, global pools (kws's 25x5 window) and a window of
more than 256 values (the plain C body). MCUGEN_LONG=1 adds a wider random sweep."""
import os

import numpy as np
import pytest

from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.random_quant import rand_act_quant
from tests.conftest import assert_bit_exact, have_arm_tools

M55 = ("cortex-m55",)
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
pytestmark = pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc and qemu-system-arm")


def _pool_spec(rng, n, h, w, c, k, s, pad, act):
    sc, z = rand_act_quant(rng)
    oh = (h + s[0] - 1) // s[0] if pad == "SAME" else (h - k[0] + s[0]) // s[0]
    ow = (w + s[1] - 1) // s[1] if pad == "SAME" else (w - k[1] + s[1]) // s[1]
    return (TensorSpec((n, h, w, c), "int8", sc, z), TensorSpec((n, oh, ow, c), "int8", sc, z),
            {"padding": pad, "stride_h": s[0], "stride_w": s[1], "filter_height": k[0], "filter_width": k[1],
             "fused_activation_function": act})


def _pools(specs):
    """One model holding every pool as an independent layer (one firmware build checks them all)."""
    tensors, ops, ins, outs = [], [], [], []
    for x, y, options in specs:
        tensors += [x, y]
        ops.append(OpSpec("AVERAGE_POOL_2D", [len(tensors) - 2], [len(tensors) - 1], options))
        ins.append(len(tensors) - 2)
        outs.append(len(tensors) - 1)
    return build_model(tensors, ops, ins, outs)


CASES = [
    (1, 7, 9, 19, (3, 3), (2, 2), "SAME"), (2, 6, 5, 8, (2, 3), (1, 2), "VALID"), (1, 25, 5, 64, (25, 5), (1, 1), "VALID"),
    (1, 5, 6, 3, (4, 4), (1, 1), "SAME"), (1, 17, 17, 9, (17, 17), (1, 1), "VALID"), (1, 4, 4, 33, (3, 2), (3, 1), "SAME"),
]


@pytest.mark.parametrize("part", range(2))
def test_avgpool_mve_bit_exact(part):
    specs = [_pool_spec(np.random.default_rng(700 + i), *CASES[i], ACTS[i % 4]) for i in range(3 * part, 3 * part + 3)]
    assert_bit_exact(_pools(specs), count=3, boards=M55)


@pytest.mark.skipif(not os.environ.get("MCUGEN_LONG"), reason="long sweep: MCUGEN_LONG=1")
@pytest.mark.parametrize("seed", range(6))
def test_avgpool_mve_sweep(seed):
    specs = []
    for j in range(4):
        rng = np.random.default_rng(7000 + 4 * seed + j)
        k = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        h, w = int(rng.integers(k[0], 14)), int(rng.integers(k[1], 14))
        specs.append(_pool_spec(rng, int(rng.integers(1, 3)), h, w, int(rng.integers(1, 40)), k, s,
                                "SAME" if j % 2 else "VALID", ACTS[(seed + j) % 4]))
    assert_bit_exact(_pools(specs), count=3, boards=M55)
