#!/usr/bin/env python3
"""Bring-up check of the firmware templates on every QEMU board (a script, not a pytest file).

For each board in boards/ that has a [qemu] section it renders templates/firmware/startup.c.j2 and
link.ld.j2, builds them with the test program below (argv, file read/write and printf over
semihosting, a float/double/MVE computation, deliberate faults), runs the firmware in
qemu-system-arm and prints one row per board:

    python3 tests/firmware/bringup_check.py                 # every QEMU board, full newlib and nano
    python3 tests/firmware/bringup_check.py cortex-m0 -v    # one board, with the QEMU output
    python3 tests/firmware/bringup_check.py --keep /tmp/fw  # keep the build folders
    python3 tests/firmware/bringup_check.py --opt=-O0       # another optimisation level

Exit status 0 when every check of every board passed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

import jinja2

ROOT = Path(__file__).resolve().parents[2]
NAME = "bringup"
TIMEOUT = 30.0
JUMP_TARGET = 0x0BADC0DE          # an even address: a branch there leaves Thumb state and faults
UNMAPPED = 0xE0100000             # vendor system region above the PPB: nothing is mapped there on these machines
EXIT_OK = 5                       # what the "io" test returns from main()
FAULT_STATUS = 1                  # QEMU's exit status for SYS_EXIT with a reason other than ApplicationExit

TEST_MAIN = r"""
/* Test program of tests/firmware/bringup_check.py. argv[1] selects the test:
 *   io IN OUT   print argv, copy IN reversed to OUT, check float/double/MVE maths, return 5
 *   jump        call an even address (leaves Thumb state): HardFault at that address
 *   load        read an unmapped address: HardFault at the load instruction (bringup_bad_load)
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>
#endif

void *sbrk(ptrdiff_t increment);
uint32_t bringup_bad_load(uint32_t address);

extern char end[];
extern uint32_t bringup_heap_limit[];
extern uint32_t bringup_stack_top[];

static volatile float f_in = 2.0f;
static volatile double d_in = 3.0;
static volatile int32_t i_in = 7;

#define PAINT 0xA5A5A5A5u

/* Fill the stack area below the current frame with a pattern, to measure later how deep it went. */
static __attribute__((noinline)) void paint_stack(void)
{
    uint32_t here = 0;
    uint32_t *p = bringup_heap_limit;
    uint32_t *top = (uint32_t *)((uintptr_t)&here & ~(uintptr_t)3) - 64;
    while (p < top) {
        *p++ = PAINT;
    }
}

static unsigned long stack_used(void)
{
    uint32_t *p = bringup_heap_limit;
    while (p < bringup_stack_top && *p == PAINT) {
        p++;
    }
    return (unsigned long)((uintptr_t)bringup_stack_top - (uintptr_t)p);
}

static int maths(void)
{
    int bad = 0;
    float s = sqrtf(f_in) * f_in;                       /* 2.8284271 */
    double d = d_in / 7.0 + sqrt(d_in);                 /* 2.1606222361403058 */
    long fs = (long)(s * 1000000.0f);
    long long ds = (long long)(d * 1e9);
    if (fs < 2828426 || fs > 2828428) {
        bad |= 1;
    }
    if (ds < 2160622235LL || ds > 2160622237LL) {
        bad |= 2;
    }
    printf("float=%ld double_lo=%lu\n", fs, (unsigned long)(ds % 1000000000LL));
#if defined(__ARM_FEATURE_MVE)
    {
        int32x4_t a = vdupq_n_s32(i_in);                 /* 7 7 7 7 */
        int32x4_t b = vaddq_s32(a, vdupq_n_s32(i_in));   /* 14 14 14 14 */
        int32_t sum = vaddvq_s32(vmulq_s32(a, b));       /* 4 * 98 */
        printf("mve=%ld\n", (long)sum);
        if (sum != 392) {
            bad |= 4;
        }
    }
#endif
#if defined(__ARM_FP)
    printf("cpacr=0x%08lx\n", (unsigned long)*(volatile uint32_t *)0xE000ED88u);
#endif
    return bad;
}

static int io(int argc, char **argv)
{
    unsigned char buf[512];
    if (argc != 4) {
        printf("usage: %s io IN OUT\n", argv[0]);
        return 2;
    }
    /* Both files open at once, as the mcugen harness keeps them: two stdio buffers on the heap. */
    FILE *in = fopen(argv[2], "rb");
    FILE *out = fopen(argv[3], "wb");
    if (in == NULL || out == NULL) {
        printf("cannot open %s or %s\n", argv[2], argv[3]);
        return 3;
    }
    size_t n = fread(buf, 1, sizeof buf, in);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned char t = buf[i];
        buf[i] = buf[n - 1 - i];
        buf[n - 1 - i] = t;
    }
    if (fwrite(buf, 1, n, out) != n || fclose(out) != 0) {
        printf("cannot write %s\n", argv[3]);
        return 3;
    }
    fclose(in);
    printf("read %lu bytes\n", (unsigned long)n);
    if (maths() != 0) {
        printf("maths wrong\n");
        return 6;
    }
    printf("heap_used=%lu stack_used=%lu\n", (unsigned long)((char *)sbrk(0) - end), stack_used());
    return 5;
}

int main(int argc, char **argv)
{
    paint_stack();
    printf("argc=%d", argc);
    for (int i = 0; i < argc; i++) {
        printf(" argv[%d]=%s", i, argv[i]);
    }
    printf("\n");
    if (argc >= 2 && strcmp(argv[1], "io") == 0) {
        return io(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "jump") == 0) {
        fflush(stdout);
        ((void (*)(void))(uintptr_t)JUMP_TARGET)();
        return 7;
    }
    if (argc >= 2 && strcmp(argv[1], "load") == 0) {
        fflush(stdout);
        printf("read 0x%08lx\n", (unsigned long)bringup_bad_load(UNMAPPED));
        return 7;
    }
    return 2;
}

/* The load is the function's first instruction, so the faulting PC is the symbol's address. */
__attribute__((naked, noinline)) uint32_t bringup_bad_load(uint32_t address)
{
    (void)address;
    __asm__ volatile("ldr r0, [r0]\n\tbx lr\n");
}
"""


def render_templates(board: dict, out: Path) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROOT / "templates")),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    v = {"name": NAME, "NAME": NAME.upper(), "board": board, "version": "bringup",
         "source": "tests/firmware/bringup_check.py", "model_sha256": "0" * 64}
    (out / f"{NAME}_startup.c").write_text(env.get_template("firmware/startup.c.j2").render(**v))
    (out / f"{NAME}.ld").write_text(env.get_template("firmware/link.ld.j2").render(**v))


def build(board: dict, out: Path, nano: bool, opt: list[str]) -> tuple[bool, str, dict]:
    out.mkdir(parents=True, exist_ok=True)
    render_templates(board, out)
    (out / "main.c").write_text(TEST_MAIN.replace("JUMP_TARGET", f"0x{JUMP_TARGET:08x}u")
                                .replace("UNMAPPED", f"0x{UNMAPPED:08x}u"))
    specs = (["--specs=nano.specs"] if nano else []) + ["--specs=rdimon.specs"]
    cmd = ["arm-none-eabi-gcc", *board["cflags"], *opt, "-g", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
           "-ffunction-sections", "-fdata-sections", "-I.", "main.c", f"{NAME}_startup.c", *specs,
           "-Wl,--gc-sections", "-T", f"{NAME}.ld", "-lm", "-o", "fw.elf"]
    r = subprocess.run(cmd, cwd=out, capture_output=True, text=True)
    if r.returncode != 0:
        return False, shlex.join(cmd) + "\n" + r.stdout + r.stderr, {}
    info = {}
    size = subprocess.run(["arm-none-eabi-size", "-A", "fw.elf"], cwd=out, capture_output=True, text=True).stdout
    for line in size.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in (".text", ".ARM.exidx", ".data", ".bss"):
            info[parts[0]] = int(parts[1])
    syms = subprocess.run(["arm-none-eabi-nm", "fw.elf"], cwd=out, capture_output=True, text=True).stdout
    for line in syms.splitlines():
        parts = line.split()
        if len(parts) == 3:
            info["sym:" + parts[2]] = int(parts[0], 16)
    return True, shlex.join(cmd), info


def qemu_cmd(board: dict, args: list[str]) -> list[str]:
    q = board["qemu"]
    semi = ",".join(["enable=on", "target=native"] + [f"arg={a}" for a in args])
    return ["qemu-system-arm", "-M", q["machine"], *q.get("extra_args", []), "-nographic", "-monitor", "none",
            "-serial", "none", "-semihosting-config", semi, "-kernel", "fw.elf"]


def run(board: dict, out: Path, args: list[str]) -> tuple[int | None, str]:
    cmd = qemu_cmd(board, args)
    try:
        r = subprocess.run(cmd, cwd=out, capture_output=True, text=True, timeout=TIMEOUT,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        text = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return None, text + f"\n[timeout after {TIMEOUT:.0f} s]"
    return r.returncode, r.stdout + r.stderr


def check_board(board: dict, work: Path, nano: bool, opt: list[str], verbose: bool) -> dict:
    """Build and run the three tests; returns the row of the table."""
    row = {"board": board["name"], "machine": board["qemu"]["machine"], "libc": "nano" if nano else "full"}
    out = work / f"{board['name']}-{row['libc']}"
    ok, log, info = build(board, out, nano, opt)
    row["builds"] = ok
    row["log"] = [log]
    if not ok:
        return row
    row["size"] = (info.get(".text", 0) + info.get(".ARM.exidx", 0) + info.get(".data", 0),
                   info.get(".data", 0) + info.get(".bss", 0))
    payload = bytes((i * 37 + 11) % 256 for i in range(300))
    (out / "in.bin").write_bytes(payload)
    io_args = ["fw", "io", "in.bin", "out.bin"]
    status, text = run(board, out, io_args)
    row["log"].append(f"$ {shlex.join(qemu_cmd(board, io_args))}\n[exit {status}]\n{text}")
    row["runs"] = status is not None and "argc=4 argv[0]=fw argv[1]=io" in text
    row["exit"] = status == EXIT_OK
    row["files"] = (out / "out.bin").is_file() and (out / "out.bin").read_bytes() == payload[::-1]
    row["maths"] = "maths wrong" not in text and "float=" in text
    m = re.search(r"heap_used=(\d+) stack_used=(\d+)", text)
    row["heap_stack"] = (int(m.group(1)), int(m.group(2))) if m else None
    row["cpacr"] = (re.search(r"cpacr=(0x[0-9a-f]+)", text) or [None, "-"])[1]
    row["mve"] = "mve=392" in text

    status, text = run(board, out, ["fw", "jump"])
    want = f"mcugen: HardFault at PC=0x{JUMP_TARGET:08x}"
    row["log"].append(f"$ jump\n[exit {status}]\n{text}")
    row["fault_jump"] = status == FAULT_STATUS and want in text.splitlines()

    status, text = run(board, out, ["fw", "load"])
    addr = info.get("sym:bringup_bad_load", 1) & ~1
    want = f"mcugen: HardFault at PC=0x{addr:08x}"
    row["log"].append(f"$ load\n[exit {status}]\n{text}")
    row["fault_load"] = status == FAULT_STATUS and want in text.splitlines()
    row["fault_load_text"] = next((line for line in text.splitlines() if line.startswith("mcugen:")), "-")
    if verbose:
        print("\n".join(row["log"]))
    return row


def yn(v) -> str:
    return "yes" if v else "NO"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("boards", nargs="*", help="board names (default: every board with a [qemu] section)")
    ap.add_argument("--libc", choices=["full", "nano", "both"], default="both")
    ap.add_argument("--opt", default="-O2", help="optimisation flags (default -O2)")
    ap.add_argument("--keep", type=Path, help="build in this folder and keep it")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (make setup)", file=sys.stderr)
            return 2
    boards = []
    for p in sorted((ROOT / "boards").glob("*.toml")):
        data = tomllib.loads(p.read_text())
        if "qemu" in data and (not a.boards or data["name"] in a.boards):
            boards.append(data)
    if not boards:
        print("no such board with a [qemu] section", file=sys.stderr)
        return 2
    libcs = {"full": [False], "nano": [True], "both": [False, True]}[a.libc]
    work = a.keep or Path(tempfile.mkdtemp(prefix="mcugen-bringup-"))
    rows = []
    try:
        for board in boards:
            for nano in libcs:
                rows.append(check_board(board, work, nano, a.opt.split(), a.verbose))
    finally:
        if a.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    head = ("board", "machine", "libc", "builds", "runs", "exit 5", "files", "maths", "fault(jump)",
            "fault(load)", "flash B", "RAM B", "heap B", "stack B", "CPACR")
    table = []
    failed = 0
    for r in rows:
        checks = [r["builds"], r.get("runs"), r.get("exit"), r.get("files"), r.get("maths"),
                  r.get("fault_jump"), r.get("fault_load")]
        failed += not all(checks)
        hs = r.get("heap_stack") or ("-", "-")
        size = r.get("size", ("-", "-"))
        table.append((r["board"], r["machine"], r["libc"], *(yn(c) for c in checks), str(size[0]), str(size[1]),
                      str(hs[0]), str(hs[1]), r.get("cpacr", "-")))
        if not all(checks) and not a.verbose:
            print(f"--- {r['board']} ({r['libc']}) failed:\n" + "\n".join(r["log"])[-3000:], file=sys.stderr)
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths)))
    print()
    for board in boards:
        print(f"{board['name']}: {shlex.join(qemu_cmd(board, ['fw', 'ARG1', '...']))}")
    print(f"\n{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    sys.exit(main())
