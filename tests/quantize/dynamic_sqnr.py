"""Measure `mcugen quantize --mode dynamic|weight-only` on the shared float models (not a test; a report):

    MCUGEN_MODELS_DIR=/work/shared/models python3 -m tests.quantize.dynamic_sqnr [samples]

For ad01 and kws: the output SQNR against the float model (LiteRT's reference kernels, realistic.py data,
seed 123) of mcugen's dynamic model, of the converter-made dynamic model (models/dynamic/, the same Keras
models) and of mcugen's weight-only model, each run in LiteRT and in mcugen's generated code (host), and
the largest difference between mcugen's code and LiteRT as a fraction of the output range."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from mcugen.oracle import litert
from mcugen.quantize.dynamic import quantize_dynamic
from mcugen.testing.compare import compare_model, float_error
from tests.quantize import realistic

MODELS = Path(os.environ.get("MCUGEN_MODELS_DIR", Path(__file__).resolve().parents[3] / "shared" / "models"))


def sqnr(out, ref):
    out, ref = out.astype(np.float64), ref.astype(np.float64)
    return 10 * np.log10((ref ** 2).sum() / max(((out - ref) ** 2).sum(), 1e-300))


def main(n: int = 50) -> None:
    cases = [("ad01_fp32", "ad01_dynamic", realistic.ad01), ("kws_ref_model_float", "kws_ref_model_dynamic", realistic.kws)]
    with tempfile.TemporaryDirectory() as tmp:
        for m, conv, data in cases:
            xs = [data(n, 123)]
            fl = (MODELS / "float" / f"{m}.tflite").read_bytes()
            ref = litert.run(fl, xs, 1)[0]
            models = [("mcugen dynamic", quantize_dynamic(fl, "dynamic").model),
                      ("converter dynamic", (MODELS / "dynamic" / f"{conv}.tflite").read_bytes()),
                      ("mcugen weight-only", quantize_dynamic(fl, "weight-only").model)]
            for label, b in models:
                lr = litert.run(b, xs, 1)[0]
                cmp = compare_model(b, inputs=xs, oracle="litert", workdir=Path(tmp))
                e = float_error(cmp.ours[0], cmp.ref[0])
                print(f"{m:20s} {label:19s} SQNR vs float: LiteRT {sqnr(lr, ref):6.2f} dB, mcugen {sqnr(cmp.ours[0], ref):6.2f} dB;"
                      f" mcugen vs LiteRT max abs {e.max_abs:.3g} = {e.max_abs / e.range:.3g} x range ({n} samples)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
