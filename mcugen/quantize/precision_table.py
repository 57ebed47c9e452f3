"""The int8 / int4 / mixed-precision table for BENCHMARKS.md (`mcugen quantize --weights int4|mixed`).

    python -m mcugen.quantize.precision_table --models-dir ../shared/models --out FILE [--models a,b] [--no-bench]

Each float model is quantized three ways with the same calibration samples and ranges (minmax, per-channel):
all-int8 weights, all-int4 weights (every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED) and
`--weights mixed --max-flash 60%` (the weights and biases within 60 % of the all-int8 model's). Each runs in
the TFLM interpreter on held-out samples against the float model (LiteRT): output SQNR, top-1 agreement with
float, accuracy against the labels where there are labels; instructions per inference on cortex-m4 from
`mcugen bench` (exact counts under QEMU). Data: the labelled fixtures of tests/fixtures/quant (real digits and
photo patches: calibration / evaluation splits as committed) and the MLPerf float models of models/float/ on
the seeded synthetic data of tests/quantize/realistic.py (calibration seed 1, evaluation seed 2), and
kws_ref_model_float again on the labelled synthesised speech of tests/fixtures/speech. The mixed search's own
time is printed per model.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ("digits_cnn", "digits_mlp", "digits_conv1d", "photo_mbnet")
# kws_ref_model_float on labelled synthesised speech (tests/fixtures/speech, examples/speech/make_kws_speech.py)
SPEECH = {"kws_ref_model_float (speech)": "kws_speech"}
# (calibration, evaluation samples): enough held-out samples that one point of top-1 agreement is more than
# one sample (kws: 1,024; vww: 128, its TFLM runs are the slow part)
FLOAT_MODELS = {"ad01_fp32": (64, 64), "kws_ref_model_float": (256, 1024), "vww_96_float": (16, 128),
                "hello_world_float": (64, 64)}
# top-1 agreement means something
CLASSIFIERS = frozenset({*FIXTURES, *SPEECH, "kws_ref_model_float", "vww_96_float"})
# (label, quantize options, bench it): the defaults (no bias correction) of each
VARIANTS = (("int8", {}, True), ("int4", {"weights": "int4"}, True),
            ("mixed 60%", {"weights": "mixed", "max_flash": "60%"}, True))


def _data(name: str, models_dir: Path):
    """(float model path, calibration, evaluation, labels or None)."""
    if name in FIXTURES:
        f = ROOT / "tests" / "fixtures" / "quant"
        return (f / f"{name}_float.tflite", np.load(f / f"{name}_calib.npy"), np.load(f / f"{name}_eval.npy"),
                np.load(f / f"{name}_eval_labels.npy"))
    if name in SPEECH:
        f, stem = ROOT / "tests" / "fixtures" / "speech", SPEECH[name]
        return (Path(models_dir) / "float" / "kws_ref_model_float.tflite",
                np.load(f / f"{stem}_calib.npy").astype(np.float32),  # stored as float16
                np.load(f / f"{stem}_eval.npy").astype(np.float32), np.load(f / f"{stem}_eval_labels.npy"))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.quantize.realistic import DATA
    ncal, nev = FLOAT_MODELS[name]
    return Path(models_dir) / "float" / f"{name}.tflite", DATA[name](ncal, 1), DATA[name](nev, 2), None


def measure(name: str, models_dir: Path, bench: bool = True, log=None) -> list[dict]:
    from ..errors import McugenError
    from . import quantize
    path, cal, ev, labels = _data(name, models_dir)
    rows = []
    for label, kw, timed in VARIANTS:
        t0 = time.perf_counter()
        try:
            r = quantize(path, cal, eval_samples=ev, labels=labels, report=True, **kw)
        except McugenError as e:
            rows.append({"model": name, "variant": label, "error": str(e).splitlines()[0]})
            if log:
                log(f"{name} {label}: {rows[-1]['error']}")
            continue
        o = r.report["outputs"][0]
        from .mixed import weight_bytes
        row = {"model": name, "variant": label, "weight_bytes": weight_bytes(r.graph), "sqnr_db": o["sqnr_db"],
               "agreement": o.get("top1_agreement") if name in CLASSIFIERS else None, "accuracy": o.get("accuracy"),
               "float_accuracy": o.get("float_accuracy"), "int4_layers": len(r.int4_layers),
               "seconds": round(time.perf_counter() - t0, 1)}
        if r.precision is not None:
            row["search_seconds"] = r.precision["seconds"]
        if bench and timed:
            from ..api import bench as _bench
            with tempfile.TemporaryDirectory(prefix="mcugen-prec-") as tmp:
                p = Path(tmp) / f"{name}_{label.split()[0]}.tflite"
                p.write_bytes(r.model)
                row["instructions"] = int(_bench(str(p), board="cortex-m4")["instructions"])
        rows.append(row)
        if log:
            log(f"{name} {label}: {row}")
    return rows


def table(models_dir: Path, models=None, bench: bool = True, log=None) -> str:
    models = models or [*FIXTURES, *FLOAT_MODELS, *SPEECH]
    lines = ["## Int4 weights and mixed precision (`mcugen quantize --weights int4|mixed`)", "",
             "Each float model quantized with the same calibration samples and minmax ranges, per-channel weights: "
             "all-int8 weights, all-int4 weights (GPTQ rounding in sequence on the calibration data: "
             "`mcugen/quantize/int4.py`), "
             "and `--weights mixed --max-flash 60%` (int4 per layer by measured sensitivity, the weights and biases "
             "within 60 % of the all-int8 model's: `mcugen/quantize/mixed.py`). Run in the TFLM interpreter on the "
             "held-out samples against the float model (LiteRT). Fixtures (`tests/fixtures/quant`): real digits and "
             "photo patches with labels; MLPerf float models: seeded synthetic data (`tests/quantize/realistic.py`); "
             "`kws_ref_model_float (speech)`: the same kws model on labelled words spoken by a speech synthesiser "
             "(`tests/fixtures/speech`, made by `examples/speech/make_kws_speech.py`: 256 calibration, 2,048 "
             "evaluation samples). "
             "Instructions: `mcugen bench --board cortex-m4` (exact counts under QEMU).", "",
             "| model | weights | weight + bias bytes | vs int8 | SQNR vs float (dB) | top-1 agreement | accuracy "
             "(float) | int4 layers | cortex-m4 instructions | mixed search: sensitivity + search (s) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in models:
        rows = measure(name, models_dir, bench, log)
        base = next((r["weight_bytes"] for r in rows if r["variant"] == "int8" and "weight_bytes" in r), None)
        for r in rows:
            if "error" in r:
                lines.append(f"| {name} | {r['variant']} | - | - | - | - | - | - | - | {r['error']} |")
                continue
            rel = f"{r['weight_bytes'] / base:.0%}" if base else "-"
            agree = f"{r['agreement']:.3f}" if r["agreement"] is not None else "-"
            acc = f"{r['accuracy']:.3f} ({r['float_accuracy']:.3f})" if r["accuracy"] is not None else "-"
            ins = f"{r['instructions']:,}" if "instructions" in r else "-"
            srch = (f"{r['search_seconds']['sensitivity']:.1f} + {r['search_seconds']['search']:.3f}"
                    if "search_seconds" in r else "-")
            lines.append(f"| {name} | {r['variant']} | {r['weight_bytes']:,} | {rel} | {r['sqnr_db']:.1f} | {agree} | "
                         f"{acc} | {r['int4_layers']} | {ins} | {srch} |")
    lines += ["", "Reproduce: `python -m mcugen.quantize.precision_table --models-dir ../shared/models --out FILE`.", ""]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m mcugen.quantize.precision_table", description=__doc__.splitlines()[0])
    ap.add_argument("--models-dir", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--models", default=None, help="comma-separated subset")
    ap.add_argument("--no-bench", action="store_true", help="leave out the cortex-m4 instruction counts")
    a = ap.parse_args(argv)
    log = lambda m: print(f"precision_table: {m}", file=sys.stderr, flush=True)  # noqa: E731
    text = table(a.models_dir, a.models.split(",") if a.models else None, not a.no_bench, log)
    a.out.write_text("<!-- generated: python -m mcugen.quantize.precision_table --models-dir ../shared/models "
                     f"--out {a.out.name}; the BENCHMARKS.md section -->\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
