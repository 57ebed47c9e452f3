"""The quantization accuracy table for BENCHMARKS.md: each float model x calibrator x activation type.

    python -m mcugen.quantize.benchmark --models-dir ../shared/models --out FILE [--models a,b] [--methods ...]

Data: the seeded synthetic samples of tests/quantize/realistic.py in each model's real input range
(calibration seed 1, evaluation seed 2; the counts below). The quantized model runs in the TFLM interpreter
with integer I/O; its dequantized output is compared with the float model's (LiteRT reference kernels):
output SQNR in dB and, for the classifiers, top-1 agreement. Writes a Markdown section (no timings).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

# model: (calibration samples, evaluation samples, classifier)
MODELS = {
    "hello_world_float": (64, 64, False),
    "ad01_fp32": (64, 64, False),
    "kws_ref_model_float": (64, 64, True),
    "vww_96_float": (16, 12, True),
}
METHODS = ("minmax", "percentile", "entropy", "mse", "auto")
ACTIVATIONS = ("int8", "int16")


def _data():
    root = Path(__file__).resolve().parents[2]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from tests.quantize.realistic import DATA
    return DATA


def evaluate(path: Path, name: str, method: str, activations: str, bias_correction: bool = False):
    """(output SQNR dB, top-1 agreement or None) of `name` quantized with `method`/`activations`."""
    from ..oracle import litert, tflm
    from . import quantize
    from .report import quantize_inputs, sqnr_db
    ncal, nev, classifier = MODELS[name]
    gen = _data()[name]
    cal, ev = gen(ncal, 1), gen(nev, 2)
    r = quantize(path, cal, method=method, activations=activations, eval_samples=ev, report=False,
                 bias_correction=bias_correction)
    ref = litert.run(path.read_bytes(), [ev])[0]
    t = r.graph.outputs[0]
    y = tflm.run(r.model, quantize_inputs(r.graph, [ev]), 1)[0]
    y = ((y.astype(np.float64) - t.quant.zp) * t.quant.s).reshape(ref.shape)
    agree = float((ref.reshape(nev, -1).argmax(1) == y.reshape(nev, -1).argmax(1)).mean()) if classifier else None
    return sqnr_db(ref, y), agree


def table(models_dir: Path, models=None, methods=METHODS, activations=ACTIVATIONS, log=None) -> str:
    models = models or list(MODELS)
    lines = ["## Quantization accuracy (`mcugen quantize`)", "",
             "Float models of `models/float/` quantized by `mcugen quantize` (per-channel weights, integer I/O), "
             "run in the TFLM interpreter and compared with the float model (LiteRT reference kernels) on seeded "
             "synthetic data in each model's real input range (`tests/quantize/realistic.py`: calibration seed 1, "
             "evaluation seed 2). Cells: output SQNR in dB, and top-1 agreement with the float model for the "
             "classifiers.", "",
             "| model | samples (cal/eval) | activations | " + " | ".join(methods) + " |",
             "|---|---|---|" + "---:|" * len(methods)]
    for name in models:
        ncal, nev, _ = MODELS[name]
        path = Path(models_dir) / "float" / f"{name}.tflite"
        for act in activations:
            cells = []
            for m in methods:
                s, a = evaluate(path, name, m, act)
                cells.append(f"{s:.1f}" + (f" / {a:.3f}" if a is not None else ""))
                if log:
                    log(f"{name} {act} {m}: {cells[-1]}")
            lines.append(f"| {name} | {ncal}/{nev} | {act} | " + " | ".join(cells) + " |")
    lines += ["", "Reproduce: `python -m mcugen.quantize.benchmark --models-dir ../shared/models --out FILE`.", ""]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models-dir", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--models", default=None, help="comma-separated subset of " + ", ".join(MODELS))
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--activations", default=",".join(ACTIVATIONS))
    a = ap.parse_args(argv)
    text = table(a.models_dir, a.models.split(",") if a.models else None, a.methods.split(","),
                 a.activations.split(","), log=lambda s: print(s, file=sys.stderr, flush=True))
    a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
