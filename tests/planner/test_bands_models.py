"""--memory min on the shared models: the arena bound per model (host plan), bit-exact with TFLM on the models
whose early layers get fused (host, and person_detect on cortex-m4 under QEMU), and the default plan unchanged.

The figures are the arenas `--memory min` plans today; lower them when the band planner improves, never
raise them to make a change pass. vww_96_int8 cannot go below its own input (96x96x3 = 27,648 bytes, in
the arena during the first layer) plus the line buffers of the chain."""
import math

import pytest

from mcugen.boards import load_board
from mcugen.compiler import compile_model, with_memory
from mcugen.testing.compare import compare_model, count_mismatches, run_on_board
from tests.conftest import have_arm_tools, shared_model
from tests.planner.test_arena_regression import ARENA, TFLM

# model: arena bytes with --memory min (host), None where no chain lowers the arena (today's figure holds)
MIN_ARENA = {
    "hello_world_int8": None, "ad01_int8": None, "micro_speech_quantized": None,
    "str_ww_ref_model": None, "pretrainedResnet_quant": 18624, "kws_ref_model": 6468,
    "person_detect": 18816, "vww_96_int8": 31740,
}
GEOMEAN = ("kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8", "person_detect")


def _min(board="host"):
    return with_memory(load_board(board), "min")


@pytest.mark.models
def test_min_arena_bounds():
    got = {}
    for model, figure in MIN_ARENA.items():
        c = compile_model(shared_model(f"{model}.tflite"), board=_min())
        assert c.bands.baseline.arena_size <= ARENA[model][0]
        limit = figure if figure is not None else ARENA[model][0]
        assert c.plan.arena_size <= limit, f"{model}: --memory min arena grew to {c.plan.arena_size} (was {limit})"
        assert (c.bands.chain is not None) == (figure is not None), model
        got[model] = c.plan.arena_size
    geo = math.exp(sum(math.log(got[m] / TFLM[m]) for m in GEOMEAN) / len(GEOMEAN))
    assert geo <= 0.28, f"geomean against TFLM's arena {geo:.3f}"
    assert got["person_detect"] <= 20000


# the tensor each model's check reads (the end of its fused group, where a random input still gives varied
# values: kws's softmax saturates on random inputs), None: the model's own outputs
PROBE = {"kws_ref_model": "average_pooling2d", "person_detect": None, "vww_96_int8": None,
         "pretrainedResnet_quant": "add_1/add"}


@pytest.mark.models
@pytest.mark.parametrize("model", sorted(PROBE))
def test_min_bit_exact(model):
    data = shared_model(f"{model}.tflite").read_bytes()
    if PROBE[model]:
        from mcugen.frontend import read_model_bytes
        from mcugen.testing.probe import probe_model
        name = next(t.name for t in read_model_bytes(data, "m.tflite").tensors if PROBE[model] in t.name.lower())
        data = probe_model(data, only=[name])
    cmp = compare_model(data, count=2, seed=3, board=_min())
    assert cmp.compiled.bands.chain is not None
    assert not any(cmp.mismatches()), [int(m) for m in cmp.mismatches()]
    if model in ("person_detect", "kws_ref_model") and have_arm_tools():
        ours = run_on_board(data, _min("cortex-m4"), cmp.inputs)
        assert not any(count_mismatches(ours, cmp.ref))
