"""`mcugen quantize` side by side with the TFLite converter, on real models and real data (issue 11).

    python -m mcugen.quantize.compare_converter [--fixtures tests/fixtures/quant] [--models-dir ../shared/models]
                                                [--out FILE] [--json FILE] [--only NAME ...]

Table 1, the fixtures of tests/fixtures/quant (examples/keras/make_quant_fixtures.py): each Keras model was
trained on real data and converted by the TFLite converter to float32, int8 and 16x8 with NAME_calib as the
representative dataset. mcugen quantizes NAME_float.tflite (no TensorFlow) from the same NAME_calib samples,
with each calibrator (and variants: bias correction, 16x8). Every quantized model, mcugen's and the
converter's, runs in the TFLM interpreter on NAME_eval; the float model runs in LiteRT's reference kernels
(child process). Per model and method: output SQNR against the float model (dB, over all eval outputs),
top-1 agreement with the float model, accuracy against NAME_eval_labels.

Table 2, the shared MLPerf Tiny float models (models/float/) against their converter-made int8 / 16x8 twins
(models/kws_ref_model.tflite, vww_96_int8.tflite, ad01_int8.tflite, int16x8/): those were calibrated by
MLPerf on its own data, which is not available here; mcugen calibrates on the seeded synthetic data of
tests/quantize/realistic.py (in each model's real input range) and both are evaluated on that data's
evaluation split. No labels: SQNR and agreement only.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "quant"
FIXTURE_MODELS = ("digits_cnn", "digits_mlp", "digits_conv1d", "photo_mbnet")

# (label, activations, method, bias correction: None = the default, auto decides)
VARIANTS = (
    ("minmax", "int8", "minmax", False),
    ("percentile", "int8", "percentile", False),
    ("entropy", "int8", "entropy", False),
    ("mse", "int8", "mse", False),
    ("auto", "int8", "auto", None),
    ("minmax+bc", "int8", "minmax", True),
    ("16x8 minmax", "int16", "minmax", False),
    ("16x8 auto", "int16", "auto", None),
)
CONVERTER = ("tflite int8", "tflite 16x8")

# the shared MLPerf models: float name, converter int8 twin, converter 16x8 twin, (cal, eval) samples, classifier
SHARED = {
    "kws_ref_model_float": ("kws_ref_model.tflite", "int16x8/kws_ref_model_int16x8.tflite", (64, 64), True),
    "ad01_fp32": ("ad01_int8.tflite", "int16x8/ad01_int16x8.tflite", (64, 64), False),
    "vww_96_float": ("vww_96_int8.tflite", "int16x8/vww_96_int16x8.tflite", (16, 12), True),
}


@dataclass
class Score:
    sqnr: float  # dB, quantized model output vs float model output
    agreement: float | None  # top-1 agreement with the float model
    accuracy: float | None  # top-1 accuracy vs labels
    extra: dict = field(default_factory=dict)

    def cell(self) -> str:
        parts = [f"{self.sqnr:.1f}"]
        if self.agreement is not None:
            parts.append(f"{self.agreement:.3f}")
        if self.accuracy is not None:
            parts.append(f"{self.accuracy:.3f}")
        return " / ".join(parts)


def _shaped(arrays: list[np.ndarray], graph) -> list[np.ndarray]:
    from .calibration import check
    return check([np.asarray(a, np.float32) for a in arrays], graph.inputs, ["samples"] * len(arrays))


def run_int(model: bytes, ev: list[np.ndarray]) -> np.ndarray:
    """Dequantized first output of an integer (or float-I/O) model run in TFLM on float samples ev."""
    from ..frontend import read_model_bytes
    from ..oracle import tflm
    from .report import _dequant, quantize_inputs
    g = read_model_bytes(model, "<model>")
    xs = quantize_inputs(g, _shaped(ev, g))
    y = tflm.run(model, xs, 1)[0]
    return _dequant(y, g.outputs[0])


def run_float(model: bytes, ev: list[np.ndarray]) -> np.ndarray:
    from ..frontend import read_model_bytes
    from ..oracle import litert
    g = read_model_bytes(model, "<model>")
    return litert.run(model, _shaped(ev, g), 1)[0].astype(np.float64)


def score(ref: np.ndarray, y: np.ndarray, labels: np.ndarray | None, classifier: bool = True) -> Score:
    from .report import sqnr_db
    n = ref.shape[0]
    y = y.reshape(ref.shape)
    agree = float((ref.reshape(n, -1).argmax(1) == y.reshape(n, -1).argmax(1)).mean()) if classifier else None
    acc = float((y.reshape(n, -1).argmax(1) == labels).mean()) if labels is not None else None
    return Score(sqnr_db(ref, y), agree, acc)


def mcugen_model(float_model, cal: list[np.ndarray], activations: str, method: str, bias_correction) -> bytes:
    from . import quantize
    return quantize(float_model, cal, method=method, activations=activations, bias_correction=bias_correction,
                    report=False).model


def _samples(arrays: list[np.ndarray]):
    """The (N, ...) arrays as an iterable of per-sample lists (what quantize() takes)."""
    return [[a[i] for a in arrays] for i in range(arrays[0].shape[0])]


def load_fixture(name: str, fixtures: Path = FIXTURES):
    d = Path(fixtures)
    return dict(float=(d / f"{name}_float.tflite").read_bytes(),
                cal=np.load(d / f"{name}_calib.npy"), ev=np.load(d / f"{name}_eval.npy"),
                labels=np.load(d / f"{name}_eval_labels.npy"),
                **{c: (d / f"{name}_tflite_{s}.tflite").read_bytes() for c, s in zip(CONVERTER, ("int8", "16x8"))})


def compare_fixture(name: str, fixtures: Path = FIXTURES, variants=VARIANTS, log=None) -> dict[str, Score]:
    """Scores of the float model, the converter's models and mcugen's variants on fixture `name`."""
    f = load_fixture(name, fixtures)
    ref = run_float(f["float"], [f["ev"]])
    out = {"float": score(ref, ref, f["labels"])}
    for c in CONVERTER:
        out[c] = score(ref, run_int(f[c], [f["ev"]]), f["labels"])
        if log:
            log(f"{name} {c}: {out[c].cell()}")
    for label, act, method, bc in variants:
        m = mcugen_model(f["float"], _samples([f["cal"]]), act, method, bc)
        out[label] = score(ref, run_int(m, [f["ev"]]), f["labels"])
        out[label].extra["model"] = m
        if log:
            log(f"{name} {label}: {out[label].cell()}")
    return out


NOT_A_TWIN = 0.1  # relative weight difference above which a converter model is not the float model's twin


def weight_difference(float_model: bytes, quant_model: bytes) -> float:
    """||W_q - W|| / ||W|| of the first CONV_2D / FULLY_CONNECTED (dequantized weights vs the float ones): about
    0.005-0.03 for a quantization of the same weights; kws_ref_model.tflite (MLPerf's int8 file) gives 1.37,
    a different training run than the float SavedModel."""
    from ..frontend import read_model_bytes

    def first(data):
        g = read_model_bytes(data, "<model>")
        op = next(o for o in g.operators if o.op in ("CONV_2D", "FULLY_CONNECTED"))
        t = op.inputs[1]
        d = t.data.astype(np.float64)
        if t.quant is not None:
            sc = t.quant.scale.astype(np.float64)
            d = d * (sc.reshape([-1] + [1] * (d.ndim - 1)) if sc.size > 1 else sc[0])
        return d
    a, b = first(float_model), first(quant_model)
    if a.shape != b.shape:
        return float("inf")
    return float(np.linalg.norm(b - a) / max(np.linalg.norm(a), 1e-30))


def compare_shared(name: str, models_dir: Path, variants=VARIANTS, log=None) -> dict[str, Score]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.quantize.realistic import DATA
    int8_name, s16_name, (ncal, nev), classifier = SHARED[name]
    models_dir = Path(models_dir)
    fm = (models_dir / "float" / f"{name}.tflite").read_bytes()
    gen = DATA[name]
    cal, ev = gen(ncal, 1), gen(nev, 2)
    ref = run_float(fm, [ev])
    out = {}
    for c, fname in zip(CONVERTER, (int8_name, s16_name)):
        p = models_dir / fname
        if p.exists():
            out[c] = score(ref, run_int(p.read_bytes(), [ev]), None, classifier)
            out[c].extra["weight_difference"] = weight_difference(fm, p.read_bytes())
            if log:
                log(f"{name} {c}: {out[c].cell()}")
    for label, act, method, bc in variants:
        m = mcugen_model(fm, _samples([cal]), act, method, bc)
        out[label] = score(ref, run_int(m, [ev]), None, classifier)
        if log:
            log(f"{name} {label}: {out[label].cell()}")
    return out


def _cell(s: Score) -> str:
    return s.cell() + (" ‡" if s.extra.get("weight_difference", 0.0) > NOT_A_TWIN else "")


def _row(name, scores, cols):
    return f"| {name} | " + " | ".join(_cell(scores[c]) if c in scores else "-" for c in cols) + " |"


def auto_gain(results: dict[str, dict[str, Score]]) -> float:
    """Mean over models of (mcugen auto SQNR - converter int8 SQNR), dB."""
    return float(np.mean([r["auto"].sqnr - r["tflite int8"].sqnr for r in results.values()]))


def markdown(fixture_results: dict[str, dict[str, Score]], shared_results: dict[str, dict[str, Score]] | None,
             command: str) -> str:
    cols8 = ["tflite int8"] + [v[0] for v in VARIANTS if v[1] == "int8"]
    cols16 = ["tflite 16x8"] + [v[0] for v in VARIANTS if v[1] == "int16"]
    lines = ["## Quantization accuracy: `mcugen quantize` vs the TFLite converter", "",
             "Small Keras models trained on real data (`tests/fixtures/quant/`: scikit-learn's digits, patches of "
             "scikit-image's photos), converted by the TFLite converter (TensorFlow 2.21) to float32, int8 and "
             "16x8 with the calibration samples as representative dataset; `mcugen quantize` quantizes the float "
             "`.tflite` (no TensorFlow) from the same calibration samples (per-channel weights, integer I/O). All "
             "quantized models run in the TFLM interpreter on the held-out samples; the reference is the float "
             "model in LiteRT. Cells: output SQNR vs float (dB) / top-1 agreement with float / accuracy vs labels. "
             "`minmax+bc`: `--method minmax --bias-correction`; `auto` searches ranges per tensor and decides bias correction itself (`mcugen/quantize/auto.py`).", ""]
    for title, cols in (("int8", cols8), ("16x8 (int16 activations)", cols16)):
        lines += [f"{title}:", "", "| model | float accuracy | " + " | ".join(cols) + " |",
                  "|---|---:|" + "---:|" * len(cols)]
        for name, r in fixture_results.items():
            lines.append(f"| {name} | {r['float'].accuracy:.3f} | "
                         + " | ".join(r[c].cell() if c in r else "-" for c in cols) + " |")
        lines.append("")
    g = auto_gain(fixture_results)
    lines += [f"Mean output SQNR gain of `--method auto` over the converter's int8: **{g:+.2f} dB** "
              f"(per model: " + ", ".join(f"{n} {r['auto'].sqnr - r['tflite int8'].sqnr:+.1f}"
                                          for n, r in fixture_results.items()) + ").", ""]
    if shared_results:
        lines += ["MLPerf Tiny float models (`models/float/`) against their converter-made int8 and 16x8 twins. "
                  "**The calibration data differ**: the converter's twins were calibrated by MLPerf on its own "
                  "data (not available here); mcugen calibrates on the seeded synthetic data of "
                  "`tests/quantize/realistic.py` in each model's real input range, and both are evaluated on that "
                  "data's evaluation split (no labels). Cells: output SQNR (dB) / top-1 agreement with float.", "",
                  "| model | " + " | ".join(cols8 + cols16) + " |", "|---|" + "---:|" * len(cols8 + cols16)]
        for name, r in shared_results.items():
            lines.append(_row(name, r, cols8 + cols16))
        lines.append("")
        if any(s.extra.get("weight_difference", 0.0) > NOT_A_TWIN for r in shared_results.values()
               for s in r.values()):
            lines += ["‡ Not the float model's twin: its dequantized weights differ from the float model's by more "
                      f"than {NOT_A_TWIN:.0%} (MLPerf's `kws_ref_model.tflite` comes from another training run than "
                      "the float SavedModel; the 16x8 twin, made from that SavedModel, matches it): the figure "
                      "measures that difference, not quantization.", ""]
    lines += [f"Reproduce: `{command}`.", ""]
    return "\n".join(lines)


def to_json(results: dict[str, dict[str, Score]]) -> dict:
    return {n: {k: {"sqnr_db": s.sqnr, "agreement": s.agreement, "accuracy": s.accuracy} for k, s in r.items()}
            for n, r in results.items()}


COMMAND = "python -m mcugen.quantize.compare_converter --models-dir ../shared/models --out FILE"


def run_all(fixtures: Path = FIXTURES, models_dir: Path | None = None, only=None, log=None):
    fx = {n: compare_fixture(n, fixtures, log=log) for n in FIXTURE_MODELS if not only or n in only}
    sh = ({n: compare_shared(n, models_dir, log=log) for n in SHARED if not only or n in only}
          if models_dir is not None else None)
    return fx, sh


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", type=Path, default=FIXTURES)
    ap.add_argument("--models-dir", type=Path, default=None, help="the shared models folder (second table)")
    ap.add_argument("--out", type=Path, default=None, help="write the Markdown section here")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--only", nargs="*", default=None)
    a = ap.parse_args(argv)
    fx, sh = run_all(a.fixtures, a.models_dir, a.only, log=lambda s: print(s, file=sys.stderr, flush=True))
    text = markdown(fx, sh, COMMAND)
    if a.out:
        a.out.write_text(text)
    if a.json:
        a.json.write_text(json.dumps({"fixtures": to_json(fx), "shared": to_json(sh or {})}, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
