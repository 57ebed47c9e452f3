"""Several models, one kernel library: `mcugen build a.tflite b.tflite` writes one project with one copy of
the kernels the models use (prefix mcugen_rt_) and each model's own API. Both models link into one
firmware (a main of the user's, as a firmware engineer writes it), run under QEMU on cortex-m4 bit-exact
with TFLM, and the shared library takes less flash than the two models built separately."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mcugen import api
from mcugen.backend.qemu import qemu_command, run_qemu
from mcugen.boards import load_board
from mcugen.cli import main
from mcugen.compiler import compile_bytes
from mcugen.oracle import tflm
from mcugen.testing.compare import sample_inputs

from .helpers import as_bytes, need, run, tiny_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"

APP = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "a.h"
#include "residual_add.h"

static int load(const char *path, void *dst, size_t bytes)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    size_t got = fread(dst, 1, bytes, f);
    fclose(f);
    return got == bytes ? 0 : -1;
}

static int save(const char *path, const void *src, size_t bytes)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) return -1;
    size_t put = fwrite(src, 1, bytes, f);
    fclose(f);
    return put == bytes ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 6) return 2;
    long n = strtol(argv[1], NULL, 10);
    FILE *oa = NULL, *ob = NULL;
    if (a_init(NULL) != 0 || residual_add_init(NULL) != 0) return 3;
    static unsigned char xa[1 << 12], xb[1 << 12];
    size_t ia = a_input_bytes(0), ib = residual_add_input_bytes(0);
    if (ia * (size_t)n > sizeof xa || ib * (size_t)n > sizeof xb) return 4;
    if (load(argv[2], xa, ia * (size_t)n) || load(argv[3], xb, ib * (size_t)n)) return 5;
    oa = fopen(argv[4], "wb");
    ob = fopen(argv[5], "wb");
    if (oa == NULL || ob == NULL) return 6;
    for (long s = 0; s < n; s++) { /* the two models interleaved */
        memcpy(a_input(0), xa + ia * (size_t)s, ia);
        memcpy(residual_add_input(0), xb + ib * (size_t)s, ib);
        if (a_invoke() != 0 || residual_add_invoke() != 0) return 7;
        fwrite(a_output(0), 1, a_output_bytes(0), oa);
        fwrite(residual_add_output(0), 1, residual_add_output_bytes(0), ob);
    }
    fclose(oa);
    fclose(ob);
    (void)save;
    printf("app: done\n");
    return 0;
}
"""


def _models(tmp_path: Path) -> tuple[Path, Path]:
    a = tmp_path / "a.tflite"
    a.write_bytes(tiny_model(5))
    return a, FIXTURES / "residual_add.tflite"


def test_one_copy_of_the_kernels_and_each_models_own_api(tmp_path):
    a, b = _models(tmp_path)
    out = tmp_path / "out"
    sb = api.build_shared([a, b], out, board="host")
    files = sorted(p.name for p in out.iterdir() if p.is_file())
    kernels = [f for f in files if f.startswith("mcugen_rt_")]
    assert {"mcugen_rt_conv_1x1_s8.c", "mcugen_rt_conv_im2col_s8.c"} & set(kernels), kernels
    # no model carries a kernel of its own; each keeps its API, weights and layer table
    for m in ("a", "residual_add"):
        assert {f"{m}.c", f"{m}.h", f"{m}_weights.c", f"{m}_kernels.h", f"README_{m}.md",
                f"report_{m}.json"} <= set(files)
        assert not [f for f in files if f.startswith(f"{m}_") and f.endswith(".c") and f != f"{m}_weights.c"]
        text = (out / f"{m}.c").read_text()
        assert "mcugen_rt_" in text
    report = json.loads((out / "report.json").read_text())
    assert report["models"] == ["a", "residual_add"] and report["runtime"] == "mcugen_rt"
    assert set(report["kernel_files"]) == set(kernels)
    # the kernels both models call are the same file: the union is smaller than the two lists together
    each = [set(c.project.kernel_files) for c in sb.models]
    assert each[0] & each[1] and len(set(kernels)) < len(each[0]) + len(each[1])
    # the host build of the library and both harnesses, warnings as errors
    need("make", "cc")
    run(["make", "-s", "-C", out, "MCUGEN_WERROR=1", "host"])
    assert (out / "build" / "libmcugen_rt.a").exists()
    for c in sb.models:
        g = c.graph
        x = sample_inputs(g.inputs, 2, seed=3)[0]
        (tmp_path / "x.bin").write_bytes(as_bytes(x))
        run([out / "build" / f"{c.project.name}_host", 2, tmp_path / "x.bin", tmp_path / "y.bin"])
        model = a.read_bytes() if c.project.name == "a" else b.read_bytes()
        ref = tflm.run(model, [x], 1)[0]
        y = np.frombuffer((tmp_path / "y.bin").read_bytes(), ref.dtype).reshape(ref.shape)
        assert (y == ref).all()
    # byte-identical from run to run
    again = api.build_shared([a, b], tmp_path / "again", board="host")
    assert again.files == sb.files


def test_two_models_one_firmware_bit_exact_and_smaller(tmp_path):
    need("arm-none-eabi-gcc", "qemu-system-arm", "make")
    a, b = _models(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["build", str(a), str(b), "--board", "cortex-m4", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "one kernel library 'mcugen_rt' for 2 models" in r.output and "shared saves" in r.output
    flash = json.loads((out / "report.json").read_text())["flash_bytes"]
    # the shared library is smaller than the two separate ones by at least the smaller model's kernels
    assert flash["shared"] < flash["separate_total"]
    assert flash["saved"] == flash["separate_total"] - flash["shared"]
    assert flash["saved"] >= 0.3 * min(flash["separate"]), flash
    run(["make", "-s", "-C", out, "MCUGEN_WERROR=1", "all"])
    board = load_board("cortex-m4")
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.c").write_text(APP)
    elf = app / "app.elf"
    run(["arm-none-eabi-gcc", *board.cflags, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-I", out,
         app / "main.c", out / "firmware" / "a_startup.c", out / "build" / "libmcugen_rt.a",
         "--specs=nano.specs", "--specs=rdimon.specs", "-Wl,--gc-sections", "-T", out / "firmware" / "a.ld",
         "-lm", "-o", elf])
    n = 3
    models = [a.read_bytes(), b.read_bytes()]
    xs = [sample_inputs(compile_bytes(m, "probe").graph.inputs, n, seed=11 + i)[0] for i, m in enumerate(models)]
    for i, x in enumerate(xs):
        (app / f"in{i}.bin").write_bytes(as_bytes(x))
    cmd = qemu_command(board, elf, ["app", str(n), "in0.bin", "in1.bin", "out0.bin", "out1.bin"])
    res = run_qemu(cmd, str(app), timeout=120)
    assert res.returncode == 0 and "app: done" in res.stdout, res.stdout + res.stderr
    for i, (m, x) in enumerate(zip(models, xs)):
        ref = tflm.run(m, [x], 1)[0]
        y = np.frombuffer((app / f"out{i}.bin").read_bytes(), ref.dtype).reshape(ref.shape)
        assert (y == ref).all(), f"model {i}"


@pytest.mark.parametrize("args, words", [
    (["--name", "x"], "--name names one model"),
    (["--runtime-name", "a"], "different from every model's prefix"),
    (["--runtime-name", "Bad-Name"], "lower-case C identifier"),
])
def test_shared_build_errors(tmp_path, args, words):
    a, b = _models(tmp_path)
    r = CliRunner().invoke(main, ["build", str(a), str(b), "-o", str(tmp_path / "o"), *args])
    assert r.exit_code == 2 and words in r.output, r.output


def test_same_prefix_twice_and_runtime_name_alone(tmp_path):
    a, _ = _models(tmp_path)
    other = tmp_path / "sub"
    other.mkdir()
    (other / "a.tflite").write_bytes(tiny_model(6))
    r = CliRunner().invoke(main, ["build", str(a), str(other / "a.tflite"), "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "same C prefix a" in r.output, r.output
    r = CliRunner().invoke(main, ["build", str(a), "--runtime-name", "rt", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "several models" in r.output, r.output
