"""mcugen.benchmarks_md renders BENCHMARKS.md from bench results: the per-core tables against each core's
TFLM + CMSIS-NN figure with issue 14's target, and the per-layer tables with the instruction mix (fake
results here: the QEMU runs themselves are tested in tests/firmware/test_bench.py)."""
from mcugen import benchmarks_md as bm


def _result(instructions, macs=1000, mix=True):
    layer = {"step": 0, "op": "CONV_2D", "inputs": ["1x8x8x3"], "outputs": ["1x8x8x4"], "macs": macs,
             "instructions": instructions - 7, "instructions_per_mac": (instructions - 7) / macs}
    r = {"instructions": instructions, "macs": macs, "instructions_per_mac": instructions / macs,
         "flash_bytes": 5000, "ram_bytes": 900, "arena_bytes": 512, "qemu_machine": "mps2-an386",
         "probe_instructions_per_mark": 3, "invoke_glue_instructions": 7, "weights_bytes": 100,
         "kernel_code_bytes": 200, "layers": [layer]}
    if mix:
        layer["mix"] = {"load": 10, "store": 5, "mac": 500, "vector": 0, "branch": 3,
                        "other": instructions - 7 - 518}
        r["mix"] = {**layer["mix"], "other": layer["mix"]["other"] + 7}
    return r


def test_per_core_tables_and_mix_columns():
    results = {s: _result(int(bm.REFERENCE[s] * 0.5)) for s in bm.REFERENCE}
    cores = {"cortex-m4": {"kws_ref_model": _result(3_000_000)},
             "cortex-m55": {"kws_ref_model": _result(1_500_000)}}
    text = bm.render(results, cores=cores)
    assert "## The seven int8 models per core" in text and "### cortex-m55" in text
    row = next(line for line in text.splitlines() if line.startswith("| kws_ref_model | 1,000 | 1,500,000"))
    assert "| 1,813,686 | 0.83x | not met |" in row  # m55: target 0.8x
    row = next(line for line in text.splitlines() if line.startswith("| kws_ref_model | 1,000 | 3,000,000"))
    assert "| 7,697,898 | 0.39x | met |" in row      # m4: target 0.45x
    assert "<details><summary>kws_ref_model on cortex-m55: per layer</summary>" in text
    assert "| step | op | input -> output | MACs | instructions | instructions / MAC | share | load | store | mac |" \
           " vector | branch | other |" in text
    assert "Instructions are not cycles" in text


def test_layer_table_without_mix():
    lines = bm._layer_table(_result(2000, mix=False))
    assert lines[0].endswith("| share |") and len(lines) == 3


def test_cortex_m0_section_beside_cortex_m3_and_what_does_not_fit():
    results = {s: _result(int(bm.REFERENCE[s] * 0.5)) for s in bm.REFERENCE}
    cores = {"cortex-m3": {"kws_ref_model": _result(2_000_000)}}
    m0 = {"kws_ref_model": _result(5_000_000), "vww_96_int8": "ram: 21,332 bytes too many (the board has 16,384)"}
    text = bm.render(results, cores=cores, m0=m0)
    assert "### cortex-m0" in text
    row = next(line for line in text.splitlines() if line.startswith("| kws_ref_model | 1,000 | 5,000,000"))
    assert "| 5000.00 | 2,000,000 | 2.50x |" in row
    assert "| vww_96_int8 | - | does not fit: ram: 21,332 bytes too many (the board has 16,384) |" in text
    assert "<details><summary>kws_ref_model on cortex-m0: per layer</summary>" in text
    assert "### cortex-m0" not in bm.render(results, cores=cores)
