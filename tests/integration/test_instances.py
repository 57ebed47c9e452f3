"""Several instances of one model in one program (NAME_ctx_t): each has its own arena, inputs, outputs and
recurrent state. Two instances fed different inputs, interleaved, give what two separate TFLM runs give;
resetting one leaves the other's state alone; the single-instance API runs beside them on its default
instance. Built for the host with ASan and UBSan."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from mcugen.oracle import tflm
from mcugen.testing.compare import sample_inputs
from tests.ops.test_svdf import svdf_model

from .helpers import as_bytes, need, project, run, tiny_model

MAIN = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "m.h"

static uint64_t arena_a[M_ARENA_WORDS], arena_b[M_ARENA_WORDS];

static unsigned char *slurp(const char *path, size_t bytes)
{
    FILE *f = fopen(path, "rb");
    unsigned char *p = malloc(bytes);
    if (f == NULL || p == NULL || fread(p, 1, bytes, f) != bytes) exit(3);
    fclose(f);
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 7) return 2;
    long n = strtol(argv[1], NULL, 10);
    size_t ib = m_input_bytes(0), ob = m_output_bytes(0);
    unsigned char *xa = slurp(argv[2], ib * (size_t)n), *xb = slurp(argv[3], ib * (size_t)n);
    FILE *oa = fopen(argv[4], "wb"), *ob_ = fopen(argv[5], "wb"), *od = fopen(argv[6], "wb");
    m_ctx_t a, b, never;
    /* the error paths: no ctx, no arena, a misaligned arena, an instance never initialised */
    if (m_init_ctx(NULL, arena_a) != -1 || m_init_ctx(&a, NULL) != -1) return 10;
    if (m_init_ctx(&a, (unsigned char *)arena_a + 4) != -1 || m_invoke_ctx(&a) != -1) return 11;
    if (m_input_ctx(&a, 0) != NULL || m_output_ctx(NULL, 0) != NULL || m_reset_ctx(NULL) != -1) return 12;
    memset(&never, 0, sizeof never);
    if (m_invoke_ctx(&never) != -1) return 13;
    /* the arenas start as garbage: the library must not rely on zeroed memory (NOLOAD sections) */
    memset(arena_a, 0xA5, sizeof arena_a);
    memset(arena_b, 0x5A, sizeof arena_b);
    if (m_init_ctx(&a, arena_a) != 0 || m_init_ctx(&b, arena_b) != 0 || m_init(NULL) != 0) return 14;
    if (m_input_ctx(&a, 1) != NULL || m_input_ctx(&a, 0) == m_input_ctx(&b, 0)) return 15;
    for (int pass = 0; pass < 2; pass++) {
        for (long s = 0; s < n; s++) {
            /* interleaved: a, b and (first pass) the default instance, each on its own stream */
            memcpy(m_input_ctx(&a, 0), xa + ib * (size_t)s, ib);
            memcpy(m_input_ctx(&b, 0), xb + ib * (size_t)s, ib);
            if (pass == 0) memcpy(m_input(0), xb + ib * (size_t)s, ib);
            if (m_invoke_ctx(&a) != 0 || m_invoke_ctx(&b) != 0) return 4;
            if (pass == 0 && m_invoke() != 0) return 4;
            fwrite(m_output_ctx(&a, 0), 1, ob, oa);
            fwrite(m_output_ctx(&b, 0), 1, ob, ob_);
            if (pass == 0) fwrite(m_output(0), 1, ob, od);
        }
        if (pass == 0 && m_reset_ctx(&a) != 0) return 5; /* a starts again; b goes on */
    }
    fclose(oa); fclose(ob_); fclose(od);
    free(xa); free(xb);
    return 0;
}
"""

SAN = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def _run_instances(model: bytes, xa: np.ndarray, xb: np.ndarray, tmp_path):
    d = tmp_path / "m"
    c = project(model, d, name="m")
    (d / "instances.c").write_text(MAIN)
    exe = d / "instances"
    run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", *SAN, "-I", d, *sorted(d.glob("*.c")), "-o", exe])
    files = []
    for tag, x in (("a", xa), ("b", xb)):
        (d / f"in_{tag}.bin").write_bytes(as_bytes(x))
        files.append(d / f"in_{tag}.bin")
    outs = [d / f"out_{t}.bin" for t in ("a", "b", "d")]
    run([exe, len(xa), *files, *outs])
    y = c.graph.outputs[0]
    return [np.frombuffer(p.read_bytes(), dtype=y.dtype).reshape((-1, *y.shape)) for p in outs], c


@pytest.mark.parametrize("kind", ["svdf", "conv"])
def test_two_instances_equal_two_separate_runs(kind, tmp_path):
    need("cc")
    rng = np.random.default_rng(7)
    model = svdf_model(rng, 1, 6, 3, 2, 4, "int16") if kind == "svdf" else tiny_model(3)
    from mcugen.compiler import compile_bytes
    g = compile_bytes(model, "probe").graph
    n = 6
    xa = sample_inputs(g.inputs, n, seed=1)[0]
    xb = sample_inputs(g.inputs, n, seed=2)[0]
    assert (xa != xb).any()
    (ya, yb, yd), c = _run_instances(model, xa, xb, tmp_path)
    ref_a = tflm.run(model, [xa], 1)[0]                          # a: its stream, from a fresh state
    ref_b = tflm.run(model, [np.concatenate([xb, xb])], 1)[0]    # b: never reset, one stream of 2n
    assert (ya[:n] == ref_a).all() and (ya[n:] == ref_a).all()   # the reset of a restarted a only
    assert (yb == ref_b).all()
    assert (yd == ref_b[:n]).all()                               # the default instance, beside them
    if kind == "svdf":
        assert c.project.report["state"]["bytes"] > 0
        assert (ref_b[n:] != ref_b[:n]).any()  # the state matters: b's second pass differs from its first


def test_header_documents_the_instance_api(tmp_path):
    d = tmp_path / "m"
    project(tiny_model(), d, name="m")
    h = (d / "m.h").read_text()
    for decl in ("} m_ctx_t;", "int m_init_ctx(m_ctx_t *ctx, void *arena);", "int m_invoke_ctx(m_ctx_t *ctx);",
                 "void *m_input_ctx(m_ctx_t *ctx, int index);", "int m_reset_ctx(m_ctx_t *ctx);",
                 "const void *m_output_ctx(const m_ctx_t *ctx, int index);", "#define M_ARENA_WORDS",
                 "M_WEIGHTS_ATTR", "M_PARAMS_ATTR", "M_ARENA_ATTR", "M_CONFIG_HEADER"):
        assert decl in h, decl
    syms = subprocess.run(["cc", "-std=c99", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-Wshadow",
                           "-I", str(d), str(d / "m.c")], capture_output=True, text=True)
    assert syms.returncode == 0, syms.stderr
