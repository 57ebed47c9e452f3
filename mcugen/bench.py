"""`mcugen bench`: exact, deterministic instruction counts of one inference, per layer, under QEMU.

Method
------
1. The model's project is generated into the build cache and `make bench-firmware` builds
   build-bench/<name>.elf: the library compiled with -D<NAME>_PROFILE, so that <name>_invoke()
   calls <name>_profile_mark(step) before each layer and once after the last, and the harness
   compiled with -D<NAME>_BENCH, whose `bench` mode runs one warm-up inference and then one
   measured inference on a fixed input pattern (templates/harness/main.c.j2). The linker also
   writes a map file.
2. QEMU runs that firmware with mcugen's TCG plugin (backend/qemu_icount.c), which counts every
   executed guest instruction and logs the running count whenever the first instruction of
   <name>_profile_mark, <name>_bench_begin or <name>_bench_end executes (addresses read from the
   ELF with arm-none-eabi-nm).
3. The log becomes numbers. Two calibrations in the firmware measure what the probes cost:
   an empty begin/end region (what a region adds around the call it brackets) and two
   back-to-back marks (instructions per mark: its call, argument and return). Then
     instructions   = (end - begin of the measured region) - empty region - marks x cost per mark,
                      i.e. the instructions of <name>_invoke() from its first to its return
                      instruction, without the probes;
     layer k        = mark[k+1] - mark[k] - cost per mark (the call of layer k's kernel and
                      everything it executes; 0 for an alias layer, which has no code);
     invoke glue    = instructions - sum of the layers (prologue, arena check, epilogue).
   Counts are exact (every executed instruction, no sampling) and deterministic (same firmware,
   same input pattern, no timer or interrupt in the loop). They are instructions, not cycles.
   The probes are removed by subtraction, but the compiler may still schedule invoke's own few
   instructions a little differently around the calls (e.g. reload the arena pointer once): the
   profiled invoke can differ from an unprofiled build by a handful of instructions per
   inference; the kernels themselves are compiled identically.
4. Flash and RAM come from the same ELF: totals from arm-none-eabi-size (flash = text + data,
   static RAM = data + bss), and the split from the linker map, which names the object file of
   every input section that survived --gc-sections: weights (the const arrays of
   <name>_weights.o), layer parameters (the const structs and tables of <name>.o), kernel code
   (the kernel objects), the arena (<name>_arena_storage) and the rest (harness, start-up code,
   libc, alignment).
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .boards import Board, load_board
from .cache import build_key, cache_root
from .codegen import write_project
from .compiler import Compiled, compile_model, for_harness
from .backend.tools import firmware_build_problem, make_env
from .errors import RunError, ToolchainError, UsageError
from .version import __version__

WARMUP_INFERENCES = 1
METHOD = ("exact count of executed guest instructions by a QEMU TCG plugin (mcugen/backend/qemu_icount.c); "
          "instructions, not cycles")


# ---------------------------------------------------------------- building

def _need(tool: str) -> str:
    from .backend import tools
    return tools.require(tool, "`mcugen bench`")


def prepare_project(model, board: Board, name: str | None = None) -> tuple[Compiled, Path]:
    """Compile `model` and write its project into the build cache (the folder `run` and `verify` use)."""
    board = for_harness(board)
    compiled = compile_model(model, name, board)
    key = build_key(compiled.model_bytes, f"{board.name}:{board.raw}", compiled.project.name)
    folder = cache_root() / key
    write_project(compiled.project.files, folder, force=True)
    return compiled, folder


def build_bench_firmware(project_dir: Path, name: str, board: Board | None = None) -> tuple[Path, Path]:
    """`make bench-firmware`: returns the ELF and its linker map."""
    _need("arm-none-eabi-gcc")
    r = subprocess.run(["make", "-s", "-C", str(project_dir), "bench-firmware"], capture_output=True, text=True,
                       env=make_env())
    if r.returncode != 0:
        problem = firmware_build_problem(r.stdout + r.stderr, board, "bench firmware")
        if problem is not None:
            raise problem
        raise ToolchainError(f"building the bench firmware in {project_dir} failed:\n{r.stdout}{r.stderr}".strip())
    out = project_dir / "build-bench"
    return out / f"{name}.elf", out / f"{name}.map"


def symbol_addresses(elf: Path, names: list[str]) -> dict[str, int]:
    """Addresses of defined symbols, from `arm-none-eabi-nm` (the Thumb bit cleared)."""
    out = subprocess.run([_need("arm-none-eabi-nm"), "--defined-only", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in names:
            found[parts[2]] = int(parts[0], 16) & ~1
    missing = [n for n in names if n not in found]
    if missing:
        raise ToolchainError(f"{elf} lacks the bench symbol(s) {', '.join(missing)}: was it built with "
                             "`make bench-firmware`?")
    return found


# ---------------------------------------------------------------- counting

@dataclass
class Counts:
    instructions: int           # the measured invoke, probes removed
    layers: list[int]           # per step
    per_mark: int               # measured cost of one mark
    region: int                 # measured cost of an empty begin/end region
    raw: int                    # the measured invoke with its probes
    warmup_layers: list[int]    # per step, the warm-up inference
    firmware_total: int         # every instruction of the whole firmware run (boot, I/O, both inferences)


#: the instruction classes of `mcugen bench --mix` (qemu_icount.c classify())
CLASSES = ("load", "store", "mac", "vector", "branch", "other")


def _probe_sequence(n_layers: int) -> list[str]:
    marks = n_layers + 1
    return ["mark"] * marks + ["begin", "end", "mark", "mark", "begin"] + ["mark"] * marks + ["end"]


def mix_from_log(records: list[tuple[str, int]], n_layers: int) -> dict[str, dict]:
    """Per instruction class: the measured invoke's count and each layer's, with the probes' own
    instructions of that class removed as counts_from_log removes them from the totals."""
    marks = n_layers + 1
    out = {}
    for cls in CLASSES:
        v = [value for label, value in records if label in (f"mark.{cls}", f"begin.{cls}", f"end.{cls}")]
        if len(v) != len(_probe_sequence(n_layers)):
            raise RunError("the instruction-counting plugin's class records do not follow its counts.")
        b0, e0, c0, c1, b1 = v[marks:marks + 5]
        meas = v[marks + 5:marks + 5 + marks]
        per_mark, region = c1 - c0, e0 - b0
        out[cls] = {"instructions": v[-1] - b1 - region - marks * per_mark,
                    "layers": [meas[k + 1] - meas[k] - per_mark for k in range(n_layers)]}
    return out


def counts_from_log(records: list[tuple[str, int]], n_layers: int) -> Counts:
    """Turn the plugin's log into counts. Expected order (templates/harness/main.c.j2, bench()):
    warm-up marks (n+1), begin, end (empty region), mark, mark (calibration), begin, marks (n+1), end."""
    total = next((v for label, v in records if label == "total"), None)
    seq = [(label, v) for label, v in records if label in ("mark", "begin", "end")]
    labels = [label for label, _ in seq]
    marks = n_layers + 1
    want = _probe_sequence(n_layers)
    if labels != want or total is None:
        raise RunError(f"the bench firmware's probe log is not the expected sequence ({len(labels)} records, "
                       f"expected {len(want)} for {n_layers} layers): the firmware is not the bench build of "
                       "this model, or it stopped early.")
    v = [value for _, value in seq]
    warm = v[:marks]
    b0, e0, c0, c1, b1 = v[marks:marks + 5]
    meas = v[marks + 5:marks + 5 + marks]
    e1 = v[-1]
    per_mark = c1 - c0
    region = e0 - b0
    raw = e1 - b1 - region
    layers = [meas[k + 1] - meas[k] - per_mark for k in range(n_layers)]
    warm_layers = [warm[k + 1] - warm[k] - per_mark for k in range(n_layers)]
    instructions = raw - marks * per_mark
    if per_mark <= 0 or region <= 0 or min(layers, default=0) < 0 or instructions < sum(layers):
        raise RunError(f"the bench probes gave inconsistent counts (mark {per_mark}, region {region}, "
                       f"layers {layers}); the bench firmware was not compiled as mcugen expects.")
    return Counts(instructions, layers, per_mark, region, raw, warm_layers, total)


# ---------------------------------------------------------------- memory

@dataclass
class InputSection:
    output: str      # output section (.text, .data, .bss, ...)
    name: str        # input section (.text.foo, .rodata.bar, ...)
    size: int
    origin: str      # object file, "lib.a(member.o)" for archive members


_OUT = re.compile(r"^([.\w][\w.$-]*)(?:\s+0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+.*)?$")
_IN_FULL = re.compile(r"^ ([.\w*][^\s]*)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
_IN_NAME = re.compile(r"^ ([.\w][^\s]*)$")
_CONT = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")


def parse_map(text: str) -> list[InputSection]:
    """The input sections of a GNU ld map file's memory map (after garbage collection)."""
    start = text.find("Linker script and memory map")
    if start < 0:
        raise ToolchainError("the linker map has no memory map.")
    sections = []
    output = None
    pending = None
    for line in text[start:].splitlines()[1:]:
        if not line.strip():
            continue
        if not line[0].isspace():
            m = _OUT.match(line)
            output = m.group(1) if m else None
            pending = None
            continue
        if pending is not None:
            m = _CONT.match(line)
            if m:
                sections.append(InputSection(output, pending, int(m.group(2), 16), m.group(3).strip()))
            pending = None
            continue
        m = _IN_FULL.match(line)
        if m:
            if m.group(1) != "*fill*":
                sections.append(InputSection(output, m.group(1), int(m.group(3), 16), m.group(4).strip()))
            continue
        m = _IN_NAME.match(line)
        if m and not line.startswith(" *"):
            pending = m.group(1)
    return sections


def elf_size(elf: Path) -> tuple[int, int, int]:
    """(text, data, bss) as arm-none-eabi-size reports them (Berkeley format)."""
    out = subprocess.run([_need("arm-none-eabi-size"), str(elf)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(x) for x in out.strip().splitlines()[-1].split()[:3])
    return text, data, bss


def memory_split(elf: Path, map_text: str, name: str) -> dict:
    text, data, bss = elf_size(elf)
    flash, ram = text + data, data + bss
    member = re.compile(r"lib" + re.escape(name) + r"\.a\((.+)\.o\)$")
    buckets = {"weight_arrays": 0, "layer_params": 0, "model_code": 0, "kernel_code": 0, "kernel_data": 0,
               "arena": 0}
    kernels: dict[str, int] = {}
    for s in parse_map(map_text):
        if s.output not in (".text", ".ARM.exidx", ".data", ".bss") or s.size == 0:
            continue
        m = member.search(s.origin.replace("\\", "/"))
        if m is None:
            continue
        obj = m.group(1)
        code = s.name.startswith(".text")
        if s.output == ".bss":  # RAM only; everything but the arena storage is "other"
            if obj == name and s.name == f".bss.{name}_arena_storage":
                buckets["arena"] += s.size
            continue
        if obj == f"{name}_weights":
            buckets["weight_arrays"] += s.size
        elif obj == name:
            buckets["model_code" if code else "layer_params"] += s.size
        else:
            buckets["kernel_code" if code else "kernel_data"] += s.size
            if code:
                kernels[obj] = kernels.get(obj, 0) + s.size
    weights = buckets["weight_arrays"] + buckets["layer_params"]
    known_flash = weights + buckets["model_code"] + buckets["kernel_code"] + buckets["kernel_data"]
    return {
        "flash_bytes": flash, "ram_bytes": ram, "text_bytes": text, "data_bytes": data, "bss_bytes": bss,
        "weights_bytes": weights, "weight_arrays_bytes": buckets["weight_arrays"],
        "layer_params_bytes": buckets["layer_params"], "kernel_code_bytes": buckets["kernel_code"],
        "kernel_data_bytes": buckets["kernel_data"], "model_code_bytes": buckets["model_code"],
        "other_flash_bytes": flash - known_flash, "arena_bytes": buckets["arena"],
        "other_ram_bytes": ram - buckets["arena"],
        "kernel_code_by_object": dict(sorted(kernels.items())),
    }


# ---------------------------------------------------------------- the command

def bench(model, board: str | Board = "cortex-m4", name: str | None = None, timeout: float = 600,
          mode: str = "tb", mix: bool = False) -> dict:
    """Build the bench firmware of `model`, run it in QEMU under the counting plugin; one JSON-able dict.
    mix: also the instruction mix (loads, stores, multiply-accumulates, vector, branches, other) per layer."""
    from .backend.icount import run_counted
    b = board if isinstance(board, Board) else load_board(board)
    if b.is_host or not b.can_emulate:
        raise UsageError(f"board '{b.name}' cannot be benchmarked: `mcugen bench` counts instructions in QEMU, "
                         "so it needs a board with a QEMU machine (see `mcugen boards`, e.g. cortex-m4).")
    compiled, folder = prepare_project(model, b, name)
    n = compiled.project.name
    elf, map_path = build_bench_firmware(folder, n, b)
    probes = {"mark": f"{n}_profile_mark", "begin": f"{n}_bench_begin", "end": f"{n}_bench_end"}
    addrs = symbol_addresses(elf, list(probes.values()))
    records, output = run_counted(b, elf, [n, "bench"], {k: addrs[s] for k, s in probes.items()},
                                  timeout=timeout, mode=mode, mix=mix)
    if f"mcugen: BENCH {n}" not in output:
        raise RunError(f"the bench firmware did not finish its run:\n{output[-2000:]}")
    rows = compiled.project.report["layers"]
    c = counts_from_log(records, len(rows))
    classes = mix_from_log(records, len(rows)) if mix else None
    layers = []
    for k, (row, ins) in enumerate(zip(rows, c.layers)):
        if classes is not None:
            row = {**row, "mix": {cls: classes[cls]["layers"][k] for cls in CLASSES}}
        layers.append({
            "step": row["step"], "node": row["node"], "op": row["op"], "kernel": row["kernel"],
            "inputs": row["inputs"], "outputs": row["outputs"], "macs": row["macs"], "instructions": ins,
            "instructions_per_mac": round(ins / row["macs"], 3) if row["macs"] else None,
            **({"mix": row["mix"]} if classes is not None else {}),
        })
    macs = compiled.project.report["total_macs"]
    checksum = re.search(r"outputs checksum (0x[0-9a-f]+)", output)
    result = {
        "model": str(model), "name": n, "board": b.name, "cpu": b.cpu, "qemu_machine": b.qemu_machine,
        "mcugen_version": __version__, "method": METHOD, "counting_mode": mode,
        "warmup_inferences": WARMUP_INFERENCES,
        "instructions": c.instructions, "macs": macs,
        "instructions_per_mac": round(c.instructions / macs, 3) if macs else None,
        "layers_instructions": sum(c.layers), "invoke_glue_instructions": c.instructions - sum(c.layers),
        "probe_marks": len(rows) + 1, "probe_instructions_per_mark": c.per_mark,
        "probe_instructions_removed": (len(rows) + 1) * c.per_mark, "region_overhead_instructions": c.region,
        "invoke_instructions_with_probes": c.raw, "warmup_layers_instructions": sum(c.warmup_layers),
        "firmware_instructions": c.firmware_total,
        "outputs_checksum": checksum.group(1) if checksum else None,
        "arena_planned_bytes": compiled.plan.arena_size,
        "layers": layers,
    }
    if classes is not None:
        result["mix"] = {cls: classes[cls]["instructions"] for cls in CLASSES}
    result.update(memory_split(elf, map_path.read_text(), n))
    result["elf"] = str(elf)
    return result


def _int(v) -> str:
    return f"{v:,}"


def format_bench(r: dict) -> str:
    """The human-readable report: header, one row per layer, totals, memory."""
    def ipm(v):
        return "-" if v is None else f"{v:,.2f}"
    lines = [f"{r['name']} on {r['board']} (QEMU {r['qemu_machine']}): {_int(r['instructions'])} instructions per "
             f"inference, {_int(r['macs'])} MACs, {ipm(r['instructions_per_mac'])} instructions/MAC",
             f"  exact count of executed instructions (not cycles), after {r['warmup_inferences']} warm-up "
             "inference, fixed input pattern", ""]
    mix = CLASSES if "mix" in r else ()
    head = ("step", "op", "input -> output", "MACs", "instructions", "instr/MAC", "share") + mix
    rows = []
    for L in r["layers"]:
        shape = f"{L['inputs'][0] if L['inputs'] else '-'} -> {', '.join(L['outputs'])}"
        share = f"{100.0 * L['instructions'] / r['instructions']:.1f}%" if r["instructions"] else "-"
        rows.append((str(L["step"]), L["op"], shape, _int(L["macs"]), _int(L["instructions"]),
                     ipm(L["instructions_per_mac"]), share) + tuple(_int(L["mix"][c]) for c in mix))
    rows.append(("", "(invoke glue)", "", "", _int(r["invoke_glue_instructions"]), "", "") + ("",) * len(mix))
    rows.append(("", "total", "", _int(r["macs"]), _int(r["instructions"]), ipm(r["instructions_per_mac"]), "")
                + tuple(_int(r["mix"][c]) for c in mix))
    widths = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
    left = {1, 2}

    def fmt(row):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    lines.append(fmt(head))
    lines.append("  ".join("-" * w for w in widths))
    lines += [fmt(x) for x in rows]
    lines += [
        "",
        f"probes: {r['probe_marks']} marks x {r['probe_instructions_per_mark']} instructions removed "
        f"(measured in the firmware); invoke with probes: {_int(r['invoke_instructions_with_probes'])}",
        f"flash {_int(r['flash_bytes'])} bytes = weights {_int(r['weight_arrays_bytes'])} + layer parameters "
        f"{_int(r['layer_params_bytes'])} + kernel code {_int(r['kernel_code_bytes'])}"
        + (f" + kernel tables {_int(r['kernel_data_bytes'])}" if r["kernel_data_bytes"] else "")
        + f" + layer sequence {_int(r['model_code_bytes'])} + harness/libc/start-up {_int(r['other_flash_bytes'])}",
        f"RAM   {_int(r['ram_bytes'])} bytes static = arena {_int(r['arena_bytes'])} + harness/libc "
        f"{_int(r['other_ram_bytes'])} (plus stack and heap)",
    ]
    return "\n".join(lines)


__all__ = ["bench", "format_bench", "counts_from_log", "parse_map", "memory_split", "METHOD"]
