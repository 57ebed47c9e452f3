"""`mcugen quantize --weights int4 | mixed`: int4 weights rounded by GPTQ, per-layer precision under limits.

The quantized models run in the TFLM interpreter, mcugen compiles them bit-exact (host; one on cortex-m4),
the mixed search meets its limit, is deterministic, and says which limit fails and by how much when none
can be met."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mcugen.cli import main
from mcugen.errors import InfeasibleError, UsageError
from mcugen.frontend import read_model_bytes
from mcugen.quantize import int4, mixed, quantize
from tests.conftest import assert_bit_exact, have_arm_tools

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "quant"


def data(name):
    return (FIX / f"{name}_float.tflite", np.load(FIX / f"{name}_calib.npy"), np.load(FIX / f"{name}_eval.npy"),
            np.load(FIX / f"{name}_eval_labels.npy"))


def ops_and_types(model: bytes):
    g = read_model_bytes(model)
    return [(op.op, op.inputs[1].dtype if len(op.inputs) > 1 and op.inputs[1] is not None else None,
             op.inputs[1].quant.per_channel if len(op.inputs) > 1 and op.inputs[1] is not None
             and op.inputs[1].quant is not None else None) for op in g.operators]


def test_int4_digits_cnn_runs_in_tflm_and_builds_bit_exact():
    path, cal, ev, lab = data("digits_cnn")
    r8 = quantize(path, cal, eval_samples=ev, labels=lab, report=True)
    r4 = quantize(path, cal, eval_samples=ev, labels=lab, report=True, weights="int4")
    kinds = ops_and_types(r4.model)
    layers = [k for k in kinds if k[0] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]
    assert layers and all(t == "int4" and pc for _, t, pc in layers), kinds
    # the FULLY_CONNECTED became a per-channel 1x1 CONV_2D between RESHAPEs (TFLM's FC takes per-tensor int4 only)
    assert "FULLY_CONNECTED" not in [k[0] for k in kinds] and "RESHAPE" in [k[0] for k in kinds]
    o8, o4 = r8.report["outputs"][0], r4.report["outputs"][0]
    assert o4["sqnr_db"] > 25.0 and o4["sqnr_db"] < o8["sqnr_db"]
    assert o4["accuracy"] >= o8["accuracy"] - 0.02
    assert_bit_exact(r4.model, count=4, boards=("cortex-m4",) if have_arm_tools() else ())


def test_int4_per_tensor_keeps_fully_connected():
    path, cal, ev, lab = data("digits_mlp")
    r = quantize(path, cal, eval_samples=ev, report=True, weights="int4", per_tensor=True)
    kinds = ops_and_types(r.model)
    assert [k for k in kinds if k[0] == "FULLY_CONNECTED"] == [("FULLY_CONNECTED", "int4", False)] * 3
    assert r.report["outputs"][0]["sqnr_db"] > 15.0
    assert_bit_exact(r.model, count=4)


def test_gptq_beats_plain_rounding_on_the_layer_output():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 24)) @ rng.standard_normal((24, 24)) + 2.0  # correlated, non-centred inputs
    w = rng.standard_normal((16, 24))
    h = x.T @ x
    q, s, how = int4.quantize_rows(w, h, per_channel=True)
    plain = int4._round(w, int4.mse_scales(w, h, True))
    err = lambda qq, ss: float(((x @ (w - qq * ss.reshape(-1, 1)).T) ** 2).sum())  # noqa: E731
    assert how == "gptq" and q.min() >= -8 and q.max() <= 7
    assert err(q, s) < 0.7 * err(plain, int4.mse_scales(w, h, True))
    q0, s0, how0 = int4.quantize_rows(w, None, per_channel=False)  # no data: plain rounding, one scale
    assert how0 == "round" and np.unique(s0).size == 1


def test_knapsack_is_optimal_and_deterministic():
    rng = np.random.default_rng(0)
    layers = [{"save": int(s), "cost": float(c)} for s, c in zip(rng.integers(1, 40, 9) * mixed.BYTE_UNIT,
                                                                 rng.uniform(0, 1e-3, 9))]
    base = 10_000
    lim = mixed.Limits(max_flash=base - 100 * mixed.BYTE_UNIT)
    got, _ = mixed.search(layers, 1e-4, base, lim)
    best = min((c for n in range(len(layers) + 1) for c in itertools.combinations(range(len(layers)), n)
                if sum(layers[i]["save"] for i in c) >= base - lim.max_flash),
               key=lambda c: sum(layers[i]["cost"] for i in c))
    assert np.isclose(sum(layers[i]["cost"] for i in got), sum(layers[i]["cost"] for i in best))
    assert mixed.search(layers, 1e-4, base, lim) == mixed.search(layers, 1e-4, base, lim)
    # --min-sqnr alone: the most bytes within the error budget
    got, _ = mixed.search(layers, 1e-4, base, mixed.Limits(min_sqnr=30.0))
    assert sum(layers[i]["cost"] for i in got) <= 10 ** -3 - 1e-4


def test_mixed_meets_the_flash_limit_deterministically():
    path, cal, ev, lab = data("digits_mlp")
    r8 = quantize(path, cal, eval_samples=ev, labels=lab, report=True)
    kw = dict(eval_samples=ev, labels=lab, report=True, weights="mixed", max_flash="60%")
    a, b = quantize(path, cal, **kw), quantize(path, cal, **kw)
    assert a.model == b.model and a.int4_layers == b.int4_layers  # same inputs, same choice
    p = a.precision
    limit = int(0.6 * p["int8_weight_bytes"])
    assert p["limits"]["max_flash"] == limit and p["weight_bytes"] <= limit
    assert mixed.weight_bytes(read_model_bytes(a.model)) <= limit + 64  # + the RESHAPEs' shape constants
    assert 0 < len(p["int4"]) <= len(p["layers"]) and {L["choice"] for L in p["layers"]} <= {"int8", "int4"}
    assert p["seconds"]["search"] < 1.0
    o8, om = r8.report["outputs"][0], a.report["outputs"][0]
    assert om["top1_agreement"] >= o8["top1_agreement"] - 0.01  # the bar: within 1 point of all-int8
    from mcugen.quantize.report import markdown
    md = markdown(a.report)
    assert "Weight precision per layer" in md and "| int4 |" in md and f"(limit {limit:,})" in md


def test_mixed_says_which_limit_fails_and_by_how_much():
    path, cal, ev, _ = data("digits_mlp")
    with pytest.raises(InfeasibleError) as e:
        quantize(path, cal, eval_samples=ev, weights="mixed", max_flash=1000)
    assert "--max-flash 1,000 bytes cannot be met" in str(e.value) and "over the limit" in str(e.value)
    assert e.value.exit_code == 5
    with pytest.raises(InfeasibleError) as e:
        quantize(path, cal, eval_samples=ev, weights="mixed", min_sqnr=90.0)
    assert "short of --min-sqnr 90" in str(e.value)
    with pytest.raises(InfeasibleError) as e:
        quantize(path, cal, eval_samples=ev, weights="mixed", max_flash="90%", max_ram=10)
    assert "over --max-ram 10" in str(e.value)
    with pytest.raises(UsageError):
        quantize(path, cal, weights="mixed")
    with pytest.raises(UsageError):
        quantize(path, cal, weights="int4", activations="int16")
    assert mixed.parse_bytes("200K") == 204800 and mixed.parse_bytes("50%", 1000) == 500
    with pytest.raises(UsageError):
        mixed.parse_bytes("lots")


def test_cli_mixed_min_sqnr(tmp_path):
    path, cal, _, _ = data("digits_conv1d")
    np.save(tmp_path / "cal.npy", cal)
    out = tmp_path / "m.tflite"
    r = CliRunner().invoke(main, ["quantize", str(path), "--calibration", str(tmp_path / "cal.npy"), "-o", str(out),
                                  "--weights", "mixed", "--min-sqnr", "30"])
    assert r.exit_code == 0, r.output
    assert "precision:" in r.output and "layers int4" in r.output
    md = out.with_suffix(".quantization.md").read_text()
    assert "Weight precision per layer" in md and "limit 30 dB" in md
    r = CliRunner().invoke(main, ["quantize", str(path), "--calibration", str(tmp_path / "cal.npy"), "-o",
                                  str(tmp_path / "x.tflite"), "--weights", "mixed"])
    assert r.exit_code == 2 and "needs a limit" in r.output


def test_mixed_activations_meet_min_sqnr_with_few_int16_groups(tmp_path):
    path, cal, ev, lab = data("digits_mlp")
    r = quantize(path, cal, eval_samples=ev, labels=lab, report=True, activations="mixed", min_sqnr=46.0)
    a = r.activation_precision
    assert a["sqnr_db"] >= 46.0 > a["int8_sqnr_db"]
    assert 0 < len(a["int16_nodes"]) < len(read_model_bytes(r.model).operators)
    g = read_model_bytes(r.model)
    assert {t.dtype for t in g.tensors if t.quant is not None and not t.is_const} == {"int8", "int16"}
    assert a["arena_bytes"] >= a["int8_arena_bytes"]
    assert_bit_exact(r.model, count=4)
    from mcugen.quantize.report import markdown
    assert "Activation type per group of nodes" in markdown(r.report)
    # an arena limit the all-int8 model just meets leaves (nearly) every group int8, and is met
    r2 = quantize(path, cal, eval_samples=ev, activations="mixed", max_ram=a["int8_arena_bytes"])
    assert r2.activation_precision["arena_bytes"] <= a["int8_arena_bytes"]
    with pytest.raises(InfeasibleError) as e:
        quantize(path, cal, eval_samples=ev, activations="mixed", min_sqnr=80.0)
    assert "dB short" in str(e.value)
    with pytest.raises(UsageError):
        quantize(path, cal, activations="mixed")


def _small_board(tmp_path, flash: int) -> str:
    """cortex-m0 with `flash` bytes of flash (a board .toml, as a user writes one)."""
    from mcugen.boards import load_board
    src = (Path(load_board("cortex-m0").source) if getattr(load_board("cortex-m0"), "source", None)
           else Path(__file__).resolve().parents[2] / "boards" / "cortex-m0.toml").read_text()
    p = tmp_path / "tiny-m0.toml"
    p.write_text(src.replace('name = "cortex-m0"', 'name = "tiny-m0"').replace("size = 0x00040000", f"size = {flash}"))
    return str(p)


@pytest.mark.skipif(not have_arm_tools(), reason="needs arm-none-eabi-gcc to measure the library")
def test_mixed_fits_a_board_whose_flash_the_int8_model_overflows(tmp_path):
    path, cal, ev, _ = data("digits_cnn")
    from mcugen.compiler import compile_bytes, footprint
    int8_flash = footprint(compile_bytes(quantize(path, cal).model, "d", "d", "cortex-m0")).flash
    room = int8_flash - 1500  # the library's room on the board: 1,500 bytes less than the int8 library needs
    board = _small_board(tmp_path, room + mixed.BOARD_FLASH_HEADROOM)
    r = quantize(path, cal, eval_samples=ev, report=True, weights="mixed", board=board)
    p = r.precision
    assert p["int4"] and p["flash_bytes"] <= room < int8_flash and p["limits"]["board"] == "tiny-m0"
    assert any("tiny-m0" in n for n in p["notes"])
    assert r.report["outputs"][0]["sqnr_db"] > 30.0
    with pytest.raises(InfeasibleError) as e:  # far too small: even all-int4 weights do not fit
        quantize(path, cal, eval_samples=ev, weights="mixed", board=_small_board(tmp_path, 28000))
    assert "cannot be met" in str(e.value) and "tiny-m0's room for weights" in str(e.value)  # not --max-flash
    assert "--max-flash" not in str(e.value)
