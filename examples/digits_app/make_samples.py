"""Write digit_samples.h: the first N held-out digits of the digits_cnn fixture as C arrays, quantized with
the compiled model's input scale and zero point, with their labels.

    python3 make_samples.py MODEL.tflite SAMPLES.npy LABELS.npy OUT.h [--count N]
"""
from __future__ import annotations

import argparse

import numpy as np

from mcugen.frontend.tflite_reader import read_model
from mcugen.quant import type_range


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("samples")
    ap.add_argument("labels")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=10)
    a = ap.parse_args()
    t = read_model(a.model).inputs[0]
    lo, hi = type_range(t.dtype)
    x = np.load(a.samples)[:a.count].astype(np.float64)
    y = np.load(a.labels)[:a.count]
    q = np.clip(np.round(x / float(t.quant.s)) + t.quant.zp, lo, hi).astype(np.int64).reshape(len(x), -1)
    ctype = {"int8": "int8_t", "int16": "int16_t"}[t.dtype]
    rows = []
    for s in range(len(q)):
        rows.append("    { " + ", ".join(str(v) for v in q[s]) + " },")
    text = "\n".join([
        "/* digit_samples.h - written by make_samples.py: held-out digits quantized for the model's input. */",
        "#ifndef DIGIT_SAMPLES_H", "#define DIGIT_SAMPLES_H", "#include <stdint.h>",
        f"#define DIGIT_SAMPLES {len(q)}", f"#define DIGIT_SAMPLE_VALUES {q.shape[1]}",
        f"static const {ctype} digit_samples[DIGIT_SAMPLES][DIGIT_SAMPLE_VALUES] = {{", *rows, "};",
        "static const int digit_labels[DIGIT_SAMPLES] = { " + ", ".join(str(int(v)) for v in y) + " };",
        "#endif", ""])
    with open(a.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
