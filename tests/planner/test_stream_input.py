"""--memory stream: the image inputs are given by rows from a callback (mcugen/passes/stream_input.py) and
become line buffers of the first row-band group. Bit-exact with TFLM on builder-made chains (host, ASan,
QEMU) and on the shared models; the API (NULL input pointer, invoke refused without a callback, rows asked in
order, each once); the arena figures; a clear error for a model without an image input."""
import math
import shutil
import subprocess

import numpy as np
import pytest

from mcugen.boards import load_board
from mcugen.codegen import write_project
from mcugen.compiler import compile_bytes, with_memory
from mcugen.testing.compare import compare_model, count_mismatches, reference_run, run_on_board, sample_inputs
from tests.conftest import have_arm_tools, shared_model
from tests.planner.test_arena_regression import TFLM
from tests.planner.test_bands import CHAINS, chain_model

# model: arena bytes with --memory stream (host plan); lower them when the planner improves, never raise them
STREAM_ARENA = {"vww_96_int8": 14592, "person_detect": 14496, "kws_ref_model": 6140, "pretrainedResnet_quant": 18400}


def _stream(board="host", force=None):
    return with_memory(load_board(board), "stream", None, force=force)


def _input_buffer(c):
    return next(b for b in c.plan.buffers if b.tensor is c.graph.inputs[0])


@pytest.mark.parametrize("case", [0, 1, 2, 12])
def test_stream_chain_bit_exact(case):
    """The input's rows step fused with the whole chain (the vww and person starts, VALID with dilation, PAD
    first), 1 and 2 rows per band: the input is a line buffer of a few rows, outputs equal TFLM's."""
    h, w, c, layers = CHAINS[case]
    model = chain_model(np.random.default_rng(700 + case), h, w, c, layers)
    for height in (1, 2):
        cmp = compare_model(model, count=3, seed=height, board=_stream(force=(0, len(layers), height)))
        g = cmp.compiled
        assert g.graph.operators[0].op == "MCU_INPUT_ROWS" and g.bands.chain.first == 0
        x = _input_buffer(g)
        assert x.size < g.graph.inputs[0].nbytes // 2, (x.size, g.graph.inputs[0].nbytes)
        assert not any(cmp.mismatches()), f"height {height}"
    if case in (0, 1) and have_arm_tools():
        board = "cortex-m4" if case == 0 else "cortex-m3"
        ours = run_on_board(model, _stream(board, force=(0, len(layers), 1)), cmp.inputs)
        assert not any(count_mismatches(ours, cmp.ref)), board


def test_stream_unfused_and_sanitized():
    """When the rows step is not fused it asks for the whole input at once (the group starts after it);
    under AddressSanitizer and UBSan."""
    h, w, c, layers = CHAINS[0]
    model = chain_model(np.random.default_rng(710), h, w, c, layers)
    cmp = compare_model(model, count=2, seed=1, board=_stream(force=(1, len(layers), 1)))
    assert _input_buffer(cmp.compiled).size == cmp.compiled.graph.inputs[0].nbytes
    assert not any(cmp.mismatches())
    cmp = compare_model(model, count=2, seed=2, board=_stream(force=(0, 3, 2)), sanitize=True)
    assert not any(cmp.mismatches())


API_TEST = r"""
#include <stdio.h>
#include <string.h>
#include "m.h"

static const uint8_t *image;
static int32_t next_row, calls, most;

static void rows(void *user, int index, int32_t first_row, int32_t count, void *dst)
{
    if (user != &next_row || index != 0 || first_row != next_row || count <= 0) {
        printf("bad call %d %ld %ld\n", index, (long)first_row, (long)count);
        return;
    }
    memcpy(dst, image + first_row * M_INPUT0_ROW_BYTES, (size_t)count * M_INPUT0_ROW_BYTES);
    next_row += count;
    calls++;
    most = count > most ? count : most;
}

int main(int argc, char **argv)
{
    static uint8_t data[M_INPUT0_BYTES];
    FILE *f = fopen(argv[1], "rb");
    if (argc != 3 || f == NULL || fread(data, 1, sizeof data, f) != sizeof data) {
        return 2;
    }
    fclose(f);
    image = data;
    if (m_init(NULL) != 0 || m_input(0) != NULL || m_input_bytes(0) != M_INPUT0_BYTES) {
        return 3;
    }
    if (m_invoke() != -1 || m_set_input_rows(NULL, NULL) != -1) {
        return 4;
    }
    m_set_input_rows(rows, &next_row);
    for (int run = 0; run < 2; run++) {
        next_row = 0;
        if (m_invoke() != 0 || next_row != M_INPUT0_ROWS) {
            return 5;
        }
    }
    printf("calls %ld most %ld\n", (long)calls, (long)most);
    f = fopen(argv[2], "wb");
    fwrite(m_output(0), 1, m_output_bytes(0), f);
    fclose(f);
    return 0;
}
"""


def test_stream_api(tmp_path):
    """The generated API on the host: m_input(0) is NULL, invoke returns -1 until a callback is set, the
    callback gets its user pointer and rows in order, each once, one band at a time; the output equals TFLM's
    (compiled with -std=c99 -Wall -Wextra -Werror, ASan and UBSan)."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no host C compiler")
    h, w, c, layers = CHAINS[0]
    model = chain_model(np.random.default_rng(720), h, w, c, layers)
    comp = compile_bytes(model, "m", board=_stream(force=(0, len(layers), 1)))
    d = tmp_path / "m"
    write_project(comp.project.files, d, force=True)
    (d / "api_test.c").write_text(API_TEST)
    lib = [str(d / f) for f in comp.project.lib_sources]
    flags = "-std=c99 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all".split()
    r = subprocess.run([cc, *flags, "-I", str(d), *lib, str(d / "api_test.c"), "-lm", "-o", str(d / "api")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    x = sample_inputs(comp.graph.inputs, 1, seed=4)
    (d / "in.bin").write_bytes(x[0].tobytes())
    r = subprocess.run([str(d / "api"), str(d / "in.bin"), str(d / "out.bin")], capture_output=True, text=True)
    assert r.returncode == 0 and "bad call" not in r.stdout, (r.returncode, r.stdout, r.stderr)
    calls, most = (int(v) for v in r.stdout.split()[1::2])
    assert calls > 2 and most < h, r.stdout  # by bands, not the whole image at once
    ref = reference_run("tflm", model, x, 1)[0]
    assert (d / "out.bin").read_bytes() == ref.tobytes()


def test_stream_needs_an_image_input(tmp_path):
    """A model without a [1, H, W, C] input cannot stream: exit 2 (bad usage), naming the inputs."""
    from click.testing import CliRunner

    from mcugen.cli import main
    from mcugen.testing.builder import OpSpec, TensorSpec, build_model
    w = np.ones((3, 8), np.int8)
    model = build_model([TensorSpec((1, 8), "int8", 0.1, 0), TensorSpec((3, 8), "int8", [0.05], [0], data=w),
                         TensorSpec((1, 3), "int8", 0.2, 1)],
                        [OpSpec("FULLY_CONNECTED", [0, 1, -1], [2])], [0], [2])
    path = tmp_path / "fc.tflite"
    path.write_bytes(model)
    r = CliRunner().invoke(main, ["build", str(path), "-o", str(tmp_path / "out"), "--memory", "stream"])
    assert r.exit_code == 2 and "--memory stream needs an int8 input of shape [1, H, W, C]" in r.output, r.output
    assert not (tmp_path / "out").exists()


@pytest.mark.models
def test_stream_arena_bounds():
    """The shared image models with --memory stream (host plan): vww_96_int8 and person_detect within
    20,000 bytes, the geomean against TFLM's arena (ad01, without an image input, at its --memory min
    figure) at most 0.25."""
    from tests.planner.test_bands_models import MIN_ARENA
    got = {}
    for model, figure in STREAM_ARENA.items():
        c = compile_bytes(shared_model(f"{model}.tflite").read_bytes(), "m", board=_stream())
        assert c.graph.operators[0].op == "MCU_INPUT_ROWS"
        assert c.plan.arena_size <= figure, f"{model}: --memory stream arena grew to {c.plan.arena_size}"
        got[model] = c.plan.arena_size
    got["ad01_int8"] = MIN_ARENA["ad01_int8"] or 768
    assert got["vww_96_int8"] <= 20000 and got["person_detect"] <= 20000
    geo = math.exp(sum(math.log(v / TFLM[m]) for m, v in got.items()) / len(got))
    assert geo <= 0.25, f"geomean {geo:.3f}"


@pytest.mark.models
def test_stream_vww_bit_exact():
    """vww_96_int8 streamed: bit-exact with TFLM on cortex-m4 under QEMU (on the host where the Arm tools are
    missing; the host path is the chains' above)."""
    from tests.planner.test_bands_models import _run
    data = shared_model("vww_96_int8.tflite").read_bytes()
    c = compile_bytes(data, "m", board=_stream("cortex-m4" if have_arm_tools() else "host"))
    assert c.bands.chain.first == 0 and c.graph.operators[0].op == "MCU_INPUT_ROWS"
    xs = sample_inputs(c.graph.inputs, 2, seed=9)
    assert not any(count_mismatches(_run(c, xs), reference_run("tflm", data, xs, 1)))
