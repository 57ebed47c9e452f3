"""SVDF (int8 input, int16 or int8 state) against TFLM over consecutive invocations (state carried)."""
import tempfile
from pathlib import Path

import numpy as np
import pytest

from mcugen.backend import qemu
from mcugen.boards import load_board
from mcugen.codegen import write_project
from mcugen.compiler import compile_bytes
from mcugen.frontend.tflite_reader import read_model
from mcugen.diagnose import single_op_of
from mcugen.oracle import tflm
from mcugen.testing.compare import count_mismatches, sample_inputs
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects
from mcugen.testing.random_quant import rand_act_quant

from tests.conftest import assert_bit_exact, need_arm_tools, qemu_boards, shared_model


def svdf_model(rng, batches, input_size, units, rank, memory, state="int16", act="NONE", bias=True,
               variable=True, state_zp=None, state_scale=None):
    filters = units * rank
    (xs, xz), (ys, yz) = rand_act_quant(rng), rand_act_quant(rng)
    ws = float(np.exp(rng.uniform(np.log(0.002), np.log(0.05))))
    if state == "int16":
        ss, sz = float(np.exp(rng.uniform(np.log(1e-4), np.log(1e-2)))), 0
        ts = float(np.exp(rng.uniform(np.log(1e-5), np.log(1e-3))))
        wt = rng.integers(-32767, 32768, (filters, memory)).astype(np.int16)
    else:
        (ss, sz), ts = rand_act_quant(rng), float(np.exp(rng.uniform(np.log(0.002), np.log(0.05))))
        wt = rng.integers(-127, 128, (filters, memory)).astype(np.int8)
    if state_zp is not None:
        sz = state_zp
    if state_scale is not None:
        ss = state_scale
    wf = rng.integers(-127, 128, (filters, input_size)).astype(np.int8)
    bs = float(np.float32(ss) * np.float32(ts))
    b = TensorSpec((units,), "int32", bs, 0, data=rng.integers(-30000, 30000, units).astype(np.int32)) if bias else None
    return single_op_model("SVDF", [
        TensorSpec((batches, input_size), "int8", xs, xz), TensorSpec((filters, input_size), "int8", ws, 0, data=wf),
        TensorSpec((filters, memory), state, ts, 0, data=wt), b,
        TensorSpec((batches, filters * memory), state, ss, sz, is_variable=variable)],
        [TensorSpec((batches, units), "int8", ys, yz)], {"rank": rank, "fused_activation_function": act})


ACTS = ["NONE", "RELU", "RELU6", "NONE"]


@pytest.mark.parametrize("seed", range(12))
def test_svdf_random(seed, bit_exact):
    """Random shapes, quantization and state type; 12 consecutive invocations carry the state."""
    rng = np.random.default_rng(100 + seed)
    small = seed < 6  # the first cases also run under QEMU
    batches = int(rng.integers(1, 3 if small else 4))
    input_size = int(rng.integers(1, 12 if small else 40))
    units = int(rng.integers(1, 6 if small else 20))
    rank = int(rng.integers(1, 4))
    memory = int(rng.integers(1, 6 if small else 12))
    state = "int8" if seed % 3 == 2 else "int16"
    model = svdf_model(rng, batches, input_size, units, rank, memory, state, ACTS[seed % 4])
    assert not rule_problems(model)
    bit_exact(model, count=12, sanitize=seed in (7, 8))


def test_svdf_int8_state_extreme_zero_points(bit_exact):
    """int8 state with zero points at the ends of the range: TFLM starts the state at its zero point."""
    rng = np.random.default_rng(7)
    for zp in (-128, 127):
        bit_exact(svdf_model(rng, 2, 5, 3, 2, 4, "int8", state_zp=zp), count=10)


def test_svdf_rules():
    rng = np.random.default_rng(3)
    assert any("variable" in m for m in rule_problems(svdf_model(rng, 1, 4, 2, 1, 3, variable=False)))
    no_bias = svdf_model(rng, 1, 4, 2, 1, 3, bias=False)
    assert any("bias" in m for m in rule_problems(no_bias))
    assert not tflm_rejects(svdf_model(rng, 1, 4, 2, 1, 3))
    assert tflm_rejects(svdf_model(rng, 1, 4, 2, 1, 3, variable=False))


def _keyword_svdfs():
    g = read_model(shared_model("keyword_scrambled_8bit.tflite"))
    return [op for op in g.operators if op.op == "SVDF"]


def test_keyword_svdf_layers(bit_exact):
    """Each of the seven SVDF layers of keyword_scrambled_8bit, cut out alone, over 25 invocations."""
    layers = _keyword_svdfs()
    assert len(layers) == 7
    for op in layers:
        bit_exact(single_op_of(op), count=25, seed=op.index)


def test_svdf_dsp_paths_cortex_m4():
    """The DSP paths (word-wise ring sums when memory is a multiple of 4 (int8) or 2 (int16), paired feature
    sums, odd filter counts, input tails, rank > 1) on cortex-m4, against TFLM over 6 invocations."""
    need_arm_tools()
    rng = np.random.default_rng(41)
    cases = [(1, 16, 5, 1, 8, "int8"), (2, 7, 3, 3, 4, "int8"), (1, 9, 4, 2, 6, "int16"), (2, 5, 3, 1, 5, "int16"),
             (1, 13, 3, 1, 7, "int8")]
    for batches, input_size, units, rank, memory, state in cases:
        model = svdf_model(rng, batches, input_size, units, rank, memory, state)
        assert_bit_exact(model, count=6, boards=("cortex-m4",))


def run_board_with_reset(model: bytes, board: str, xs: np.ndarray) -> np.ndarray:
    """The model's firmware for `board` in QEMU, its harness patched to call NAME_reset() before the middle
    sample: xs (one input, samples first) runs twice, a reset in between; returns the 2 * len(xs) outputs."""
    need_arm_tools()
    c = compile_bytes(model, "rst", board=board)
    with tempfile.TemporaryDirectory(prefix="mcugen-fw-reset-") as tmp:
        d = Path(tmp) / "rst"
        write_project(c.project.files, d, force=True)
        main = d / "harness" / "rst_main.c"
        text = main.read_text()
        call = "        if (rst_invoke() != 0) {"
        assert text.count(call) == 1
        main.write_text(text.replace(call, "        if (s == n / 2 && rst_reset() != 0) {\n            return 4;\n"
                                           "        }\n" + call))
        elf = qemu.build_firmware(d, "rst")
        y = c.graph.outputs[0]
        return qemu.run_firmware(load_board(board), elf, "rst", [np.concatenate([xs, xs])], [(y.shape, y.dtype)])[0]


def check_with_reset(model: bytes, count: int, board: str = "cortex-m4", seed: int = 0) -> None:
    """`count` invocations against TFLM from a fresh state, NAME_reset(), the same `count` again (QEMU)."""
    c = compile_bytes(model, "probe")
    xs = sample_inputs(c.graph.inputs, count, seed=seed)[0]
    ref = tflm.run(model, [xs], 1)[0]
    ours = run_board_with_reset(model, board, xs)
    assert not any(count_mismatches([ours[:count]], [ref])), "before the reset"
    assert not any(count_mismatches([ours[count:]], [ref])), "after the reset"


def _paths(model: bytes) -> tuple[int, int, int, str]:
    """(exact, rank, memory, state dtype) of the model's SVDF as the lowering sees them."""
    from mcugen.frontend.tflite_reader import read_model_bytes
    from mcugen.ops.lstm import exact_requant
    from mcugen.ops.svdf import _scale, svdf_dims
    from mcugen.quant import quantize_multiplier
    op = read_model_bytes(model).operators[0]
    x, wf, wt, _, st = op.inputs[:5]
    y = op.outputs[0]
    q1 = exact_requant(*quantize_multiplier(_scale(x.quant.s, wf.quant.s, st.quant.s)))
    q2 = exact_requant(*quantize_multiplier(_scale(st.quant.s, wt.quant.s, y.quant.s)), y.quant.zp)
    d = svdf_dims(op)
    return int(q1 is not None and q2 is not None), d["rank"], d["memory"], st.dtype


# batches, input size, units, rank, memory, state, state scale: the ring position wraps around
RING_CASES = [
    (2, 16, 8, 1, 8, "int8", None),     # rank-1 path: 4-filter feature blocks, two batches
    (1, 13, 7, 1, 4, "int8", None),     # a block, a pair and a single filter; input tail
    (1, 6, 3, 1, 4, "int8", None),      # rank 1 with fewer than 4 filters: no block
    (2, 5, 5, 1, 6, "int8", None),      # memory not a multiple of 4: the general body
    (1, 9, 3, 3, 4, "int8", None),      # rank 3: the general body
    (2, 6, 5, 1, 5, "int16", None),     # int16 state, odd memory
    (1, 8, 4, 2, 4, "int16", None),     # int16 state, rank 2
    (1, 6, 5, 1, 8, "int8", 1e-6),      # tiny state scale: neither requantization takes the exact form
]


def test_svdf_ring_paths_cortex_m4():
    """The ring-buffer state on cortex-m4: each path and its fall-backs (see RING_CASES), over memory + 3
    invocations (the ring position wraps), against TFLM (and on the host; the rank-1 loop on cortex-m3)."""
    need_arm_tools()
    rng = np.random.default_rng(4242)
    seen = set()
    for i, (batches, input_size, units, rank, memory, state, ss) in enumerate(RING_CASES):
        model = svdf_model(rng, batches, input_size, units, rank, memory, state, state_scale=ss)
        assert not rule_problems(model)
        exact, *_ = _paths(model)
        seen.add((exact, rank == 1 and memory % 4 == 0 and state == "int8"))
        # on the host too, the second under ASan + UBSan (the rank-1 loop's plain C, all three parts)
        # the first two (the rank-1 loop) on cortex-m3 too: its plain C on a core
        boards = ("cortex-m4", "cortex-m3") if i < 2 else ("cortex-m4",)
        assert_bit_exact(model, count=memory + 3, boards=boards, sanitize=i == 1)
    # (exact, rank-1 int8 layout): the DSP path, the general body, and a rank-1 layout whose requantizations
    # are not exact (the general body too)
    assert {(1, True), (1, False), (0, True)} <= seen


def test_svdf_ring_reset_cortex_m4():
    """NAME_reset() between two runs of 9 invocations on cortex-m4 (the rank-1 DSP path and the general one):
    the ring position left by the first run does not matter, both runs equal TFLM's from a fresh state."""
    rng = np.random.default_rng(4343)
    check_with_reset(svdf_model(rng, 2, 12, 5, 1, 4, "int8"), 9)
    check_with_reset(svdf_model(rng, 1, 5, 3, 2, 3, "int16"), 9, seed=1)


def _run_optimized(model: bytes, board: str, xs, optimize: str):
    from mcugen.backend import make_runner
    compiled = compile_bytes(model, "m", board=board, optimize=optimize)
    with tempfile.TemporaryDirectory(prefix="mcugen-svdf-") as tmp:
        d = Path(tmp) / "m"
        write_project(compiled.project.files, d, force=True)
        return compiled, make_runner(compiled, d)(xs)


@pytest.mark.parametrize("state", ["int8", "int16"])
def test_svdf_optimize_size_keeps_one_copy_of_the_time_weights(state):
    """--optimize size: each time-weights row stored once (half their bytes), the rotated dot product in two
    parts; over memory + 3 invocations (every ring position, wrapping) bit-exact with TFLM on the host and on
    cortex-m4 (a rank-1 int8 layer that the speed build runs in its blocked loop)."""
    from mcugen.testing.compare import reference_run, sample_inputs
    rng = np.random.default_rng(4545 if state == "int8" else 4546)
    memory = 8
    model = svdf_model(rng, 2, 16, 8, 1, memory, state)
    speed = compile_bytes(model, "m", board="cortex-m4")
    size = compile_bytes(model, "m", board="cortex-m4", optimize="size")
    f_speed, f_size = (dict(c.project.layers[0].fields) for c in (speed, size))
    assert size.project.layers[0].function == speed.project.layers[0].function + "_once"
    assert f_size["blocked"] == 0 and (state != "int8" or f_speed["blocked"] == 1)
    filters, item = 8, 1 if state == "int8" else 2
    assert speed.project.report["weight_bytes"] - size.project.report["weight_bytes"] == filters * memory * item
    xs = sample_inputs(size.graph.inputs, memory + 3, 3)
    ref = reference_run("tflm", model, xs, 1)
    for board in ("host",) + qemu_boards(("cortex-m4",)):
        _, ours = _run_optimized(model, board, xs, "size")
        assert np.array_equal(ours[0].reshape(ref[0].shape), ref[0]), board
