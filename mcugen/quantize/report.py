"""The quantization report: where precision is lost, layer by layer.

Per layer (each operator's output tensor): the range the calibrator chose and which calibrator (for auto,
the one it picked), the quantization actually written (after ties and fixed output scales), the fraction
of calibration values that quantization clips, and the SQNR (dB) of the layer's output against the float
model on the evaluation samples (held back from calibration, or given with --eval). At the model output:
SQNR and top-1 agreement with the float model, and with --labels the float and quantized accuracy. The
worst layers are named. Written as Markdown and JSON;
no timings, so the files are reproducible.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..quant import type_range

WORST = 3


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    ref, got = np.asarray(ref, np.float64).ravel(), np.asarray(got, np.float64).ravel()
    noise = ((ref - got) ** 2).sum()
    power = (ref ** 2).sum()
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(max(power, 1e-30) / noise))


def _dequant(y: np.ndarray, t) -> np.ndarray:
    if t.dtype == "float32" or t.quant is None:
        return y.astype(np.float64)
    return (y.astype(np.float64) - t.quant.zp) * t.quant.s


def quantize_inputs(qgraph, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The evaluation samples in the quantized model's input types."""
    out = []
    for t, x in zip(qgraph.inputs, arrays):
        if t.dtype == "float32":
            out.append(np.asarray(x, np.float32))
        else:
            lo, hi = type_range(t.dtype)
            out.append(np.clip(np.round(x / t.quant.s) + t.quant.zp, lo, hi).astype(t.dtype))
    return out


def measure(float_graph, float_model: bytes, qmodel: bytes, qgraph, eval_arrays: list[np.ndarray],
            chosen: dict[int, tuple[float, float]], method_of: dict[int, str], stats: dict, eval_note: str,
            settings: dict, labels: np.ndarray | None = None) -> dict:
    """The report as a dict (see the module docstring). chosen/method_of/stats: by float tensor index.
    labels: class indices of the evaluation samples (accuracy of the float and the quantized model, first
    output)."""
    from ..oracle import litert, tflm
    from ..testing.probe import probe_model
    layers = [(op, op.outputs[0]) for op in float_graph.operators
              if op.outputs and op.outputs[0].dtype == "float32"]
    names = [t.name for _, t in layers]
    fref = litert.run(probe_model(float_model, only=names), eval_arrays)
    qby = {t.name: t for t in qgraph.tensors}
    got = tflm.run(probe_model(qmodel, only=names), quantize_inputs(qgraph, eval_arrays), len(names))
    rows = []
    for (op, t), r, y in zip(layers, fref, got):
        qt = qby[t.name]
        src = qt if qt.quant is not None else next(
            (o.inputs[0] for o in qgraph.operators if o.op == "DEQUANTIZE" and o.outputs[0] is qt), None)
        q = None if src is None else src.quant
        row = {"node": op.index, "op": op.op, "tensor": t.name, "method": method_of.get(t.index, "-"),
               "range": list(chosen.get(t.index, (float("nan"),) * 2))}
        if q is not None:
            lo, hi = type_range(src.dtype)  # mixed activations: each tensor's own type
            row["scale"], row["zero_point"] = q.s, q.zp
            row["quantized_range"] = [q.s * (lo - q.zp), q.s * (hi - q.zp)]
            st = stats.get(t.index)
            if st is not None:
                from .ranges import clipped_fraction
                row["clipped"] = clipped_fraction(st, *row["quantized_range"])
        row["sqnr_db"] = sqnr_db(r, _dequant(y, qt).reshape(r.shape))
        rows.append(row)
    # model outputs
    fo = litert.run(float_model, eval_arrays)
    qo = tflm.run(qmodel, quantize_inputs(qgraph, eval_arrays), len(qgraph.outputs))
    outs = []
    for t, r, y in zip(qgraph.outputs, fo, qo):
        yd = _dequant(y, t).reshape(r.shape)
        o = {"tensor": t.name, "sqnr_db": sqnr_db(r, yd)}
        n = r.shape[0]
        if r.size // n > 1:
            o["top1_agreement"] = float((r.reshape(n, -1).argmax(1) == yd.reshape(n, -1).argmax(1)).mean())
            if labels is not None and not outs:
                o["float_accuracy"] = float((r.reshape(n, -1).argmax(1) == labels).mean())
                o["accuracy"] = float((yd.reshape(n, -1).argmax(1) == labels).mean())
        outs.append(o)
    finite = [r for r in rows if np.isfinite(r["sqnr_db"])]
    worst = sorted(finite, key=lambda r: r["sqnr_db"])[:WORST]
    return {"settings": settings, "evaluation": eval_note, "layers": rows, "outputs": outs,
            "worst_layers": [{"node": r["node"], "op": r["op"], "tensor": r["tensor"], "sqnr_db": r["sqnr_db"]}
                             for r in worst]}


def _f(x, fmt="{:.2f}"):
    if x is None:
        return "-"
    if isinstance(x, float) and not np.isfinite(x):
        return "inf" if x > 0 else "nan"
    return fmt.format(x)


def markdown(rep: dict) -> str:
    s = rep["settings"]
    lines = [f"# Quantization report: {s.get('model', '')}", "",
             f"Settings: {s['activations']} activations, method {s['method']}"
             + (f" (percentile {s['percentile']})" if s["method"] in ("percentile", "auto") else "")
             + f", {'per-tensor' if s['per_tensor'] else 'per-channel'} weights, {s['io']} I/O, bias correction "
             f"{'on' if s['bias_correction'] else 'off'}; {s['calibration_samples']} calibration samples.",
             f"Evaluation: {rep['evaluation']}.", "", "## Model output", "",
             "| output | SQNR (dB) | top-1 agreement | accuracy (float -> quantized) |", "|---|---:|---:|---:|"]
    for o in rep["outputs"]:
        acc = (f"{o['float_accuracy']:.3f} -> {o['accuracy']:.3f}" if "accuracy" in o else "-")
        lines.append(f"| {o['tensor']} | {_f(o['sqnr_db'])} | {_f(o.get('top1_agreement'), '{:.3f}')} | {acc} |")
    if rep.get("activation_precision"):
        lines += [""] + activation_markdown(rep["activation_precision"])
    if rep.get("precision"):
        lines += [""] + precision_markdown(rep["precision"])
    lines += ["", "## Worst layers", ""]
    for r in rep["worst_layers"]:
        lines.append(f"- node {r['node']} {r['op']} `{r['tensor']}`: {_f(r['sqnr_db'])} dB")
    lines += ["", "## Layers", "",
              "| node | op | tensor | method | range chosen | quantized range | clipped | SQNR (dB) |",
              "|---:|---|---|---|---|---|---:|---:|"]
    for r in rep["layers"]:
        rng = "[{:.4g}, {:.4g}]".format(*r["range"]) if np.all(np.isfinite(r["range"])) else "-"
        qr = "[{:.4g}, {:.4g}]".format(*r["quantized_range"]) if "quantized_range" in r else "-"
        clip = _f(r.get("clipped") * 100, "{:.3f}%") if r.get("clipped") is not None else "-"
        lines.append(f"| {r['node']} | {r['op']} | `{r['tensor']}` | {r['method']} | {rng} | {qr} | {clip} | "
                     f"{_f(r['sqnr_db'])} |")
    return "\n".join(lines) + "\n"


def activation_markdown(p: dict) -> list[str]:
    """The '--activations mixed' section: each group's measured benefit in int16, its bytes, its choice."""
    lim = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in p["limits"].items() if v is not None) or "none"
    out = ["## Activation type per group of nodes (--activations mixed)", "",
           f"Limits: {lim}. Benefit measured on {p['samples']} calibration samples ({p['tflm_runs']} TFLM runs, "
           f"{p['seconds']['sensitivity']:.2f} s; choice {p['seconds']['search']:.2f} s).", "",
           "| nodes | operators | SQNR with this group int16 (dB) | gain (dB) | extra bytes | choice |",
           "|---|---|---:|---:|---:|---|"]
    for r in p["groups"]:
        out.append(f"| {', '.join(map(str, r['nodes']))} | {', '.join(r['ops'])} | {_f(r['sqnr_db'])} | "
                   f"{_f(r['benefit_db'])} | {r['extra_bytes']:,} | {r['choice']} |")
    ar = (f"; arena {p['arena_bytes']:,} bytes (all-int8 {p['int8_arena_bytes']:,})"
          if p.get("arena_bytes") is not None else "")
    out += ["", f"Totals: int16 nodes {p['int16_nodes']}; output SQNR on those samples {_f(p['sqnr_db'])} dB "
            f"(all-int8 {_f(p['int8_sqnr_db'])}){ar}."]
    return out


def precision_markdown(p: dict) -> list[str]:
    """The '--weights mixed' section: each layer's choice and cost, the totals against the limits."""
    lim = p["limits"]
    given = ", ".join(f"{k.replace('_', '-')} {v:,}" if isinstance(v, int) else f"{k.replace('_', '-')} {v}"
                      for k, v in lim.items() if v is not None) or "none"
    out = ["## Weight precision per layer (--weights mixed)", "",
           f"Limits: {given}. Choice: {p['why']}. Sensitivity measured on {p['samples']} calibration samples "
           f"({p['tflm_runs']} TFLM runs, {p['seconds']['sensitivity']:.2f} s); search {p['seconds']['search']:.4f} s; "
           f"check {p['seconds']['check']:.2f} s" + (f", {p['backoff']} layers moved back to int8 to meet the SQNR"
                                                     if p["backoff"] else "") + ".", ""]
    out += [f"- {n}" for n in p.get("notes", [])]
    out += ["", "| node | op | weights | values | int8 bytes | int4 bytes | SQNR with this layer int4 (dB) | "
            "cost (dB) | choice |", "|---:|---|---|---:|---:|---:|---:|---:|---|"]
    for L in p["layers"]:
        out.append(f"| {L['node']} | {L['op']} | `{L['tensor']}` | {L['values']:,} | {L['int8_bytes']:,} | "
                   f"{L['int4_bytes']:,} | {_f(L['sqnr_db'])} | {_f(L['cost_db'])} | {L['choice']} |")
    fl = f" (limit {lim['max_flash']:,})" if lim.get("max_flash") is not None else ""
    out += ["", f"Totals: weights and biases {p['weight_bytes']:,} bytes{fl}, all-int8 {p['int8_weight_bytes']:,} "
            f"({p['weight_bytes'] / max(p['int8_weight_bytes'], 1):.1%}); output SQNR on those samples "
            f"{_f(p['sqnr_db'])} dB (predicted {_f(p['predicted_sqnr_db'])}, all-int8 {_f(p['int8_sqnr_db'])})"
            + (f", limit {lim['min_sqnr']:g} dB" if lim.get("min_sqnr") is not None else "") + "."]
    if "arena_bytes" in p:
        out.append(f"Arena {p['arena_bytes']:,} bytes" + (f" (limit {lim['max_ram']:,})" if lim.get("max_ram") else "")
                   + (f"; library {p['flash_bytes']:,} bytes of flash, {p['ram_bytes']:,} of RAM on {lim['board']}"
                      if "flash_bytes" in p else "") + ".")
    return out


def write(rep: dict, model_path: str | Path) -> tuple[Path, Path]:
    """The report beside the model: <model>.quantization.md and <model>.quantization.json."""
    p = Path(model_path)
    md, js = p.with_suffix(".quantization.md"), p.with_suffix(".quantization.json")
    md.write_text(markdown(rep))

    def clean(x):
        if isinstance(x, float) and not np.isfinite(x):
            return None if np.isnan(x) else ("inf" if x > 0 else "-inf")
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if isinstance(x, np.generic):
            return clean(x.item())
        return x
    js.write_text(json.dumps(clean(rep), indent=1) + "\n")
    return md, js
