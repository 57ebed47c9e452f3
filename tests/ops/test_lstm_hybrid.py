"""UNIDIRECTIONAL_SEQUENCE_LSTM, hybrid (float32 input, state and output; int8 weights with one scale each;
float32 biases): against LiteRT's reference kernels within 1e-4 of the output range, over consecutive
invocations (state carried). Seeded random time steps, batches, sizes (1 and non-multiples of 4), time- and
batch-major, symmetric and asymmetric input quantization, cell clip, CIFG, peephole, projection (with and
without bias, proj clip), layer norm, the cell activations LiteRT runs; inputs whose row ranges change by
orders of magnitude, an all-zero row and an all-zero invocation. Per-channel weights are refused: LiteRT's
hybrid LSTM reads scale 0 for them (its output ignores the weights).

On the host the outputs equal LiteRT's bit for bit (asserted): the gates' sigmoid and tanh are Eigen's as in
LiteRT (mcu_lstm_hybrid.c), and the asymmetric zero point is chosen in double as LiteRT does. MCUGEN_LONG=1 adds
a sweep of 224 random cases (host, bit for bit; before: up to 2.3e-3 of the range with the C library's
expf / tanhf and the float zero point) and 16 of them on cortex-m4 and cortex-m3 under QEMU (bit for bit)."""
import os

import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from mcugen.oracle import litert
from tests.conftest import have_arm_tools, need_arm_tools
from tests.ops.recurrent_hybrid_cases import check_hybrid_recurrent, ranged_inputs, run_twice_with_reset, within


def lstm_hybrid_model(rng, T, B, I, U, time_major=False, asym=False, cell_clip=0.0, cifg=False, peephole=False,
                      proj=0, proj_bias=True, layer_norm=False, proj_clip=0.0, act="TANH", per_channel=False):
    x_shape = (T, B, I) if time_major else (B, T, I)
    n_out = proj or U

    def w8(shape):
        w = rng.integers(-127, 128, shape).astype(np.int8)
        depth = shape[1] if len(shape) > 1 else 4
        s = float(rng.uniform(0.5, 2.0)) / 127 / np.sqrt(depth) * 2
        if per_channel:
            return TensorSpec(shape, "int8", scale=[s * float(v) for v in rng.uniform(0.5, 1.5, shape[0])],
                              zero_point=[0] * shape[0], data=w)
        return TensorSpec(shape, "int8", scale=s, zero_point=0, data=w)

    def fvec(n, s=0.5, mean=0.0):
        return TensorSpec((n,), "float32", data=rng.normal(mean, s, n).astype(np.float32))

    ins = [TensorSpec(x_shape, "float32")]
    ins += [None if (cifg and k == 0) else w8((U, I)) for k in range(4)]
    ins += [None if (cifg and k == 0) else w8((U, n_out)) for k in range(4)]
    ins += [None if (cifg and k == 0) else w8((U,)) for k in range(3)] if peephole else [None] * 3
    ins += [None if (cifg and k == 0) else fvec(U) for k in range(4)]
    ins += [w8((proj, U)), fvec(proj) if proj_bias else None] if proj else [None, None]
    ins.append(TensorSpec((B, n_out), "float32", is_variable=True))
    ins.append(TensorSpec((B, U), "float32", is_variable=True))
    ins += [None if (cifg and k == 0) else fvec(U, 0.3, 1.0) for k in range(4)] if layer_norm else [None] * 4
    opts = {"fused_activation_function": act, "cell_clip": cell_clip, "proj_clip": proj_clip,
            "time_major": time_major, "asymmetric_quantize_inputs": asym}
    model = single_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [TensorSpec(x_shape[:2] + (n_out,), "float32")],
                            opts)
    return model, x_shape


def assert_bit_exact(cmp):
    """On the host the kernel is LiteRT's arithmetic, operation for operation (its gate sigmoid and tanh are
    Eigen's, replayed in mcu_lstm_hybrid.c): the outputs are equal bit for bit, beyond the tolerance."""
    for i, (ours, ref) in enumerate(zip(cmp.ours, cmp.ref)):
        diff = np.count_nonzero(ours.view(np.int32) != ref.view(np.int32))
        assert diff == 0, f"output {i}: {diff} of {ours.size} values differ from LiteRT's bits"


def _case(seed):
    rng = np.random.default_rng(7700 + seed)
    T, B = int(rng.integers(1, 5)), [1, 1, 2, 3][seed % 4]
    I, U = [1, 3, 8, 13, 32][seed % 5], [1, 4, 7, 12][seed % 4]
    kw = dict(time_major=bool(seed % 3 == 1), asym=bool(seed & 1), cell_clip=[0.0, 3.0, 0.4][seed % 3])
    return rng, T, B, I, U, kw


@pytest.mark.parametrize("seed", range(10))
def test_lstm_hybrid_random(seed):
    rng, T, B, I, U, kw = _case(seed)
    model, shape = lstm_hybrid_model(rng, T, B, I, U, **kw)
    assert rule_problems(model) == []
    cmp = check_hybrid_recurrent(model, __name__, [ranged_inputs(shape, rng, row_axes=1 if kw["time_major"] else 2)])
    assert_bit_exact(cmp)


VARIANTS = [
    dict(cifg=True),
    dict(peephole=True),
    dict(cifg=True, peephole=True),
    dict(proj=5),
    dict(proj=3, proj_bias=False, proj_clip=0.05),
    dict(layer_norm=True),
    dict(cifg=True, layer_norm=True, peephole=True),
    dict(peephole=True, proj=6, layer_norm=True),
    dict(act="RELU"),
    dict(act="RELU6", cell_clip=2.0),
    dict(act="RELU_N1_TO_1"),
]


@pytest.mark.parametrize("variant", range(len(VARIANTS)))
def test_lstm_hybrid_variants(variant):
    rng, T, B, I, U, kw = _case(100 + variant)
    kw.update(VARIANTS[variant])
    model, shape = lstm_hybrid_model(rng, T, B, I, max(U, 2), **kw)
    assert rule_problems(model) == []
    cmp = check_hybrid_recurrent(model, __name__ + ".variants",
                                 [ranged_inputs(shape, rng, row_axes=1 if kw["time_major"] else 2)], boards=())
    assert_bit_exact(cmp)


def test_lstm_hybrid_rejects_per_channel_weights():
    """LiteRT's hybrid LSTM reads the legacy per-tensor scale, 0 for per-channel weights; mcugen refuses."""
    rng = np.random.default_rng(3)
    model, _ = lstm_hybrid_model(rng, 2, 1, 4, 3, per_channel=True)
    assert any("per channel" in p for p in rule_problems(model))


def test_lstm_hybrid_rejects_activation_none():
    rng = np.random.default_rng(4)
    model, _ = lstm_hybrid_model(rng, 2, 1, 4, 3, act="NONE")
    assert any("activation NONE" in p for p in rule_problems(model))


def test_lstm_hybrid_reset():
    """5 invocations with the state carried, NAME_reset(), the same 5 again: both rounds equal bit for bit and
    within the tolerance of LiteRT from a zero state; LiteRT without a reset gives other second-round outputs
    (the state matters)."""
    rng = np.random.default_rng(7900)
    model, shape = lstm_hybrid_model(rng, 3, 2, 6, 5, asym=True, cell_clip=3.0)
    x = ranged_inputs(shape, rng, count=5, row_axes=2)
    x[-1] = rng.normal(0, 1, shape)  # no all-zero last invocation: its output still shows the state
    first, second = run_twice_with_reset(model, x)
    assert np.array_equal(first, second)
    ref = litert.run(model, [np.concatenate([x, x])])[0]
    within(first, ref[:5], "before reset")
    assert not np.allclose(ref[5:], ref[:5], rtol=0, atol=1e-3)


def sweep_case(seed):
    """One case of the long sweep: every option drawn at random (seeded)."""
    rng = np.random.default_rng(8800 + seed)
    T, B = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    I, U = int(rng.choice([1, 2, 3, 5, 8, 13, 32])), int(rng.choice([2, 3, 4, 5, 7, 9, 12, 16]))
    kw = dict(time_major=bool(rng.integers(2)), asym=bool(rng.integers(2)),
              cell_clip=float(rng.choice([0.0, 3.0, 0.4])), cifg=bool(rng.integers(2)),
              peephole=bool(rng.integers(2)), layer_norm=bool(rng.integers(3) == 0),
              act=str(rng.choice(["TANH", "TANH", "TANH", "RELU", "RELU6", "RELU_N1_TO_1"])))
    proj = int(rng.choice([0, 0, 3, 6]))
    if proj:
        kw.update(proj=proj, proj_bias=bool(rng.integers(2)), proj_clip=float(rng.choice([0.0, 0.05])))
    model, shape = lstm_hybrid_model(rng, T, B, I, U, **kw)
    return model, [ranged_inputs(shape, rng, row_axes=1 if kw["time_major"] else 2)], kw


def sweep_error(model, xs):
    """(worst |ours - LiteRT| / range of LiteRT's output, whether equal bit for bit) on the host."""
    from mcugen.testing.compare import compare_model
    cmp = compare_model(model, inputs=xs, oracle="litert")
    worst, exact = 0.0, True
    for ours, ref in zip(cmp.ours, cmp.ref):
        worst = max(worst, within(ours, ref, "sweep"))
        exact = exact and np.array_equal(ours.view(np.int32), ref.view(np.int32))
    return worst, exact


LONG = os.environ.get("MCUGEN_LONG") == "1"
#: the sweep's seeds: a sample in the suite (68: the asymmetric zero point that float and double choose
#: differently), all 224 with MCUGEN_LONG=1
SWEEP_SEEDS = range(224) if LONG else (0, 1, 2, 3, 68, 100)


@pytest.mark.parametrize("seed", SWEEP_SEEDS)
def test_lstm_hybrid_sweep(seed):
    """Seeded random cases, every option at random (224 with MCUGEN_LONG=1): within the tolerance and equal to
    LiteRT bit for bit on the host (the gates' sigmoid and tanh are Eigen's, as LiteRT's; see
    mcu_lstm_hybrid.c)."""
    model, xs, kw = sweep_case(seed)
    assert rule_problems(model) == []
    worst, exact = sweep_error(model, xs)
    assert exact, (kw, worst)


@pytest.mark.parametrize("board", ["cortex-m4", "cortex-m3"] if LONG else ["cortex-m4"])
def test_lstm_hybrid_sweep_boards(board):
    """Sweep cases on a Cortex-M board under QEMU (m4: single-precision FPU, newlib's own expf; m3: soft
    float): equal to LiteRT's bits too. The first 16 on both with MCUGEN_LONG=1; seeds 0 and 68 on cortex-m4
    in the suite."""
    need_arm_tools()
    from mcugen.testing.compare import run_on_board
    for seed in (range(16) if LONG else (0, 68)):
        model, xs, kw = sweep_case(seed)
        ref = litert.run(model, xs)
        for ours, r in zip(run_on_board(model, board, xs), ref):
            assert np.array_equal(ours.view(np.int32), r.view(np.int32)), (seed, kw)
