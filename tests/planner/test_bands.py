"""--memory min: fused row-band execution of chains of early layers (mcugen/planner/bands.py), bit-exact with
TFLM on builder-made chains (stride 1 and 2, SAME and VALID, dilation, depth multipliers, pooling), on the
host and under QEMU, with the default build left as it was."""
import numpy as np
import pytest

from mcugen.boards import load_board
from mcugen.compiler import compile_bytes, with_memory
from mcugen.planner.bands import computed_rows, group_chain, layer_rows
from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.compare import compare_model, count_mismatches, run_on_board
from mcugen.testing.random_quant import rand_act_quant, rand_bias, rand_weights
from tests.conftest import have_arm_tools

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def _out(pad, size, k, s, d):
    eff = (k - 1) * d + 1
    return (size + s - 1) // s if pad == "SAME" else (size - eff + s) // s


def chain_model(rng, h, w, c, layers) -> bytes:
    """A model of `layers`, each ("conv"|"dw"|"avg"|"max", k, stride, dilation, padding, out channels or
    depth multiplier), run one after the other on an input (1, h, w, c), random int8 quantization."""
    si, zi = rand_act_quant(rng)
    tensors = [TensorSpec((1, h, w, c), "int8", si, zi)]
    ops = []
    cur = 0
    made = []  # per layer: (tensor index, h, w, c, scale, zero point)
    for i, (kind, k, s, d, pad, n) in enumerate(layers):
        made.append(None)
        kh, kw = k if isinstance(k, tuple) and len(k) == 2 else (k, k) if not isinstance(k, tuple) else (1, 1)
        if kind == "pad":  # k: (top, bottom, left, right) rows / columns of the zero point
            t, b_, l_, r_ = k
            pads = np.array([[0, 0], [t, b_], [l_, r_], [0, 0]], np.int32)
            tensors.append(TensorSpec((4, 2), "int32", data=pads))
            h, w = h + t + b_, w + l_ + r_
            tensors.append(TensorSpec((1, h, w, c), "int8", si, zi))
            ops.append(OpSpec("PAD", [cur, len(tensors) - 2], [len(tensors) - 1]))
            cur = len(tensors) - 1
            made[-1] = (cur, h, w, c, si, zi)
            continue
        if kind in ("add", "mul"):  # with the output of layer n (-1: the model input), same shape
            j, hj, wj, cj, sj, zj = made[n] if n >= 0 else (0, *tensors[0].shape[1:], tensors[0].scale,
                                                                tensors[0].zero_point)
            assert (hj, wj, cj) == (h, w, c), (kind, n)
            so, zo = rand_act_quant(rng)
            tensors.append(TensorSpec((1, h, w, c), "int8", so, zo))
            ops.append(OpSpec(kind.upper(), [cur, j] if i % 2 else [j, cur], [len(tensors) - 1],
                              {"fused_activation_function": ACTS[i % 4]}))
            cur, si, zi = len(tensors) - 1, so, zo
            made[-1] = (cur, h, w, c, si, zi)
            continue
        oh, ow = _out(pad, h, kh, s, d), _out(pad, w, kw, s, d)
        if kind in ("avg", "max"):
            oc = c
            opts = {"padding": pad, "stride_h": s, "stride_w": s, "filter_height": kh, "filter_width": kw,
                    "fused_activation_function": ACTS[i % 4] if kind == "avg" else "NONE"}
            tensors.append(TensorSpec((1, oh, ow, oc), "int8", si, zi))  # pooling keeps the quantization
            ops.append(OpSpec("AVERAGE_POOL_2D" if kind == "avg" else "MAX_POOL_2D", [cur], [len(tensors) - 1], opts))
            cur = len(tensors) - 1
            h, w = oh, ow
            made[-1] = (cur, h, w, c, si, zi)
            continue
        so, zo = rand_act_quant(rng)
        if kind == "conv":
            oc = n
            wt, ws = rand_weights(rng, (oc, k, k, c), per_channel=i % 3 != 2, axis=0)
            wspec = TensorSpec(wt.shape, "int8", ws, [0] * len(ws), data=wt)
            opcode, opts = "CONV_2D", {}
        else:
            oc = c * n
            wt, ws = rand_weights(rng, (1, k, k, oc), per_channel=i % 3 != 2, axis=3)
            wspec = TensorSpec(wt.shape, "int8", ws, [0] * len(ws), data=wt, quantized_dimension=3)
            opcode, opts = "DEPTHWISE_CONV_2D", {"depth_multiplier": n}
        opts.update({"padding": pad, "stride_h": s, "stride_w": s, "dilation_h_factor": d, "dilation_w_factor": d,
                     "fused_activation_function": ACTS[i % 4]})
        tensors.append(wspec)
        tensors.append(TensorSpec((oc,), "int32", [si * v for v in ws], [0] * len(ws), data=rand_bias(rng, oc)))
        tensors.append(TensorSpec((1, oh, ow, oc), "int8", so, zo))
        ops.append(OpSpec(opcode, [cur, len(tensors) - 3, len(tensors) - 2], [len(tensors) - 1], opts))
        cur = len(tensors) - 1
        h, w, c, si, zi = oh, ow, oc, so, zo
        made[-1] = (cur, h, w, c, si, zi)
    return build_model(tensors, ops, [0], [cur])


def _min(board="host", limit=None, force=None):
    return with_memory(load_board(board), "min", limit, force=force)


def _check(model, n_layers, heights=(1, 3), boards=()):
    """Bit-exact with TFLM with all the layers fused, `heights` rows per band (and on `boards` under QEMU
    with the first height)."""
    for height in heights:
        b = _min(force=(0, n_layers - 1, height))
        cmp = compare_model(model, count=3, seed=height, board=b)
        chain = cmp.compiled.bands.chain
        assert chain is not None and (chain.first, chain.last, chain.height) == (0, n_layers - 1, height)
        assert not any(cmp.mismatches()), f"height {height}: {[int(m) for m in cmp.mismatches()]}"
        for board in boards:
            ours = run_on_board(model, _min(board, force=(0, n_layers - 1, height)), cmp.inputs)
            assert not any(count_mismatches(ours, cmp.ref)), f"{board}, height {height}"
        boards = ()


# (input h, w, c, layers): the shapes of the shared models' first layers, and the corners
CHAINS = [
    (20, 12, 3, [("conv", 3, 2, 1, "SAME", 8), ("dw", 3, 1, 1, "SAME", 1), ("conv", 1, 1, 1, "SAME", 16),
                 ("dw", 3, 2, 1, "SAME", 1), ("conv", 1, 1, 1, "SAME", 8)]),          # vww's start
    (19, 9, 1, [("dw", 3, 2, 1, "SAME", 8), ("dw", 3, 1, 1, "SAME", 1), ("conv", 1, 1, 1, "SAME", 12)]),  # person
    (17, 10, 4, [("conv", 3, 1, 1, "VALID", 6), ("dw", 3, 1, 2, "SAME", 2), ("conv", 3, 2, 1, "VALID", 5)]),
    (16, 11, 5, [("dw", 5, 1, 1, "SAME", 1), ("max", 2, 2, 1, "VALID", 0), ("conv", 3, 1, 1, "SAME", 7),
                 ("avg", 3, 1, 1, "SAME", 0)]),
    (21, 7, 6, [("conv", 4, 1, 1, "SAME", 4), ("dw", 3, 2, 1, "VALID", 3), ("dw", 2, 1, 1, "SAME", 1),
                ("conv", 2, 2, 1, "SAME", 9)]),
    (13, 13, 2, [("conv", 3, 1, 2, "SAME", 8), ("conv", 1, 2, 1, "VALID", 8), ("dw", 3, 1, 1, "SAME", 1)]),
    (25, 6, 8, [("dw", 3, 1, 1, "SAME", 1), ("conv", 1, 1, 1, "SAME", 8), ("dw", 3, 1, 1, "SAME", 1),
                ("conv", 1, 1, 1, "SAME", 8), ("dw", 3, 1, 1, "SAME", 1)]),           # kws-like stride 1
    (18, 5, 3, [("avg", 3, 2, 1, "SAME", 0), ("dw", 3, 1, 3, "SAME", 2), ("conv", 5, 1, 1, "SAME", 3)]),
    # residual blocks (resnet's start): a layer's output read by a later ADD / MUL as well
    (14, 9, 3, [("conv", 3, 1, 1, "SAME", 8), ("conv", 3, 1, 1, "SAME", 8), ("conv", 3, 1, 1, "SAME", 8),
                ("add", 0, 0, 0, "", 0), ("conv", 3, 2, 1, "SAME", 6), ("conv", 3, 1, 1, "SAME", 6),
                ("dw", 1, 1, 1, "SAME", 1), ("add", 0, 0, 0, "", 5)]),
    (12, 7, 4, [("dw", 3, 1, 1, "SAME", 1), ("add", 0, 0, 0, "", -1), ("conv", 5, 1, 1, "SAME", 4),
                ("mul", 0, 0, 0, "", 1), ("max", 3, 1, 1, "SAME", 0)]),
    # ending in a global average pool, accumulated row by row (kws's and resnet's end)
    (25, 5, 1, [("conv", 4, 2, 1, "SAME", 16), ("dw", 3, 1, 1, "SAME", 1), ("conv", 1, 1, 1, "SAME", 16),
                ("avg", (13, 3), 1, 1, "VALID", 0)]),
    (9, 6, 8, [("conv", 3, 1, 1, "SAME", 8), ("add", 0, 0, 0, "", -1), ("avg", (9, 6), 2, 1, "VALID", 0)]),
    # explicit PAD before VALID convolutions (mobilenet_v2's layout), top-only and bottom-heavy padding too
    (11, 8, 3, [("pad", (1, 1, 1, 1), 0, 0, "", 0), ("conv", 3, 2, 1, "VALID", 8), ("pad", (2, 0, 1, 0), 0, 0, "", 0),
                ("dw", 3, 1, 1, "VALID", 1), ("pad", (0, 3, 0, 2), 0, 0, "", 0), ("conv", 3, 1, 1, "VALID", 5)]),
]


@pytest.mark.parametrize("case", range(len(CHAINS)))
def test_chain_bit_exact(case):
    h, w, c, layers = CHAINS[case]
    model = chain_model(np.random.default_rng(500 + case), h, w, c, layers)
    boards = ("cortex-m4",) if case < 2 and have_arm_tools() else ("cortex-m3",) if case == 2 and have_arm_tools() else ()
    _check(model, len(layers), heights=(1, 3) if case in (0, 8, 10, 12) else (1 + case % 2,), boards=boards)


def test_schedule_computes_every_row_once():
    """The line buffers recompute nothing: every layer computes each row at most once, and at least the
    rows its consumer reads (a view is contiguous, so a stride larger than the kernel computes the rows
    between too), for every band height."""
    for h, w, c, layers in CHAINS:
        model = chain_model(np.random.default_rng(1), h, w, c, layers)
        graph = compile_bytes(model, "m").graph
        rows = [layer_rows(op) for op in graph.operators]
        for height in range(1, rows[-1].out_h + 1):
            chain = group_chain(graph, 0, len(rows) - 1, height)
            needed = [len({y for c, srcs in enumerate(chain.inputs) if l in srcs
                           for o in range(rows[c].out_h) for y in range(*rows[c].window(o, o + 1))})
                      for l in range(len(rows) - 1)] + [rows[-1].out_h]
            done = computed_rows(chain)
            assert all(n <= d <= r.out_h for n, d, r in zip(needed, done, rows)), (height, done, needed)


def test_default_build_unchanged():
    """Without --memory the generated files do not mention bands."""
    h, w, c, layers = CHAINS[0]
    model = chain_model(np.random.default_rng(500), h, w, c, layers)
    c0 = compile_bytes(model, "m")
    assert c0.bands is None and "band" not in c0.project.files["m.c"]
    c1 = compile_bytes(model, "m", board=_min())
    assert c1.plan.arena_size <= c0.plan.arena_size  # a chain is fused only where it lowers the arena


def test_sanitized_and_report(tmp_path):
    """A residual group under AddressSanitizer and UBSan (the views and line-buffer shifts stay in bounds),
    and the report's band section."""
    from mcugen.report import write_report
    h, w, c, layers = CHAINS[8]
    model = chain_model(np.random.default_rng(508), h, w, c, layers)
    cmp = compare_model(model, count=2, seed=5, board=_min(force=(0, len(layers) - 1, 1)), sanitize=True)
    assert not any(cmp.mismatches())
    md = next(p for p in write_report(cmp.compiled, tmp_path) if p.suffix == ".md").read_text()
    assert "## Row bands" in md and f"Steps 0–{len(layers) - 1} run fused" in md


def test_memory_option_cli(tmp_path):
    """`mcugen build --memory min --max-recompute 5%` writes the band loop; a bad percentage is a usage error."""
    from click.testing import CliRunner
    from mcugen.cli import main
    h, w, c, layers = CHAINS[0]
    path = tmp_path / "m.tflite"
    path.write_bytes(chain_model(np.random.default_rng(500), 48, w, c, layers))
    r = CliRunner().invoke(main, ["build", str(path), "-o", str(tmp_path / "out"), "--memory", "min",
                                  "--max-recompute", "5%"])
    assert r.exit_code == 0, r.output
    assert "run fused, in row bands" in (tmp_path / "out" / "m.c").read_text()
    r = CliRunner().invoke(main, ["build", str(path), "-o", str(tmp_path / "o2"), "--memory", "min",
                                  "--max-recompute", "lots"])
    assert r.exit_code != 0 and "--max-recompute" in r.output
