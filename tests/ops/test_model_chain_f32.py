"""A float32 Keras-like model of many operators chained (CONV_2D -> ADD -> LOGISTIC -> MUL (swish) -> PAD ->
MAX_POOL_2D -> HARD_SWISH / CONCATENATION -> RESHAPE -> FULLY_CONNECTED -> TANH, and a second output through
TRANSPOSE_CONV -> PRELU -> BATCH_MATMUL -> SOFTMAX), against TFLM on the host (ASan/UBSan) and under QEMU on
cortex-m4 (FPU) and cortex-m3 (soft float), within the float tolerance; the measured errors are printed."""
import numpy as np
import pytest

from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.compare import compare_model, output_errors, rule_problems, run_on_board
from tests.conftest import need_arm_tools

F = "float32"


def chain_model(seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    c = lambda *s: rng.normal(0, 0.5, s).astype(np.float32)  # noqa: E731
    t = [
        TensorSpec((1, 8, 8, 3), F, name="image"),                                  # 0
        TensorSpec((8, 3, 3, 3), F, data=c(8, 3, 3, 3), name="conv_w"),              # 1
        TensorSpec((8,), F, data=c(8), name="conv_b"),                               # 2
        TensorSpec((1, 8, 8, 8), F, name="conv"),                                    # 3
        TensorSpec((8,), F, data=c(8), name="shift"),                                # 4
        TensorSpec((1, 8, 8, 8), F, name="add"),                                     # 5
        TensorSpec((1, 8, 8, 8), F, name="sigmoid"),                                 # 6
        TensorSpec((1, 8, 8, 8), F, name="swish"),                                   # 7
        TensorSpec((4, 2), "int32", data=np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32), name="pads"),  # 8
        TensorSpec((1, 10, 10, 8), F, name="padded"),                                # 9
        TensorSpec((1, 5, 5, 8), F, name="pool"),                                    # 10
        TensorSpec((1, 5, 5, 8), F, name="hswish"),                                  # 11
        TensorSpec((1, 5, 5, 16), F, name="concat"),                                 # 12
        TensorSpec((2,), "int32", data=np.array([1, 400], np.int32), name="shape"),  # 13
        TensorSpec((1, 400), F, name="flat"),                                        # 14
        TensorSpec((10, 400), F, data=c(10, 400) * 0.03, name="fc_w"),                # 15
        TensorSpec((10,), F, data=c(10), name="fc_b"),                               # 16
        TensorSpec((1, 10), F, name="fc"),                                           # 17
        TensorSpec((1, 10), F, name="logits_tanh"),                                  # 18
        # second branch: up-sampling and attention-like matmul
        TensorSpec((4,), "int32", data=np.array([1, 10, 10, 4], np.int32), name="tc_shape"),  # 19
        TensorSpec((4, 3, 3, 16), F, data=c(4, 3, 3, 16) * 0.3, name="tc_w"),        # 20
        TensorSpec((1, 10, 10, 4), F, name="tconv"),                                 # 21
        TensorSpec((4,), F, data=c(4), name="alpha"),                                # 22
        TensorSpec((1, 10, 10, 4), F, name="prelu"),                                 # 23
        TensorSpec((3,), "int32", data=np.array([1, 100, 4], np.int32), name="seq_shape"),  # 24
        TensorSpec((1, 100, 4), F, name="seq"),                                      # 25
        TensorSpec((1, 100, 100), F, name="scores"),                                 # 26
        TensorSpec((1, 100, 100), F, name="attn"),                                   # 27
    ]
    ops = [
        OpSpec("CONV_2D", [0, 1, 2], [3], {"padding": "SAME", "stride_h": 1, "stride_w": 1,
                                           "fused_activation_function": "RELU6"}),
        OpSpec("ADD", [3, 4], [5]),
        OpSpec("LOGISTIC", [5], [6]),
        OpSpec("MUL", [3, 6], [7]),
        OpSpec("PAD", [7, 8], [9]),
        OpSpec("MAX_POOL_2D", [9], [10], {"padding": "VALID", "stride_h": 2, "stride_w": 2, "filter_height": 2,
                                          "filter_width": 2}),
        OpSpec("HARD_SWISH", [10], [11]),
        OpSpec("CONCATENATION", [10, 11], [12], {"axis": 3}),
        OpSpec("RESHAPE", [12, 13], [14], {"new_shape": [1, 400]}),
        OpSpec("FULLY_CONNECTED", [14, 15, 16], [17]),
        OpSpec("TANH", [17], [18]),
        OpSpec("TRANSPOSE_CONV", [19, 20, 12, -1], [21], {"padding": "SAME", "stride_h": 2,
                                                                        "stride_w": 2}),
        OpSpec("PRELU", [21, 22], [23]),
        OpSpec("RESHAPE", [23, 24], [25], {"new_shape": [1, 100, 4]}),
        OpSpec("BATCH_MATMUL", [25, 25], [26], {"adj_y": True}),
        OpSpec("SOFTMAX", [26], [27], {"beta": 0.5}),
    ]
    return build_model(t, ops, inputs=[0], outputs=[18, 27])


def _inputs(count=4, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(count, 1, 8, 8, 3)).astype(np.float32)
    x[0] = 0.0
    return [x]


def _describe(where, errs):
    return "; ".join(f"{where} output {i}: {e.describe()}" for i, e in enumerate(errs))


def test_chain_f32_host():
    model = chain_model()
    assert rule_problems(model) == []
    cmp = compare_model(model, sanitize=True, inputs=_inputs())
    errs = cmp.errors()
    print(_describe("host", errs))
    assert all(e.ok for e in errs), _describe("host", errs)


@pytest.mark.parametrize("board", ["cortex-m4", "cortex-m3"])
def test_chain_f32_on_board(board):
    need_arm_tools()
    model = chain_model()
    xs = _inputs(count=2)
    cmp = compare_model(model, inputs=xs)
    errs = output_errors(run_on_board(model, board, xs), cmp.ref)
    print(_describe(board, errs))
    assert all(e.ok for e in errs), _describe(board, errs)
