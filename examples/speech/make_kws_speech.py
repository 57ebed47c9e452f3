"""Labelled keyword-spotting features for kws_ref_model_float: spoken words from a speech synthesiser.

    python examples/speech/make_kws_speech.py [--out tests/fixtures/speech]     # needs espeak-ng; ~30 s

No speech data ships offline, so the words are spoken by eSpeak NG (Debian package `espeak-ng`): the ten
keywords of MLPerf Tiny's KWS model, 25 other words for its "unknown" class and coloured noise for "silence",
in 8 English accents x 16 voice variants, speaking rate 140-219 words a minute, pitch 20-79, each placed at a
random point of a one-second clip, scaled, with a noise floor 40-80 dB under the word. The features follow
the MLPerf Tiny KWS training pipeline (its `get_dataset.py`, `feature_type mfcc`): the clip divided by its
maximum, 30 ms Hann windows every 20 ms (49 frames), |512-point FFT|, 40 mel bands (HTK mel, 20-4000 Hz, the
triangles of `tf.signal.linear_to_mel_weight_matrix`), log(mel + 1e-6), DCT-II scaled by 1/sqrt(80) as
`tf.signal.mfccs_from_log_mel_spectrograms`, the first 10 coefficients. (An all-zero clip gives -123.6 for
coefficient 0: the lower end of the int8 model's input range.) Class order as the model's outputs: down, go,
left, no, off, on, right, stop, up, yes, silence, unknown; samples cycle through the classes (balanced).

Writes kws_speech_calib.npy (256 samples, seed 1), kws_speech_eval.npy (2,048 samples, seed 2; float16,
shape (n, 49, 10, 1)), kws_speech_eval_labels.npy (int64) and manifest.json (versions, float accuracy).
Same espeak-ng version, same files.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

RATE = 16000
KEYWORDS = ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes")
CLASSES = (*KEYWORDS, "silence", "unknown")
OTHER_WORDS = ("bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow", "zero", "one",
               "two", "three", "four", "five", "six", "seven", "eight", "nine", "learn", "follow", "forward",
               "visual", "backward")
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd")
VARIANTS = ("", "+m1", "+m2", "+m3", "+m4", "+m5", "+m6", "+m7", "+f1", "+f2", "+f3", "+f4", "+f5", "+klatt",
            "+klatt2", "+klatt3")
FRAMES, WINDOW, STEP, NFFT, MELS, COEFFS = 49, 480, 320, 512, 40, 10


def _hz_to_mel(f):
    return 1127.0 * np.log1p(np.asarray(f, np.float64) / 700.0)


def mel_weights(lo: float = 20.0, hi: float = 4000.0) -> np.ndarray:
    """(NFFT//2+1, MELS) triangles in mel space; the DC bin takes no weight."""
    mel = _hz_to_mel(np.linspace(0, RATE / 2, NFFT // 2 + 1)[1:])[:, None]
    edges = np.linspace(_hz_to_mel(lo), _hz_to_mel(hi), MELS + 2)
    left, centre, right = edges[:-2], edges[1:-1], edges[2:]
    tri = np.maximum(0.0, np.minimum((mel - left) / (centre - left), (right - mel) / (right - centre)))
    return np.vstack([np.zeros((1, MELS)), tri])


MEL = mel_weights()
HANN = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)  # periodic
DCT = (2.0 * np.cos(np.pi * np.arange(COEFFS)[None, :] * (2 * np.arange(MELS)[:, None] + 1) / (2 * MELS))
       / np.sqrt(2.0 * MELS))


def mfcc(clip: np.ndarray) -> np.ndarray:
    """(FRAMES, COEFFS) features of a one-second clip (RATE samples)."""
    x = clip / np.max(clip)
    frames = x[np.arange(FRAMES)[:, None] * STEP + np.arange(WINDOW)[None, :]] * HANN
    return (np.log(np.abs(np.fft.rfft(frames, NFFT)) @ MEL + 1e-6) @ DCT).astype(np.float32)


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    """To RATE by truncating (or padding) the spectrum of the zero-padded clip."""
    if rate == RATE:
        return x
    pad = len(x) // 4
    y = np.concatenate([np.zeros(pad), x, np.zeros(pad)])
    n = int(round(len(y) * RATE / rate))
    spec = np.fft.rfft(y)
    keep = min(len(spec), n // 2 + 1)
    out = np.fft.irfft(spec[:keep], n) * (n / len(y))
    cut = int(round(pad * RATE / rate))
    return out[cut:n - cut]


def speak(word: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", f.name, word],
                       check=True, capture_output=True)
        with wave.open(f.name) as w:
            rate = w.getframerate()
            x = np.frombuffer(w.readframes(w.getnframes()), np.int16) / 32768.0
    return _resample(x, rate)


def _noise(rng, n: int, beta: float) -> np.ndarray:
    """Unit-RMS noise with a 1/f^beta power spectrum (0 white, 1 pink, 2 brown)."""
    f = np.fft.rfftfreq(n)
    f[0] = f[1]
    x = np.fft.irfft((rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size)) / f ** (beta / 2), n)
    return x / np.sqrt(np.mean(x ** 2))


def plan(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    items = []
    for i in range(n):
        cls = i % len(CLASSES)
        word = (KEYWORDS[cls] if cls < len(KEYWORDS) else
                None if CLASSES[cls] == "silence" else OTHER_WORDS[rng.integers(len(OTHER_WORDS))])
        items.append(dict(label=cls, word=word,
                          voice=ACCENTS[rng.integers(len(ACCENTS))] + VARIANTS[rng.integers(len(VARIANTS))],
                          speed=int(rng.integers(140, 220)), pitch=int(rng.integers(20, 80)),
                          gain=float(rng.uniform(0.3, 1.0)), place=float(rng.uniform(0, 1)),
                          beta=float(rng.choice([0.0, 1.0, 2.0])), noise_db=float(rng.uniform(-80, -40)),
                          silence_db=float(rng.uniform(-50, -10)), noise_seed=int(rng.integers(1 << 30))))
    return items


def render(item: dict) -> np.ndarray:
    rng = np.random.default_rng(item["noise_seed"])
    if item["word"] is None:
        return mfcc(_noise(rng, RATE, item["beta"]) * 10 ** (item["silence_db"] / 20))
    clip = np.zeros(RATE)
    x = speak(item["word"], item["voice"], item["speed"], item["pitch"])
    loud = np.nonzero(np.abs(x) > 0.01)[0]
    x = x[loud[0]:loud[-1] + 1][:RATE - 1000]  # the spoken part, at most 0.94 s
    at = int(item["place"] * (RATE - len(x)))
    clip[at:at + len(x)] = x * item["gain"]
    return mfcc(clip + _noise(rng, RATE, item["beta"]) * 10 ** (item["noise_db"] / 20))


def make(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    items = plan(n, seed)
    with ThreadPoolExecutor(4) as ex:
        feats = list(ex.map(render, items))
    return (np.stack(feats).reshape(n, FRAMES, COEFFS, 1).astype(np.float16),
            np.array([i["label"] for i in items], np.int64))


def float_accuracy(model: Path, x: np.ndarray, labels: np.ndarray) -> float:
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(str(model))
    it.allocate_tensors()
    i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    hits = 0
    for s, lab in zip(x, labels):
        it.set_tensor(i, s.reshape(1, FRAMES, COEFFS, 1).astype(np.float32))
        it.invoke()
        hits += int(np.argmax(it.get_tensor(o)[0]) == lab)
    return hits / len(labels)


def main(argv=None) -> int:
    root = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=root / "tests" / "fixtures" / "speech")
    ap.add_argument("--model", type=Path, default=root.parent / "shared" / "models" / "float" /
                    "kws_ref_model_float.tflite", help="for the float accuracy in manifest.json")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    cal, _ = make(256, 1)
    ev, labels = make(2048, 2)
    np.save(a.out / "kws_speech_calib.npy", cal)
    np.save(a.out / "kws_speech_eval.npy", ev)
    np.save(a.out / "kws_speech_eval_labels.npy", labels)
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.split("Data")[0]
    manifest = {"espeak_ng": version.strip(), "numpy": np.__version__, "python": sys.version.split()[0],
                "classes": list(CLASSES), "calib": len(cal), "eval": len(ev),
                "float_eval_accuracy": round(float_accuracy(a.model, ev, labels), 4) if a.model.exists() else None}
    (a.out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(json.dumps(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
