"""`mcugen bench`: exact instruction counts under QEMU (TCG plugin), per layer, with the flash/RAM split."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import mcugen.bench as bench_mod
from mcugen.backend import icount
from mcugen.bench import counts_from_log, parse_map
from mcugen.boards import load_board
from mcugen.cli import main
from mcugen.compiler import compile_model
from mcugen.errors import RunError, ToolchainError
from tests.conftest import need_arm_tools

TINY = "examples/tiny_cnn.tflite"
# tiny_cnn with the plain C kernels measured 3,261,692 instructions (cortex-m4, arm-none-eabi-gcc 12.2,
# QEMU 7.2). Counts are exact and deterministic, so a bound on them is a fair test: 1.5x that.
TINY_MAX_INSTRUCTIONS = 4_892_538
# What invoke executes outside its layers: prologue, arena check, epilogue (7 on cortex-m4).
MAX_GLUE = 32
KEYS = ("instructions", "macs", "flash_bytes", "ram_bytes", "arena_bytes", "layers", "weights_bytes",
        "kernel_code_bytes", "other_flash_bytes", "other_ram_bytes")


def _cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in r.output
    return r


@pytest.fixture(scope="module")
def tiny_json():
    need_arm_tools()
    r = _cli("bench", TINY, "--board", "cortex-m4", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_bench_json_has_the_keys_and_per_layer_counts_add_up(tiny_json):
    r = tiny_json
    for k in KEYS:
        assert k in r, k
    rows = compile_model(TINY).project.report["layers"]
    assert [L["op"] for L in r["layers"]] == [x["op"] for x in rows]
    assert r["macs"] == sum(L["macs"] for L in r["layers"]) > 0
    for L in r["layers"]:
        assert {"op", "macs", "instructions", "step", "inputs", "outputs"} <= set(L)
        assert L["instructions"] >= 0
        if L["macs"]:
            assert L["instructions"] > 0
    aliases = [L for L in r["layers"] if L["op"] == "RESHAPE"]
    assert aliases and all(L["instructions"] == 0 for L in aliases)  # no code, exactly 0 after the probe cost
    glue = r["instructions"] - sum(L["instructions"] for L in r["layers"])
    assert glue == r["invoke_glue_instructions"] and 0 <= glue <= MAX_GLUE
    assert r["probe_instructions_per_mark"] > 0
    assert r["invoke_instructions_with_probes"] == (r["instructions"] + r["probe_marks"] * r["probe_instructions_per_mark"])


def test_bench_bound_on_tiny_cnn(tiny_json):
    assert 0 < tiny_json["instructions"] <= TINY_MAX_INSTRUCTIONS


def test_bench_memory_split(tiny_json):
    r = tiny_json
    assert r["flash_bytes"] == r["text_bytes"] + r["data_bytes"]
    assert r["ram_bytes"] == r["data_bytes"] + r["bss_bytes"]
    report = compile_model(TINY, board="cortex-m4").project.report  # layouts follow the board
    assert r["weight_arrays_bytes"] == report["weight_bytes"]
    assert r["weights_bytes"] == r["weight_arrays_bytes"] + r["layer_params_bytes"]
    assert r["layer_params_bytes"] > 0 and r["kernel_code_bytes"] > 0 and r["other_flash_bytes"] > 0
    assert r["flash_bytes"] == (r["weights_bytes"] + r["kernel_code_bytes"] + r["kernel_data_bytes"]
                                + r["model_code_bytes"] + r["other_flash_bytes"])
    assert r["arena_planned_bytes"] == report["arena_bytes"]
    assert r["arena_planned_bytes"] <= r["arena_bytes"] <= r["arena_planned_bytes"] + 16
    assert r["ram_bytes"] == r["arena_bytes"] + r["other_ram_bytes"]
    assert set(r["kernel_code_by_object"]) == {f[:-2] for f in compile_model(TINY, board="cortex-m4").project.files
                                               if f.endswith(".c") and "/" not in f} - {"tiny_cnn", "tiny_cnn_weights"}


def test_bench_counts_are_identical_across_runs(tiny_json):
    r = _cli("bench", TINY, "--board", "cortex-m4", "--json")
    assert r.exit_code == 0, r.output
    again = json.loads(r.output)
    assert again == tiny_json


def test_bench_human_output_is_a_table():
    need_arm_tools()
    r = _cli("bench", TINY, "--board", "cortex-m4")
    assert r.exit_code == 0, r.output
    assert re.search(r"tiny_cnn on cortex-m4 .*: [\d,]+ instructions per inference", r.output)
    assert re.search(r"^step\s+op\s+input -> output\s+MACs\s+instructions\s+instr/MAC", r.output, re.M)
    assert re.search(r"^\s+0\s+CONV_2D\s+1x32x16x1 -> 1x16x8x16\s+[\d,]+\s+[\d,]+", r.output, re.M)
    assert "not cycles" in r.output and "flash" in r.output and "arena" in r.output


def test_counting_per_block_equals_counting_per_instruction(tiny_json):
    per_insn = bench_mod.bench(TINY, board="cortex-m4", mode="insn")
    for k in ("instructions", "layers", "firmware_instructions", "probe_instructions_per_mark"):
        assert per_insn[k] == tiny_json[k], k


def test_instruction_mix_adds_up_and_agrees_per_instruction(tiny_json):
    """--mix: per layer the six classes sum to the layer's instructions, the counts equal the plain run's,
    counting per block and per instruction give the same classes, the DSP kernels' MACs show up as
    multiply-accumulates, and the classifier sorts the mnemonics QEMU prints (scalar, DSP and MVE)."""
    from mcugen.bench import CLASSES
    tb = bench_mod.bench(TINY, board="cortex-m4", mix=True)
    assert tb["instructions"] == tiny_json["instructions"] and tb["layers"][0]["instructions"] == \
        tiny_json["layers"][0]["instructions"]
    for L in tb["layers"]:
        assert sum(L["mix"].values()) == L["instructions"], L
        if L["macs"] > 1000:
            assert L["mix"]["mac"] >= L["macs"] // 4, L  # SMLAD: 2 MACs; nothing does more than 4 per instruction
    assert sum(tb["mix"].values()) == tb["instructions"] and set(tb["mix"]) == set(CLASSES)
    per_insn = bench_mod.bench(TINY, board="cortex-m4", mode="insn", mix=True)
    assert per_insn["mix"] == tb["mix"] and [L["mix"] for L in per_insn["layers"]] == [L["mix"] for L in tb["layers"]]
    r = _cli("bench", TINY, "--board", "cortex-m4", "--mix")
    assert r.exit_code == 0 and "branch" in r.output.splitlines()[3], r.output


def test_instruction_classes_of_mnemonics():
    """The plugin's classify() on the disassembly QEMU gives (the compiled plugin loaded with ctypes)."""
    import ctypes
    from mcugen.bench import CLASSES
    lib = ctypes.CDLL(str(icount.plugin_library()), mode=os.RTLD_LAZY)  # QEMU's API is not called here
    lib.qemu_icount_classify.argtypes = [ctypes.c_char_p]
    cases = {"ldr r3, [r1], #4": "load", "ldrd r4, r5, [r0, #8]": "load", "pop {r4, pc}": "load",
             "vldrb.s16 q0, [r1]": "load", "str.w r2, [r3]": "store", "push {r4, lr}": "store",
             "vstrw.32 q1, [r0]": "store", "smlad r0, r1, r2, r0": "mac", "mla r0, r1, r2, r3": "mac",
             "smmulr r0, r1, r2": "mac", "vmladava.s16 r0, q1, q2": "mac", "vfma.f32 s0, s1, s2": "mac",
             "muls r0, r1, r0": "mac", "vadd.i32 q0, q1, q2": "vector", "vcvt.f32.s32 s0, s0": "vector",
             "bne #0x100": "branch", "bl #0x2000": "branch", "cbz r0, #0x10": "branch", "le lr, #0x80": "branch",
             "bic r0, r0, #1": "other", "sxtb16 r0, r1": "other", "adds r0, #1": "other", "it ne": "other"}
    got = {text: CLASSES[lib.qemu_icount_classify(text.encode())] for text in cases}
    assert got == cases


def test_probes_barely_change_the_invoke_they_measure(tiny_json):
    """The unprofiled library (same harness) differs by at most a few instructions from the estimate."""
    elf = Path(tiny_json["elf"])
    project = elf.parent.parent
    subprocess.run(["make", "-s", "-C", str(project), "BUILD=build-noprobe", "CFLAGS=-O2 -DTINY_CNN_BENCH",
                    "build-noprobe/tiny_cnn.elf"], check=True, capture_output=True)
    plain = project / "build-noprobe" / "tiny_cnn.elf"
    addrs = bench_mod.symbol_addresses(plain, ["tiny_cnn_bench_begin", "tiny_cnn_bench_end"])
    records, _ = icount.run_counted(load_board("cortex-m4"), plain, ["tiny_cnn", "bench"],
                                    {"begin": addrs["tiny_cnn_bench_begin"], "end": addrs["tiny_cnn_bench_end"]})
    v = [x for label, x in records if label in ("begin", "end")]
    unprofiled = (v[3] - v[2]) - (v[1] - v[0])
    assert 0 <= tiny_json["instructions"] - unprofiled <= 4


def test_normal_library_is_unchanged_by_the_profile_hook(tmp_path):
    """Without -D<NAME>_PROFILE, tiny_cnn.c compiles to the same object as the file with its #ifdef blocks cut."""
    need_arm_tools()
    files = compile_model(TINY, board="cortex-m4").project.files
    src = files["tiny_cnn.c"]
    assert src.count("#ifdef TINY_CNN_PROFILE") == len(compile_model(TINY).project.report["layers"]) + 2
    cut = re.sub(r"#ifdef TINY_CNN_PROFILE\n.*?#endif\n", "", src, flags=re.S)
    assert "profile_mark" not in cut
    objs = []
    for sub, text in (("a", src), ("b", cut)):
        d = tmp_path / sub
        d.mkdir()
        for f, t in files.items():
            if "/" not in f:
                (d / f).write_text(t)
        (d / "tiny_cnn.c").write_text(text)
        subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-O2", "-ffunction-sections",
                        "-fdata-sections", "-I.", "-c", "tiny_cnn.c", "-o", "m.o"], cwd=d, check=True)
        objs.append(subprocess.run(["arm-none-eabi-objdump", "-d", "-s", "m.o"], cwd=d, check=True,
                                   capture_output=True, text=True).stdout)
    assert objs[0] == objs[1]


def test_bench_needs_a_qemu_board():
    r = _cli("bench", TINY, "--board", "host")
    assert r.exit_code == 2 and "QEMU machine" in r.output, r.output
    r = _cli("bench", TINY, "--board", "boards/stm32f746-example.toml")
    assert r.exit_code == 2 and "QEMU machine" in r.output, r.output


# ---------------------------------------------------------------- no QEMU needed

def test_plugin_is_compiled_once_per_source_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUGEN_CACHE_DIR", str(tmp_path))
    lib = icount.plugin_library()
    assert lib.is_file() and lib.parent == tmp_path / "qemu-plugins"
    assert re.fullmatch(r"qemu_icount-[0-9a-f]{16}\.so", lib.name)
    mtime = lib.stat().st_mtime_ns
    assert icount.plugin_library() == lib and lib.stat().st_mtime_ns == mtime
    syms = subprocess.run(["nm", "-D", "--defined-only", str(lib)], capture_output=True, text=True).stdout
    assert "qemu_plugin_install" in syms and "qemu_plugin_version" in syms


def test_plugin_without_host_compiler_is_a_toolchain_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))  # no cc, gcc, clang
    monkeypatch.delenv("CC", raising=False)
    with pytest.raises(ToolchainError, match="host C compiler"):
        icount.plugin_library()


def _log(warm, mid, measured, end):
    recs = [("mark", x) for x in warm] + [("begin", mid[0]), ("end", mid[1]), ("mark", mid[2]), ("mark", mid[3]),
                                          ("begin", mid[4])]
    return recs + [("mark", x) for x in measured] + [("end", end), ("total", end + 100)]


def test_counts_from_log_arithmetic():
    # 2 layers; a mark costs 3, an empty region 3; the measured invoke: 5 glue, layer 0 = 100, layer 1 = 0, 2 glue.
    measured = [1000 + 5, 1000 + 5 + 3 + 100, 1000 + 5 + 3 + 100 + 3]
    end = measured[-1] + 3 + 2 + 1
    c = counts_from_log(_log([10, 120, 130], [500, 503, 600, 603, 998], measured, end), 2)
    assert c.per_mark == 3 and c.region == 3
    assert c.layers == [100, 0]
    assert c.raw == end - 998 - 3
    assert c.instructions == c.raw - 3 * 3
    assert c.instructions - sum(c.layers) == 7
    assert c.warmup_layers == [107, 7]
    with pytest.raises(RunError, match="expected sequence"):
        counts_from_log(_log([10, 120], [500, 503, 600, 603, 998], measured, end), 2)


MAP = """\
Archive member included to satisfy reference by file (symbol)
Linker script and memory map

LOAD build-bench/libm.a
.text           0x00000000      0x200
 *(.vectors)
 .vectors       0x00000000       0xc0 /tmp/cc1.o
                0x00000000                m_vector_table
 .text.m_invoke
                0x000000c0       0x40 build-bench/libm.a(m.o)
                0x000000c0                m_invoke
 .text.m_conv_s8
                0x00000100       0x80 build-bench/libm.a(m_conv_s8.o)
 *fill*         0x00000180        0x4
 .rodata.layer0
                0x00000184       0x30 build-bench/libm.a(m.o)
 .rodata.m_l0_filter
                0x000001b4       0x40 build-bench/libm.a(m_weights.o)
                0x000001b4                m_l0_filter

.data           0x20000000       0x10 load address 0x00000200
 .data          0x20000000       0x10 /usr/lib/libc.a(impure.o)

.bss            0x20000010      0x110
 .bss.arena     0x20000010        0x4 build-bench/libm.a(m.o)
 .bss.m_arena_storage
                0x20000018      0x100 build-bench/libm.a(m.o)
"""


def test_parse_map_and_split(monkeypatch):
    secs = parse_map(MAP)
    got = {(s.output, s.name, s.size, s.origin) for s in secs}
    assert (".text", ".text.m_conv_s8", 0x80, "build-bench/libm.a(m_conv_s8.o)") in got
    assert (".bss", ".bss.m_arena_storage", 0x100, "build-bench/libm.a(m.o)") in got
    assert not any(s.name == "*fill*" for s in secs)
    monkeypatch.setattr(bench_mod, "elf_size", lambda elf: (0x200, 0x10, 0x110))
    m = bench_mod.memory_split(Path("x.elf"), MAP, "m")
    assert m["weight_arrays_bytes"] == 0x40 and m["layer_params_bytes"] == 0x30 and m["weights_bytes"] == 0x70
    assert m["kernel_code_bytes"] == 0x80 and m["model_code_bytes"] == 0x40 and m["arena_bytes"] == 0x100
    assert m["flash_bytes"] == 0x210 and m["other_flash_bytes"] == 0x210 - 0x70 - 0x80 - 0x40
    assert m["ram_bytes"] == 0x120 and m["other_ram_bytes"] == 0x20


# Issue 9: a hybrid (dynamic-range) model costs at most 1.3x the instructions of its int8 twin on cortex-m4,
# and at most 1.1x its flash. Counts are exact and deterministic (QEMU plugin), so the bound is a fair test.
HYBRID_MAX_INSTRUCTION_RATIO = 1.3
HYBRID_MAX_FLASH_RATIO = 1.1


def test_bench_kws_hybrid_within_its_int8_twin():
    from tests.conftest import shared_model
    need_arm_tools()
    hybrid = json.loads(_cli("bench", shared_model("dynamic/kws_ref_model_dynamic.tflite"), "--board", "cortex-m4",
                             "--json").output)
    int8 = json.loads(_cli("bench", shared_model("kws_ref_model.tflite"), "--board", "cortex-m4", "--json").output)
    ratio = hybrid["instructions"] / int8["instructions"]
    assert ratio <= HYBRID_MAX_INSTRUCTION_RATIO, (
        f"kws hybrid {hybrid['instructions']:,} instructions = {ratio:.3f}x its int8 twin's {int8['instructions']:,}")
    assert hybrid["flash_bytes"] <= HYBRID_MAX_FLASH_RATIO * int8["flash_bytes"]


# Issue 10's recurrent target: at most 0.6x the instructions TFLM + CMSIS-NN executes for the same inference on
# cortex-m4 (the second Invoke(), exact counts under QEMU, /work/shared/ANCHORS.md: keyword_scrambled_8bit
# 120,239, trained_lstm_int8 574,897). mcugen measured 64,345 and 308,578 (arm-none-eabi-gcc 12.2, QEMU 7.2).
# Counts are exact and deterministic, so the bound is a fair test. The layouts that buy it keep the weight arrays
# within a bound of the model's constant bytes: the SVDF's doubled time weights (its ring-buffer state) and the
# FULLY_CONNECTEDs' pair words (2 bytes a weight, --optimize speed / balanced where the flash holds them: 58,473
# and 306,621 instructions with them) at 1.55x (measured 1.52x), the LSTM's int16 gate weights and its
# classifier's pair words at 2.1x (measured 2.07x).
RECURRENT_TFLM_CMSIS_NN_M4 = {"keyword_scrambled_8bit": (120_239, 1.55), "trained_lstm_int8": (574_897, 2.1)}
RECURRENT_MAX_RATIO = 0.6


@pytest.mark.parametrize("model", sorted(RECURRENT_TFLM_CMSIS_NN_M4))
def test_bench_recurrent_models_within_0_6x_tflm_cmsis_nn(model):
    from tests.conftest import shared_model
    need_arm_tools()
    path = shared_model(f"{model}.tflite")
    r = bench_mod.bench(path, board="cortex-m4")
    tflm_cmsis, weight_growth = RECURRENT_TFLM_CMSIS_NN_M4[model]
    ratio = r["instructions"] / tflm_cmsis
    assert ratio <= RECURRENT_MAX_RATIO, (
        f"{model}: {r['instructions']:,} instructions = {ratio:.3f}x TFLM + CMSIS-NN's {tflm_cmsis:,} on cortex-m4")
    graph = compile_model(path, board="cortex-m4").graph
    model_weights = sum(t.nbytes for t in graph.tensors if t.is_const)
    assert r["weight_arrays_bytes"] <= weight_growth * model_weights, (r["weight_arrays_bytes"], model_weights)


# Issue 12: a model with int4 weights costs little more than its int8 twin on cortex-m4 (the packed weights
# unpacked in registers: mcu_conv_s4.c, mcu_depthwise_conv_s4.c). kws_ref_model with every weight tensor
# requantized to int4 (tests/models/test_int4_models.py) measured 4,170,311 instructions against 3,520,893
# (1.184x; 8,610,668 before the DSP kernels). The int8 twin's 3x3 depthwise layers then got faster (3.80 -> 3.30
# instructions/MAC: 3,376,787), and the int4 depthwise kernel has no such path yet: 4,169,512 = 1.235x. The bound
# holds both the int4 figure (1% over it) and the ratio (arm-none-eabi-gcc 12.2, QEMU 7.2; exact counts).
INT4_MAX_INSTRUCTION_RATIO = 1.25
INT4_MAX_INSTRUCTIONS = 4_211_000


def test_bench_kws_int4_within_its_int8_twin(tmp_path):
    from tests.conftest import shared_model
    from tests.models.test_int4_models import kws_int4
    need_arm_tools()
    path = tmp_path / "kws_ref_model_int4.tflite"
    path.write_bytes(kws_int4())
    int4 = json.loads(_cli("bench", path, "--board", "cortex-m4", "--json").output)
    int8 = json.loads(_cli("bench", shared_model("kws_ref_model.tflite"), "--board", "cortex-m4", "--json").output)
    ratio = int4["instructions"] / int8["instructions"]
    assert ratio <= INT4_MAX_INSTRUCTION_RATIO and int4["instructions"] <= INT4_MAX_INSTRUCTIONS, (
        f"kws int4 {int4['instructions']:,} instructions = {ratio:.3f}x its int8 twin's {int8['instructions']:,}")
    assert int4["weights_bytes"] < 0.5 * int8["weights_bytes"]  # and the weights stay packed


# Issue 14's cortex-m55 target: at most 0.8x the instructions TFLM + CMSIS-NN (its Helium code) executes for the
# same inference on cortex-m55 (the second Invoke(), exact counts under QEMU, /work/shared/ANCHORS.md). mcugen
# measured kws_ref_model 1,184,927 (0.65x), vww_96_int8 4,190,454 (0.64x), pretrainedResnet_quant 3,583,268
# (0.73x), person_detect 4,055,357 (0.62x), str_ww_ref_model 251,127 (0.62x) and
# micro_speech_quantized 685,905 (0.68x) (arm-none-eabi-gcc 12.2, QEMU 7.2). Counts are exact and deterministic,
# so the bound is a fair test. (ad01_int8, 117,000 = 0.78x, runs no kernel this work changed.)
M55_TFLM_CMSIS_NN = {"kws_ref_model": 1_813_686, "vww_96_int8": 6_558_334, "pretrainedResnet_quant": 4_910_117,
                     "person_detect": 6_508_091, "str_ww_ref_model": 407_394, "micro_speech_quantized": 1_008_169}
M55_MAX_RATIO = 0.8


# The suite bounds three of them (one of each kernel mix: DS-CNN, MobileNet, 1-D depthwise); MCUGEN_LONG=1 all six.
M55_IN_SUITE = ("kws_ref_model", "person_detect", "str_ww_ref_model")


@pytest.mark.parametrize("model", sorted(M55_TFLM_CMSIS_NN) if os.environ.get("MCUGEN_LONG") == "1"
                         else M55_IN_SUITE)
def test_bench_m55_models_within_0_8x_tflm_cmsis_nn(model):
    _bench_within(model, "cortex-m55", M55_TFLM_CMSIS_NN[model], M55_MAX_RATIO)


def _bench_within(model: str, board: str, reference: int, max_ratio: float) -> dict:
    """Bench a shared model on `board`; its instructions must be at most max_ratio x `reference` (TFLM +
    CMSIS-NN's on that core). Returns the bench result."""
    from tests.conftest import shared_model
    need_arm_tools()
    r = bench_mod.bench(shared_model(f"{model}.tflite"), board=board)
    ratio = r["instructions"] / reference
    assert ratio <= max_ratio, (
        f"{model}: {r['instructions']:,} instructions = {ratio:.3f}x TFLM + CMSIS-NN's {reference:,} on {board}")
    return r


# Issue 14's cortex-m4/m7/m33 target for micro_speech: at most 0.45x the instructions TFLM + CMSIS-NN executes for
# the same inference (the second Invoke(), exact counts under QEMU, /work/shared/ANCHORS.md: m4 1,495,332, m7
# 1,489,403, m33 1,481,481). Its DEPTHWISE_CONV_2D (one input channel, 10x8 filter, multiplier 8: the patch kernel,
# mcu_depthwise_conv_1ch_s8.c) took mcugen from 1,214,785 (0.81x) to 627,383 (0.420x) on m4, 630,399 (0.423x) on
# m7 and 627,550 (0.424x) on m33 (arm-none-eabi-gcc 12.2, QEMU 7.2). Counts are exact and deterministic: the bound
# is the measured figure with 2.5% slack, within the 0.45x; m7 and m33 with MCUGEN_LONG=1.
MICRO_SPEECH_TFLM_CMSIS_NN = {"cortex-m4": 1_495_332, "cortex-m7": 1_489_403, "cortex-m33": 1_481_481}
MICRO_SPEECH_MAX_RATIO = 0.43


@pytest.mark.parametrize("board", sorted(MICRO_SPEECH_TFLM_CMSIS_NN) if os.environ.get("MCUGEN_LONG") == "1"
                         else ["cortex-m4"])
def test_bench_micro_speech_within_0_43x_tflm_cmsis_nn(board):
    r = _bench_within("micro_speech_quantized", board, MICRO_SPEECH_TFLM_CMSIS_NN[board], MICRO_SPEECH_MAX_RATIO)
    dw = [layer for layer in r["layers"] if layer["op"] == "DEPTHWISE_CONV_2D"]
    assert [layer["kernel"] for layer in dw] == ["depthwise_conv_1ch_s8"]


# Issue 14's cortex-m3 target (no DSP: mcugen's plain-C paths, the pair-word convolution kernels): at most 0.8x
# the instructions TFLM + CMSIS-NN's portable C executes for the same inference on cortex-m3 (second Invoke(),
# exact counts under QEMU, /work/shared/ANCHORS.md). mcugen measured kws_ref_model 4,951,478 (0.47x),
# vww_96_int8 15,071,384 (0.47x), pretrainedResnet_quant 16,940,913 (0.40x), ad01_int8 253,800 (0.27x) and
# person_detect 19,332,190 (0.64x; 62% of it depthwise layers) (arm-none-eabi-gcc 12.2, QEMU 7.2). Counts are
# exact and deterministic, so the bound is a fair test.
M3_TFLM_CMSIS_NN = {"kws_ref_model": 10_532_657, "vww_96_int8": 31_959_373, "pretrainedResnet_quant": 41_846_036,
                    "ad01_int8": 955_978, "person_detect": 30_327_163, "str_ww_ref_model": 4_728_632,
                    "micro_speech_quantized": 1_512_457}
M3_MAX_RATIO = 0.8
M3_IN_SUITE = ("kws_ref_model",)  # MCUGEN_LONG=1: all seven (micro_speech's own bound: test_depthwise_conv_s8_1ch)


@pytest.mark.parametrize("model", sorted(M3_TFLM_CMSIS_NN) if os.environ.get("MCUGEN_LONG") == "1"
                         else M3_IN_SUITE)
def test_bench_m3_models_within_0_8x_tflm_cmsis_nn(model):
    _bench_within(model, "cortex-m3", M3_TFLM_CMSIS_NN[model], M3_MAX_RATIO)
