"""CONV_2D 16x8: the im2col window and the four-channel dot product (mcu_dot4_s16) on DSP cores.

The window holds k_h * k_w * in_c values; four output channels share one pass over it, the remaining
0 to 3 channels take mcu_dot_s16. Cases: channel counts that leave each tail, windows longer than one
508-value DSP chunk, 1x1 layers reading the input pixel directly, padding and dilation; on cortex-m4
(DSP) and cortex-m3 (plain C), byte for byte against TFLM."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from tests.conftest import assert_bit_exact, need_arm_tools
from tests.ops.s16_cases import act_scale, bias, out_size, output_scale, weights

CASES = [  # (h, w, c_in, c_out, k_h, k_w, stride, dilation, padding)
    (6, 5, 70, 7, 3, 3, 1, 1, "SAME"),     # window 630 > 508; 7 = 4 + 3 channels
    (5, 5, 9, 6, 1, 1, 2, 1, "VALID"),     # 1x1, stride 2: the input pixel is the window
    (7, 6, 3, 5, 3, 2, 1, 2, "SAME"),      # dilated, window partly outside the image
    (4, 9, 1, 8, 4, 3, 1, 1, "VALID"),     # one input channel (kws's first layer shape)
]


def _model(case, seed):
    h, w, ci, co, kh, kw, s, d, pad = case
    rng = np.random.default_rng(seed)
    si = act_scale(rng)
    wt, ws = weights(rng, (co, kh, kw, ci), True, 0)
    so = output_scale(rng, si, ws, kh * kw * ci)
    oh, ow = out_size(pad, h, kh, s, d), out_size(pad, w, kw, s, d)
    return single_op_model("CONV_2D", [TensorSpec((1, h, w, ci), "int16", si, 0),
                                       TensorSpec(wt.shape, "int8", ws, [0] * co, data=wt),
                                       bias(rng, co, "int64" if seed % 2 else "int32", si, ws)],
                           [TensorSpec((1, oh, ow, co), "int16", so, 0)],
                           {"padding": pad, "stride_h": s, "stride_w": s, "dilation_h_factor": d,
                            "dilation_w_factor": d})


@pytest.mark.parametrize("index", range(len(CASES)))
def test_blocked_dot_on_dsp_and_plain_cores(index):
    need_arm_tools()
    assert_bit_exact(_model(CASES[index], index), count=4, boards=("cortex-m4", "cortex-m3"))
