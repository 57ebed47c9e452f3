"""The labelled speech fixture of kws_ref_model_float (tests/fixtures/speech, examples/speech/make_kws_speech.py).

Its features follow MLPerf Tiny's KWS front end, so the float model recognises the synthesised words (71.8 %
of 2,048 held-out samples, 12 balanced classes; chance is 8.3 %), and mcugen's int8 quantization keeps that
accuracy. Measured (256 calibration samples, the first 512 evaluation samples): int8 output SQNR 24.15 dB, top-1
agreement with float 0.979, accuracy 0.691 (float 0.686). The int4 and mixed-precision figures on the whole set
are in BENCHMARKS.md (`python -m mcugen.quantize.precision_table`)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from mcugen.oracle import litert
from mcugen.quantize import quantize
from tests.conftest import shared_model

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "speech"


def front_end():
    path = ROOT / "examples" / "speech" / "make_kws_speech.py"
    spec = importlib.util.spec_from_file_location("make_kws_speech", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_front_end_silence_and_a_tone():
    fe = front_end()
    clip = np.zeros(fe.RATE)
    clip[-1] = 1.0  # the maximum sits outside every frame: all 49 frames are silent
    f = fe.mfcc(clip)
    assert f.shape == (49, 10)
    # log(1e-6) in all 40 bands: coefficient 0 is 2 * 40 * ln(1e-6) / sqrt(80), the others vanish
    assert np.allclose(f[:, 0], 80 * np.log(1e-6) / np.sqrt(80), atol=1e-3) and np.abs(f[:, 1:]).max() < 1e-3
    assert abs(f[0, 0] - (-123.57)) < 0.01  # the lower end of the int8 model's input range
    t = np.arange(fe.RATE) / fe.RATE
    spec = np.abs(np.fft.rfft(np.sin(2 * np.pi * 1000 * t)[:480] * fe.HANN, 512))
    band = int(np.argmax(spec @ fe.MEL))
    edges = np.linspace(fe._hz_to_mel(20.0), fe._hz_to_mel(4000.0), 42)
    assert edges[band] < fe._hz_to_mel(1000.0) < edges[band + 2]  # the band whose triangle holds 1 kHz
    x = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    y = fe._resample(x, 22050)
    assert abs(len(y) - 16000) <= 1  # espeak-ng's 22,050 Hz to 16 kHz: the same tone, the same level
    mid = y[2000:14000]
    assert abs(np.argmax(np.abs(np.fft.rfft(mid))) * 16000 / len(mid) - 440) < 2
    assert abs(np.sqrt(np.mean(mid ** 2)) - np.sqrt(0.5)) < 0.01


def test_fixture_is_balanced_and_the_float_model_recognises_it():
    man = json.loads((FIX / "manifest.json").read_text())
    cal, ev = np.load(FIX / "kws_speech_calib.npy"), np.load(FIX / "kws_speech_eval.npy")
    labels = np.load(FIX / "kws_speech_eval_labels.npy")
    assert cal.shape == (256, 49, 10, 1) and ev.shape == (2048, 49, 10, 1) and labels.shape == (2048,)
    assert np.bincount(labels).tolist() == [171] * 8 + [170] * 4 and len(man["classes"]) == 12
    assert ev.min() >= -123.6 and ev.max() < 30.0  # within the int8 model's input range (-123.6 .. 26)
    model = shared_model("float/kws_ref_model_float.tflite").read_bytes()
    y = litert.run(model, [ev.astype(np.float32).reshape(-1, 1, 49, 10, 1)], 1)[0].reshape(2048, 12)
    acc = float((y.argmax(1) == labels).mean())
    assert abs(acc - man["float_eval_accuracy"]) <= 2 / 2048, (acc, man["float_eval_accuracy"])
    per_class = [float((y.argmax(1)[labels == c] == c).mean()) for c in range(12)]
    assert min(per_class) > 0.25, per_class  # every class well above chance (8.3 %)


def test_int8_quantization_keeps_the_accuracy():
    cal = np.load(FIX / "kws_speech_calib.npy").astype(np.float32)
    ev = np.load(FIX / "kws_speech_eval.npy").astype(np.float32)[:512]
    labels = np.load(FIX / "kws_speech_eval_labels.npy")[:512]
    r = quantize(shared_model("float/kws_ref_model_float.tflite"), cal, eval_samples=ev, labels=labels,
                 report=True)
    o = r.report["outputs"][0]
    print(f"kws speech int8: {o['sqnr_db']:.2f} dB, agreement {o['top1_agreement']:.3f}, "
          f"accuracy {o['accuracy']:.3f} (float {o['float_accuracy']:.3f})")
    assert o["sqnr_db"] > 23.0 and o["top1_agreement"] >= 0.96
    assert o["accuracy"] >= o["float_accuracy"] - 0.015
