"""Regenerate BENCHMARKS.md: `mcugen bench` on the reference models, beside TFLM + CMSIS-NN figures.

    python -m mcugen.benchmarks_md --models-dir ../shared/models --out BENCHMARKS.md
    python -m mcugen.benchmarks_md --models-dir ../shared/models --quantization-only FILE   # that section only

Every number comes from `mcugen.bench.bench` (exact instruction counts under QEMU); the file holds no
date or timing, so the same sources, compiler and QEMU give the same file.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

BOARD = "cortex-m4"
GOAL = 0.6
# TFLM with CMSIS-NN kernels, instructions per inference on Cortex-M4 (the figures of the issue that
# asked for `mcugen bench`), in the order of the table.
REFERENCE = {
    "kws_ref_model": 7_697_836,
    "vww_96_int8": 24_101_868,
    "pretrainedResnet_quant": 29_864_081,
    "ad01_int8": 582_948,
    "person_detect": 22_928_405,
}
# The int16x8 models (int16 activations, int8 weights) beside their int8 twins. TFLM + CMSIS-NN cannot run
# them as the converter writes them (CMSIS-NN's FULLY_CONNECTED rejects per-channel int16 weights); the
# reference is TFLM with its reference FULLY_CONNECTED and CMSIS-NN for every other operator, measured on
# cortex-m4 (../shared/ANCHORS.md, "int16x8").
REFERENCE_16X8 = {
    "kws_ref_model_int16x8": (16_011_907, "kws_ref_model"),
    "vww_96_int16x8": (47_687_789, "vww_96_int8"),
    "ad01_int16x8": (2_233_252, "ad01_int8"),
}
# Further models on cortex-m4: (path under the models folder, what it is, TFLM's instructions on cortex-m4 from
# ../shared/ANCHORS.md or None where TFLM cannot run it, the int8 twin whose mcugen figure is shown beside it)
MORE_MODELS = [
    ("str_ww_ref_model.tflite", "int8", 2_227_070, None),
    ("micro_speech_quantized.tflite", "int8", 1_495_332, None),
    ("keyword_scrambled_8bit.tflite", "int8 SVDF", 120_239, None),
    ("trained_lstm_int8.tflite", "int8 LSTM", 574_897, None),
    ("float/ad01_fp32.tflite", "float32", 1_360_199, "ad01_int8"),
    ("float/kws_ref_model_float.tflite", "float32", 36_196_339, "kws_ref_model"),
    ("float/vww_96_float.tflite", "float32", 80_595_759, "vww_96_int8"),
    ("float/hello_world_float.tflite", "float32", 3_418, None),
    ("float/trained_lstm.tflite", "float32 LSTM", 1_049_520, "trained_lstm_int8"),
    ("dynamic/ad01_dynamic.tflite", "hybrid", None, "ad01_int8"),
    ("dynamic/kws_ref_model_dynamic.tflite", "hybrid", None, "kws_ref_model"),
    ("dynamic/vww_96_dynamic.tflite", "hybrid", None, "vww_96_int8"),
    ("dynamic/kws_ref_model_float32.tflite", "hybrid", None, "kws_ref_model"),
    ("dynamic/lstm_2layer_dynamic.tflite", "hybrid LSTM", None, None),
]
# TFLM + CMSIS-NN's instructions per core for the seven int8 models of ../shared/ANCHORS.md (cortex-m55 runs
# CMSIS-NN's Helium code, m4/m7/m33 its DSP code, cortex-m3 its plain C), and issue 14's target per core.
ANCHORS = {
    "cortex-m4": {"kws_ref_model": 7_697_898, "vww_96_int8": 24_101_958, "pretrainedResnet_quant": 29_861_676,
                  "ad01_int8": 582_960, "person_detect": 22_928_453, "str_ww_ref_model": 2_227_070,
                  "micro_speech_quantized": 1_495_332},
    "cortex-m7": {"kws_ref_model": 7_643_675, "vww_96_int8": 24_025_584, "pretrainedResnet_quant": 30_023_393,
                  "ad01_int8": 583_252, "person_detect": 22_715_892, "str_ww_ref_model": 2_188_148,
                  "micro_speech_quantized": 1_489_403},
    "cortex-m33": {"kws_ref_model": 7_680_190, "vww_96_int8": 24_046_766, "pretrainedResnet_quant": 29_960_165,
                   "ad01_int8": 583_436, "person_detect": 22_840_767, "str_ww_ref_model": 2_220_996,
                   "micro_speech_quantized": 1_481_481},
    "cortex-m55": {"kws_ref_model": 1_813_686, "vww_96_int8": 6_558_334, "pretrainedResnet_quant": 4_910_117,
                   "ad01_int8": 149_993, "person_detect": 6_508_091, "str_ww_ref_model": 407_394,
                   "micro_speech_quantized": 1_008_169},
    "cortex-m3": {"kws_ref_model": 10_532_657, "vww_96_int8": 31_959_373, "pretrainedResnet_quant": 41_846_036,
                  "ad01_int8": 955_978, "person_detect": 30_327_163, "str_ww_ref_model": 4_728_632,
                  "micro_speech_quantized": 1_512_457},
}
CORE_TARGET = {"cortex-m4": 0.45, "cortex-m7": 0.45, "cortex-m33": 0.45, "cortex-m55": 0.8, "cortex-m3": 0.8}
#: the cores of the per-core section besides BOARD (whose figures come from the runs above)
OTHER_CORES = {core: figures for core, figures in ANCHORS.items() if core != BOARD}
#: cortex-m0 (Armv6-M, 16 KB of RAM): no TFLM reference; the seven models and hello_world where the bench
#: firmware fits the micro:bit's 256 KB / 16 KB, beside mcugen's own cortex-m3 count of the same model
M0_BOARD, M0_MODELS = "cortex-m0", ("hello_world_int8", *ANCHORS["cortex-m3"])
COMMAND = "python -m mcugen.benchmarks_md --models-dir ../shared/models --out BENCHMARKS.md"


def _tool_version(cmd: list[str]) -> str:
    if shutil.which(cmd[0]) is None:
        return "not installed"
    r = subprocess.run(cmd, capture_output=True, text=True)
    return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else "unknown"


def _n(v: int) -> str:
    return f"{v:,}"


def _table_16x8(results: dict[str, dict], results16: dict[str, dict]) -> list[str]:
    if not results16:
        return []
    lines = [
        "",
        "## int16x8 models",
        "",
        "The same networks converted in 16x8 mode (int16 activations, int8 weights, int64 bias; "
        "`../shared/models/int16x8/`), beside their int8 twins above. TFLM + CMSIS-NN cannot run these files "
        "(CMSIS-NN's FULLY_CONNECTED rejects the per-channel int16 weights the converter writes); the reference "
        "column is TFLM with its reference FULLY_CONNECTED and CMSIS-NN for every other operator, measured on "
        "the same core (`../shared/ANCHORS.md`).",
        "",
        "| model | MACs | mcugen instructions | instructions / MAC | int8 twin (mcugen) | TFLM (+ CMSIS-NN) | "
        "mcugen / TFLM | flash bytes | static RAM bytes | arena bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for stem, r in results16.items():
        ref, twin = REFERENCE_16X8[stem]
        ipm = f"{r['instructions_per_mac']:.2f}" if r["instructions_per_mac"] is not None else "-"
        t = results.get(twin)
        twin_text = f"{_n(t['instructions'])} ({twin})" if t else "-"
        lines.append(f"| {stem} | {_n(r['macs'])} | {_n(r['instructions'])} | {ipm} | {twin_text} | {_n(ref)} | "
                     f"{r['instructions'] / ref:.2f}x | {_n(r['flash_bytes'])} | {_n(r['ram_bytes'])} | "
                     f"{_n(r['arena_bytes'])} |")
    return lines


def _table_more(results: dict[str, dict], more: dict[str, dict | str]) -> list[str]:
    if not more:
        return []
    lines = [
        "",
        "## More models on cortex-m4",
        "",
        "Other shared models: int8 models outside the five, recurrent models, float32 models (TFLM runs its "
        "reference float kernels; mcugen's float kernels use the FPU), and dynamic-range (hybrid) models, which "
        "TFLM refuses (the reference for their outputs is LiteRT). A model mcugen cannot compile shows why.",
        "",
        "| model | kind | MACs | mcugen instructions | instructions / MAC | TFLM (+ CMSIS-NN) | mcugen / TFLM | "
        "int8 twin (mcugen) | flash bytes | arena bytes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path, kind, ref, twin in MORE_MODELS:
        if path not in more:
            continue
        r = more[path]
        if isinstance(r, str):
            lines.append(f"| {path} | {kind} | - | {r} | - | {_n(ref) if ref else '-'} | - | - | - | - |")
            continue
        ipm = f"{r['instructions_per_mac']:.2f}" if r["instructions_per_mac"] is not None else "-"
        t = results.get(twin) if twin else None
        ratio = f"{r['instructions'] / ref:.2f}x" if ref else "-"
        lines.append(f"| {path} | {kind} | {_n(r['macs'])} | {_n(r['instructions'])} | {ipm} | "
                     f"{_n(ref) if ref else 'refuses it'} | {ratio} | "
                     f"{_n(t['instructions']) if t else '-'} | {_n(r['flash_bytes'])} | {_n(r['arena_bytes'])} |")
    return lines


def _table_cores(cores: dict[str, dict[str, dict]]) -> list[str]:
    """Per core: the seven int8 models beside TFLM + CMSIS-NN on that core, and each model's per-layer table
    with its instruction mix (folded)."""
    lines = []
    if not cores:
        return lines
    lines += ["", "## The seven int8 models per core", "",
              "Each core's own TFLM + CMSIS-NN build (`../shared/ANCHORS.md`: CMSIS-NN's Helium code on cortex-m55, "
              "its DSP code on m4/m7/m33, its plain C on cortex-m3), the same compiler and flags; the target is "
              "issue 14's (at most 0.45x on m4/m7/m33, 0.8x on m55 and m3). Per-layer tables with the instruction "
              "mix follow each table."]
    for core, res in cores.items():
        if not res:
            continue
        ref, target = ANCHORS[core], CORE_TARGET[core]
        lines += ["", f"### {core}", "",
                  f"| model | MACs | mcugen instructions | TFLM + CMSIS-NN on {core} | mcugen / TFLM | target "
                  f"(<= {target}x) | flash bytes | arena bytes |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for stem, r in res.items():
            ratio = r["instructions"] / ref[stem]
            lines.append(f"| {stem} | {_n(r['macs'])} | {_n(r['instructions'])} | {_n(ref[stem])} | {ratio:.2f}x | "
                         f"{'met' if ratio <= target else 'not met'} | {_n(r['flash_bytes'])} | "
                         f"{_n(r['arena_bytes'])} |")
        for stem, r in res.items():
            lines += ["", f"<details><summary>{stem} on {core}: per layer</summary>", ""]
            lines += _layer_table(r)
            lines += ["", "</details>"]
    return lines


def _table_m0(m0: dict[str, dict | str], m3: dict[str, dict]) -> list[str]:
    """cortex-m0: the models whose bench firmware fits, beside mcugen on cortex-m3; the others with why."""
    if not m0:
        return []
    lines = ["", f"### {M0_BOARD}", "",
             "Armv6-M (Thumb-1: no DSP, no IT blocks, no 32x32->64 multiply, no hardware divide), QEMU's BBC "
             "micro:bit machine: 256 KB of flash, 16 KB of RAM. No TFLM reference was measured on this core. The "
             "kernels are the portable C of the cores without DSP (cortex-m3 runs assembly versions of some); "
             "the cortex-m3 column is mcugen's own count there. A model whose bench firmware (the model, the test "
             "harness and newlib: about 16 KB of flash and 1 KB of RAM more) is larger than the machine is "
             "listed with the amount it is over by (`mcugen bench --board cortex-m0` says the same); the "
             "emulated machine has no more room than the chip, so `--ignore-budget` cannot help here.", "",
             "| model | MACs | mcugen instructions | instructions / MAC | mcugen on cortex-m3 | m0 / m3 | flash bytes "
             "| arena bytes |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for stem, r in m0.items():
        if isinstance(r, str):
            lines.append(f"| {stem} | - | does not fit: {r} | - | - | - | - | - |")
            continue
        ipm = f"{r['instructions_per_mac']:.2f}" if r["instructions_per_mac"] is not None else "-"
        t = m3.get(stem)
        ratio = f"{r['instructions'] / t['instructions']:.2f}x" if t else "-"
        lines.append(f"| {stem} | {_n(r['macs'])} | {_n(r['instructions'])} | {ipm} | "
                     f"{_n(t['instructions']) if t else '-'} | {ratio} | {_n(r['flash_bytes'])} | "
                     f"{_n(r['arena_bytes'])} |")
    for stem, r in m0.items():
        if isinstance(r, dict) and r["macs"]:
            lines += ["", f"<details><summary>{stem} on {M0_BOARD}: per layer</summary>", ""]
            lines += _layer_table(r)
            lines += ["", "</details>"]
    return lines


def _layer_table(r: dict) -> list[str]:
    """One model's per-layer rows (with the instruction mix when the run counted it)."""
    mix = [c for c in ("load", "store", "mac", "vector", "branch", "other") if "mix" in r]
    head = "| step | op | input -> output | MACs | instructions | instructions / MAC | share |"
    head += "".join(f" {c} |" for c in mix)
    lines = [head, "|---:|---|---|---:|---:|---:|---:|" + "---:|" * len(mix)]
    for L in r["layers"]:
        shape = f"{L['inputs'][0] if L['inputs'] else '-'} -> {', '.join(L['outputs'])}"
        ipm = f"{L['instructions_per_mac']:.2f}" if L["instructions_per_mac"] is not None else "-"
        share = 100.0 * L["instructions"] / r["instructions"] if r["instructions"] else 0.0
        lines.append(f"| {L['step']} | {L['op']} | {shape} | {_n(L['macs'])} | {_n(L['instructions'])} | "
                     f"{ipm} | {share:.1f}% |" + "".join(f" {_n(L['mix'][c])} |" for c in mix))
    if mix:
        lines.append("| | total | | " + f"{_n(r['macs'])} | {_n(r['instructions'])} | | |"
                     + "".join(f" {_n(r['mix'][c])} |" for c in mix))
    return lines


#: models of the --optimize table (stems of the five, then files under the models folder)
OPTIMIZE_MODELS = [*REFERENCE, "str_ww_ref_model", "micro_speech_quantized"]


def _table_optimize(speed: dict[str, dict], size: dict[str, dict]) -> list[str]:
    """Flash and instructions of --optimize speed and size on cortex-m4 (balanced: speed on this board)."""
    if not size:
        return []
    lines = ["", f"## --optimize on {BOARD}", "",
             "`speed` takes every fast layout (int16 weight copies for the DSP convolutions, pre-extended 3x3 "
             "depthwise weights); `size` keeps the weights int8; `balanced`, the default, is `speed` wherever the "
             "board's flash holds it (here: 4 MB, so every figure above is `balanced` = `speed`) and otherwise "
             "keeps, layer by layer, the layouts that save most instructions per byte (`mcugen/optimize.py`). "
             "Constants: weights, biases and requantization parameters in flash; flash: the whole bench firmware.",
             "",
             "| model | speed: instructions | speed: constants | speed: flash | size: instructions | "
             "size: constants | size: flash | size / speed instructions |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for stem, z in size.items():
        a = speed[stem]
        lines.append(f"| {stem} | {_n(a['instructions'])} | {_n(a['weight_arrays_bytes'])} | {_n(a['flash_bytes'])} | "
                     f"{_n(z['instructions'])} | {_n(z['weight_arrays_bytes'])} | {_n(z['flash_bytes'])} | "
                     f"{z['instructions'] / a['instructions']:.2f}x |")
    return lines


def quantization_section(models_dir: Path | None, log=None) -> list[str]:
    """The section on quantization accuracy: `mcugen quantize` vs the TFLite converter on the trained fixtures
    (tests/fixtures/quant) and on the shared MLPerf float models (when `models_dir` holds them); the figures
    come from mcugen.quantize.compare_converter (TFLM interpreter runs, no timing: deterministic)."""
    from .quantize import compare_converter as cc
    fx, sh = cc.run_all(models_dir=models_dir, log=log)
    text = cc.markdown(fx, sh, "python -m mcugen.benchmarks_md --models-dir ../shared/models "
                                "--quantization-only FILE")
    return ["", *text.rstrip("\n").splitlines()]


def render(results: dict[str, dict], board: str = BOARD, results16: dict[str, dict] | None = None,
           more: dict | None = None, cores: dict | None = None, optimize: tuple[dict, dict] | None = None,
           quantization: list[str] | None = None, m0: dict | None = None) -> str:
    """The Markdown text for bench results keyed by model stem (in REFERENCE order), and the int16x8 table."""
    from .version import __version__
    first = next(iter(results.values()))
    lines = [
        "# Benchmarks",
        "",
        f"Instructions per inference of mcugen's generated code on **{board}** "
        f"(QEMU `{first['qemu_machine']}`), beside TensorFlow Lite Micro with CMSIS-NN kernels on the same "
        f"core. Goal: at most {GOAL}x the TFLM + CMSIS-NN count for every model.",
        "",
        "Regenerate this file (needs the models, `arm-none-eabi-gcc`, `qemu-system-arm` and a host C compiler) with:",
        "",
        "```",
        COMMAND,
        "```",
        "",
        "| model | MACs | mcugen instructions | instructions / MAC | TFLM + CMSIS-NN | mcugen / TFLM | "
        f"goal (<= {GOAL}x) | flash bytes | static RAM bytes | arena bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for stem, r in results.items():
        ref = REFERENCE[stem]
        ratio = r["instructions"] / ref
        goal = int(ref * GOAL)
        met = "met" if r["instructions"] <= goal else "not met"
        ipm = f"{r['instructions_per_mac']:.2f}" if r["instructions_per_mac"] is not None else "-"
        lines.append(f"| {stem} | {_n(r['macs'])} | {_n(r['instructions'])} | {ipm} | {_n(ref)} | {ratio:.2f}x | "
                     f"{_n(goal)}: {met} | {_n(r['flash_bytes'])} | {_n(r['ram_bytes'])} | {_n(r['arena_bytes'])} |")
    lines += _table_16x8(results, results16 or {})
    lines += _table_more(results, more or {})
    lines += _table_cores(cores or {})
    lines += _table_m0(m0 or {}, (cores or {}).get("cortex-m3", {}))
    lines += _table_optimize(*(optimize or ({}, {})))
    lines += quantization or []
    lines += [
        "",
        "## Method",
        "",
        "`mcugen bench MODEL --board cortex-m4 --json` builds the model's firmware with `make bench-firmware`: "
        "the generated library compiled with `-D<NAME>_PROFILE`, which adds a call to a marker function before "
        "each layer and after the last, and the harness compiled with `-D<NAME>_BENCH`, which runs one warm-up "
        "inference and then one measured inference on a fixed input pattern. QEMU runs that firmware with "
        "mcugen's own TCG plugin (`mcugen/backend/qemu_icount.c`, compiled with the host `cc` on first use). "
        "The plugin counts every guest instruction QEMU executes (an inline counter added per translated block, "
        "which gives the same numbers as counting per instruction; `mcugen bench` checks this in its tests) and "
        "logs the running count each time a marker's first instruction executes. The numbers are therefore an "
        "**exact count of executed instructions**, deterministic from run to run, and **not cycles**: QEMU "
        "models no pipeline, caches, wait states or multi-cycle instructions, so a Cortex-M4 needs more cycles "
        "than instructions, and a kernel that does two MACs per `SMLAD` instruction is rewarded in instructions "
        "as it would be in cycles. Instructions conditionally skipped inside an IT block count as executed, as "
        "on the hardware.",
        "",
        "The marker calls are not part of the model: the firmware measures their cost itself (two back-to-back "
        f"marks: {first['probe_instructions_per_mark']} instructions each on this core) and that cost is "
        "subtracted from the totals and from every layer. The per-layer figures include the layer's call "
        "sequence; the few instructions of `<name>_invoke()` outside any layer (prologue, arena check, epilogue) "
        f"are reported as invoke glue ({first['invoke_glue_instructions']} here). Flash is `.text + .rodata + "
        ".data` and static RAM `.data + .bss` of the bench firmware (`arm-none-eabi-size`), so both include the "
        "test harness, start-up code and newlib (semihosting stdio); the arena is the model's static arena "
        "storage. Stack and heap are not included.",
        "",
        "The reference column holds TFLM + CMSIS-NN instruction counts on Cortex-M4 as given with the issue that "
        "introduced `mcugen bench`; they are not re-measured here. The per-core section uses `../shared/ANCHORS.md`, "
        "measured the same way on each core.",
        "",
        "**Instructions are not cycles.** Where the count hides a cost: on a Cortex-M4 a load takes 2 cycles "
        "(1 when pipelined behind another), a taken branch 2-4 (pipeline refill), `SMLAD` and the other "
        "multiply-accumulates 1; a Cortex-M7 dual-issues some pairs and has caches; on the Cortex-M55 an MVE "
        "instruction processes its 128-bit vector in beats over 1-2 cycles (more for multiply-accumulates into "
        "wide accumulators), so one MVE instruction is worth about 1.1-1.8 cycles where a scalar one is about 1. "
        "The per-layer tables therefore give the instruction mix (`mcugen bench --mix`): loads (scalar and "
        "vector, including POP), stores (including PUSH), multiply-accumulates (every multiply, scalar, DSP or "
        "vector), the other vector / floating-point instructions, and branches (the rest: arithmetic, moves, "
        "sign extension, IT). The plugin classifies each instruction once, from QEMU's disassembly, when it "
        "translates it (`mcugen/backend/qemu_icount.c`), and counts the classes like the total, exactly; a "
        "reader can weight the classes by the core's cycle costs to estimate cycles.",
        "",
        f"Produced by mcugen {__version__} with {_tool_version(['arm-none-eabi-gcc', '--version'])} and "
        f"{_tool_version(['qemu-system-arm', '--version'])}. The kernels are those of `runtime_c/` that the board's features (dsp, fpu, mve) select; "
        "faster kernels change these numbers.",
    ]
    for stem, r in {**results, **(results16 or {})}.items():
        lines += ["", f"## {stem}", "",
                  f"{_n(r['instructions'])} instructions, {_n(r['macs'])} MACs; flash {_n(r['flash_bytes'])} bytes "
                  f"(weights and layer parameters {_n(r['weights_bytes'])}, kernel code {_n(r['kernel_code_bytes'])}), "
                  f"static RAM {_n(r['ram_bytes'])} bytes (arena {_n(r['arena_bytes'])}).",
                  ""]
        lines += _layer_table(r)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mcugen.benchmarks_md", description=__doc__.splitlines()[0])
    ap.add_argument("--models-dir", required=True, type=Path, help="folder holding the reference .tflite models")
    ap.add_argument("--out", type=Path, help="the Markdown file to write (BENCHMARKS.md; required unless "
                                             "--quantization-only)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds one QEMU run may take")
    ap.add_argument("--cores", type=lambda v: [c for c in v.split(",") if c], default=list(OTHER_CORES),
                    help="other cores to run the five models on (comma-separated; '' for none)")
    ap.add_argument("--no-m0", dest="m0", action="store_false",
                    help="leave out the cortex-m0 section (its bench runs)")
    ap.add_argument("--quantization-only", type=Path, default=None, metavar="FILE",
                    help="write only the quantization-accuracy section to FILE (no QEMU runs) and stop")
    ap.add_argument("--no-quantization", action="store_true", help="leave the quantization section out")
    ap.add_argument("--quantization-from", type=Path, default=None, metavar="FILE",
                    help="include the quantization section written before by --quantization-only FILE "
                         "(e.g. docs/quantization-accuracy.md) instead of measuring it again")
    ap.add_argument("--precision-from", type=Path, default=None, metavar="FILE",
                    help="include the int4 / mixed-precision section written by `python -m "
                         "mcugen.quantize.precision_table --out FILE` (e.g. docs/int4-mixed-precision.md)")
    args = ap.parse_args(argv)
    log = lambda m: print(f"benchmarks_md: {m}", file=sys.stderr, flush=True)  # noqa: E731
    if args.quantization_only is not None:
        args.quantization_only.write_text("\n".join(quantization_section(args.models_dir, log)[1:]) + "\n")
        print(f"benchmarks_md: wrote {args.quantization_only}", file=sys.stderr)
        return 0
    if args.out is None:
        ap.error("--out is required (unless --quantization-only FILE)")
    from .bench import bench
    from .errors import McugenError
    missing = [s for s in REFERENCE if not (args.models_dir / f"{s}.tflite").is_file()]
    if missing:
        print(f"benchmarks_md: missing in {args.models_dir}: {', '.join(m + '.tflite' for m in missing)}",
              file=sys.stderr)
        return 2
    results = {}
    for stem in REFERENCE:
        print(f"benchmarks_md: {stem} ...", file=sys.stderr, flush=True)
        try:
            results[stem] = bench(args.models_dir / f"{stem}.tflite", board=BOARD, timeout=args.timeout, mix=True)
        except McugenError as e:
            print(f"benchmarks_md: {stem}: {e.title}: {e.message}", file=sys.stderr)
            return e.exit_code
        print(f"benchmarks_md: {stem}: {results[stem]['instructions']:,} instructions", file=sys.stderr)
    results16 = {}
    for stem in REFERENCE_16X8:
        path = args.models_dir / "int16x8" / f"{stem}.tflite"
        if not path.is_file():
            print(f"benchmarks_md: {path} is missing; the int16x8 table leaves it out", file=sys.stderr)
            continue
        print(f"benchmarks_md: {stem} ...", file=sys.stderr, flush=True)
        try:
            results16[stem] = bench(path, board=BOARD, timeout=args.timeout)
        except McugenError as e:
            print(f"benchmarks_md: {stem}: {e.title}: {e.message}", file=sys.stderr)
            return e.exit_code
    more: dict = {}
    for path, _, _, _ in MORE_MODELS:
        p = args.models_dir / path
        if not p.is_file():
            continue
        print(f"benchmarks_md: {path} ...", file=sys.stderr, flush=True)
        try:
            more[path] = bench(p, board=BOARD, timeout=args.timeout, mix=True)
        except McugenError as e:
            more[path] = f"not compiled ({e.title})"
    cores: dict = {BOARD: {}}
    for stem in ANCHORS[BOARD]:  # cortex-m4's seven: the runs above
        got = results.get(stem) or more.get(f"{stem}.tflite")
        if isinstance(got, dict):
            cores[BOARD][stem] = got
    for core in args.cores:
        cores[core] = {}
        for stem in OTHER_CORES[core]:
            print(f"benchmarks_md: {stem} on {core} ...", file=sys.stderr, flush=True)
            try:
                cores[core][stem] = bench(args.models_dir / f"{stem}.tflite", board=core, timeout=args.timeout,
                                          mix=True)
            except McugenError as e:
                print(f"benchmarks_md: {stem} on {core}: {e.title}: {e.message}", file=sys.stderr)
                return e.exit_code
    m0: dict = {}
    if args.m0:
        from .errors import BudgetError
        for stem in M0_MODELS:
            print(f"benchmarks_md: {stem} on {M0_BOARD} ...", file=sys.stderr, flush=True)
            try:
                m0[stem] = bench(args.models_dir / f"{stem}.tflite", board=M0_BOARD, timeout=args.timeout, mix=True)
            except BudgetError as e:
                over = re.search(r"does not fit board '[^']*': (.*?)\. It holds", e.message)
                m0[stem] = over.group(1) if over else e.message.split(". ")[0]
            except McugenError as e:
                print(f"benchmarks_md: {stem} on {M0_BOARD}: {e.title}: {e.message}", file=sys.stderr)
                return e.exit_code
    from .boards import load_board
    from .compiler import with_optimize
    speed, size = {}, {}
    for stem in OPTIMIZE_MODELS:
        p = args.models_dir / f"{stem}.tflite"
        got = results.get(stem) or more.get(p.name)
        if not p.is_file() or not isinstance(got, dict):
            continue
        print(f"benchmarks_md: {stem} --optimize size ...", file=sys.stderr, flush=True)
        try:
            size[stem] = bench(p, board=with_optimize(load_board(BOARD), "size"), timeout=args.timeout)
            speed[stem] = got
        except McugenError as e:
            print(f"benchmarks_md: {stem} --optimize size: {e.title}: {e.message}", file=sys.stderr)
            return e.exit_code
    if args.quantization_from is not None:  # a section written before (it takes ~30 minutes to make)
        quant = ["", *(line for line in args.quantization_from.read_text().rstrip("\n").splitlines()
                       if not line.startswith("<!--"))]
    else:
        quant = None if args.no_quantization else quantization_section(args.models_dir, log)
    if args.precision_from is not None:
        quant = (quant or []) + ["", *(line for line in args.precision_from.read_text().rstrip("\n").splitlines()
                                      if not line.startswith("<!--"))]
    args.out.write_text(render(results, results16=results16, more=more, cores=cores, optimize=(speed, size),
                               quantization=quant, m0=m0))
    print(f"benchmarks_md: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
