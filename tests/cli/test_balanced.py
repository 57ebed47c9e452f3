"""--optimize balanced (the default): speed layouts where the board's flash has room, chosen per layer by
instructions saved per byte (mcugen/optimize.py). On a board with room it is `speed`; on a board whose
flash holds the size build but not the speed one, it keeps the speed layout of the layers that gain most
per byte (kws: the 3x3 depthwise layers, whose int16 weights cost 576 bytes each and save ~2.2 million
instructions), fits the board, and a mixed build stays bit-exact with TFLM on cortex-m4 under QEMU."""
from __future__ import annotations

import dataclasses

import numpy as np

from mcugen.backend import make_runner
from mcugen.boards import Region, load_board
from mcugen.codegen import write_project
from mcugen.compiler import compile_graph, compile_model, footprint, load, with_optimize
from mcugen.oracle import tflm
from mcugen.optimize import ranking
from mcugen.testing.compare import sample_inputs
from tests.conftest import need_arm_tools, shared_model


def _layouts(c):
    return [r["layout"] for r in c.project.report["layers"]]


def _small_board(flash: int):
    b = load_board("cortex-m4")
    return dataclasses.replace(b, flash=Region(b.flash.origin, flash), raw={**b.raw, "flash_size": flash})


def test_balanced_is_speed_where_the_board_has_room():
    path = shared_model("kws_ref_model.tflite")
    bal = compile_model(path, "kws", "cortex-m4")  # the default
    speed = compile_model(path, "kws", "cortex-m4", optimize="speed")
    assert bal.project.report["optimize"] == "balanced"
    assert set(_layouts(bal)) == {"speed"}
    assert bal.project.files["kws.c"] == speed.project.files["kws.c"]
    assert bal.project.report["weight_bytes"] == speed.project.report["weight_bytes"]


def test_balanced_fits_a_small_flash_with_the_most_useful_layouts():
    need_arm_tools()
    path = shared_model("kws_ref_model.tflite")
    speed = compile_model(path, "kws", "cortex-m4", optimize="speed")
    size = compile_model(path, "kws", "cortex-m4", optimize="size")
    fs, fz = footprint(speed).flash, footprint(size).flash
    assert fz < fs
    board = with_optimize(_small_board((fs + fz) // 2), "balanced")
    graph, data = load(path)
    bal = compile_graph(graph, data, "kws", str(path), board)
    fb = footprint(bal).flash
    assert fz <= fb <= board.flash.size < fs
    layouts = _layouts(bal)
    assert "speed" in layouts and "size" in layouts
    kernels = [r["kernel"] for r in bal.project.report["layers"]]
    # the depthwise layers gain most per byte: every one keeps its fast 3x3 kernel
    assert kernels.count("depthwise_conv_3x3_s8") == 4
    free, costly = ranking(speed.project.report["layers"], size.project.report["layers"])
    assert costly[0][1] in {i for i, k in enumerate(kernels) if k == "depthwise_conv_3x3_s8"}
    assert speed.project.report["weight_bytes"] > bal.project.report["weight_bytes"] > size.project.report["weight_bytes"]


def test_mixed_layouts_are_bit_exact_on_cortex_m4(tmp_path):
    """The choice made for a small board, built for the QEMU board: the mix of speed and size layers gives
    TFLM's bytes."""
    need_arm_tools()
    path = shared_model("kws_ref_model.tflite")
    speed = compile_model(path, "kws", "cortex-m4", optimize="speed")
    size = compile_model(path, "kws", "cortex-m4", optimize="size")
    board = with_optimize(_small_board((footprint(speed).flash + footprint(size).flash) // 2), "balanced")
    graph, data = load(path)
    steps = frozenset(i for i, L in enumerate(_layouts(compile_graph(graph, data, "kws", str(path), board)))
                      if L == "size")
    assert steps
    graph, data = load(path)
    mixed = compile_graph(graph, data, "kws", str(path), with_optimize(load_board("cortex-m4"), "balanced"),
                          size_steps=steps)
    assert {i for i, L in enumerate(_layouts(mixed)) if L == "size"} == steps
    write_project(mixed.project.files, tmp_path / "p", force=True)
    runner = make_runner(mixed, tmp_path / "p", timeout=300)
    x = sample_inputs(mixed.graph.inputs, 3, seed=5)
    y = runner(x)
    ref = tflm.run(data, x, 1)
    assert np.array_equal(y[0], ref[0])


def test_bench_compares_the_choices(tmp_path):
    """`mcugen bench --compare`: the figures of every --optimize choice (deterministic counts)."""
    import json as _json

    from click.testing import CliRunner

    from mcugen.cli import main
    from tests.integration.helpers import need, tiny_model
    need("arm-none-eabi-gcc", "qemu-system-arm", "cc")
    path = tmp_path / "t.tflite"
    path.write_bytes(tiny_model(1))
    r = CliRunner().invoke(main, ["bench", str(path), "--compare", "--json"])
    assert r.exit_code == 0, r.output
    cmp = _json.loads(r.output)["compare"]
    assert set(cmp) == {"speed", "size", "balanced"}
    assert cmp["balanced"] == cmp["speed"]  # 4 MB of flash: balanced takes every speed layout
    assert cmp["size"]["constants_bytes"] <= cmp["speed"]["constants_bytes"]
    assert all(v["instructions"] > 0 and v["flash_bytes"] > 0 for v in cmp.values())


def test_run_verify_and_bench_leave_balanced_room_for_the_harness(tmp_path):
    """`run`, `verify` and `bench` link the model with mcugen's test harness (about 16 KB of flash), so
    balanced plans them within the board's flash minus HARNESS_FLASH: on a board whose flash holds kws's
    speed build but not with the harness beside it, verify picks some size layouts, links and is bit-exact
    (before, the speed build was chosen and the firmware overflowed the flash)."""
    need_arm_tools()
    import tomllib

    from click.testing import CliRunner

    from mcugen.cli import main
    from mcugen.compiler import HARNESS_FLASH, for_harness
    path = shared_model("kws_ref_model.tflite")
    fs = footprint(compile_model(path, "kws", "cortex-m4", optimize="speed")).flash
    flash = fs + HARNESS_FLASH // 2  # the library alone fits, the firmware would not
    src = (load_board("cortex-m4").path).read_text()
    raw = tomllib.loads(src)
    text = src.replace(f"size = 0x{raw['memory']['flash']['size']:08x}", f"size = {flash}", 1)
    assert text != src
    board_file = tmp_path / "small-m4.toml"
    board_file.write_text(text.replace('name = "cortex-m4"', 'name = "small-m4"', 1))
    b = load_board(str(board_file))
    assert b.flash.size == flash and for_harness(b).flash.size == flash - HARNESS_FLASH
    graph, data = load(path)
    planned = compile_graph(graph, data, "kws", str(path), for_harness(with_optimize(b, "balanced")))
    assert "size" in _layouts(planned) and footprint(planned).flash <= flash - HARNESS_FLASH
    r = CliRunner().invoke(main, ["verify", str(path), "--board", str(board_file), "--count", "2"])
    assert r.exit_code == 0 and "bit-exact" in r.output, r.output
