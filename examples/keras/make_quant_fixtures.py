"""Train the small Keras models of tests/fixtures/quant/ and convert each three ways (float, int8, 16x8).

Needs TensorFlow, scikit-learn and scikit-image, which mcugen does not depend on: run it with the python of
a separate virtualenv, from the repository root:

    /tmp/tfenv/bin/pip install tensorflow-cpu scikit-learn scikit-image
    /tmp/tfenv/bin/python examples/keras/make_quant_fixtures.py [--out DIR] [--only NAME ...]

Real, offline data only:
- digits (sklearn.datasets.load_digits: 1797 8x8 handwritten digits, values 0..16, scaled to 0..1): a
  shuffled (seeded) split into training samples, CALIB calibration samples and EVAL held-out samples;
- photo patches (skimage.data: six photos): 16x16 RGB patches (0..1), the label is the photo a patch comes
  from; training patches from the left 60 % of each photo, calibration and evaluation patches from the right
  40 % (disjoint pixels).

Models (batch fixed at 1, so Flatten is a plain RESHAPE; only operators mcugen quantizes):
- digits_cnn: Conv2D 3x3 / MaxPool / Conv2D 3x3 / MaxPool / Flatten / Dense / Dense / Softmax;
- digits_mlp: Dense 64 / Dense 32 / Dense 10 / Softmax on the 64 flattened pixels;
- photo_mbnet: a small MobileNet-like net: Conv2D 3x3 s2 / DepthwiseConv2D 3x3 / Conv2D 1x1 / DepthwiseConv2D
  3x3 s2 / Conv2D 1x1 (ReLU6 throughout) / AveragePooling2D / Flatten / Dense / Softmax;
- digits_conv1d: Conv1D over the 8 rows of a digit (8 steps x 8 features) / Conv1D / Flatten / Dense / Softmax.

Per model NAME, written into the output folder:
- NAME_float.tflite: the converter's float32 model (no optimization);
- NAME_calib.npy (CALIB samples), NAME_eval.npy + NAME_eval_labels.npy (EVAL held-out samples, int64 labels);
- NAME_tflite_int8.tflite: converter int8 (Optimize.DEFAULT, representative dataset = NAME_calib in order,
  TFLITE_BUILTINS_INT8, int8 input and output);
- NAME_tflite_16x8.tflite: converter 16x8 (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8, int16
  input and output), same representative dataset.
Training is seeded (keras.utils.set_random_seed, deterministic ops); the script prints each model's float
accuracy on NAME_eval and writes manifest.json (versions, accuracies, sizes).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
layers = keras.layers

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "quant"
SEED = 2026
CALIB = 160
EVAL = {"digits": 500, "photo": 300}
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field")
PATCH = 16


def _fresh(seed: int) -> None:
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # noqa: BLE001 (older TF)
        pass


def digits_data(shape):
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(SEED).permutation(len(y))
    x, y = x[perm].reshape((-1, *shape)), y[perm]
    ne = EVAL["digits"]
    ev, cal, tr = slice(0, ne), slice(ne, ne + CALIB), slice(ne + CALIB, None)
    return (x[tr], y[tr]), (x[cal], y[cal]), (x[ev], y[ev])


def _patches(img: np.ndarray, n: int, rng, x0: int, x1: int) -> np.ndarray:
    h = img.shape[0]
    ys = rng.integers(0, h - PATCH + 1, n)
    xs = rng.integers(x0, x1 - PATCH + 1, n)
    return np.stack([img[a:a + PATCH, b:b + PATCH] for a, b in zip(ys, xs)])


def photo_data():
    import skimage.data as sd
    rng = np.random.default_rng(SEED)
    tr_x, tr_y, te_x, te_y = [], [], [], []
    n_train, n_test = 1500, (CALIB + EVAL["photo"]) // len(PHOTOS) + 1
    for k, name in enumerate(PHOTOS):
        img = getattr(sd, name)()[..., :3].astype(np.float32) / 255.0
        cut = int(img.shape[1] * 0.6)
        tr_x.append(_patches(img, n_train, rng, 0, cut))
        te_x.append(_patches(img, n_test, rng, cut, img.shape[1]))
        tr_y += [k] * n_train
        te_y += [k] * n_test
    tr_x, tr_y = np.concatenate(tr_x), np.asarray(tr_y, np.int64)
    te_x, te_y = np.concatenate(te_x), np.asarray(te_y, np.int64)
    p = rng.permutation(len(tr_y))
    tr_x, tr_y = tr_x[p], tr_y[p]
    p = rng.permutation(len(te_y))
    te_x, te_y = te_x[p], te_y[p]
    ne = EVAL["photo"]
    return (tr_x, tr_y), (te_x[ne:ne + CALIB], te_y[ne:ne + CALIB]), (te_x[:ne], te_y[:ne])


def digits_cnn(batch=None):
    inp = keras.Input((8, 8, 1), batch_size=batch)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dense(10)(x)
    return keras.Model(inp, layers.Softmax()(x)), (8, 8, 1), "digits", 40


def digits_mlp(batch=None):
    inp = keras.Input((64,), batch_size=batch)
    x = layers.Dense(64, activation="relu")(inp)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dense(10)(x)
    return keras.Model(inp, layers.Softmax()(x)), (64,), "digits", 60


def photo_mbnet(batch=None):
    inp = keras.Input((PATCH, PATCH, 3), batch_size=batch)
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu6")(inp)
    x = layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    x = layers.Conv2D(32, 1, activation="relu6")(x)
    x = layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
    x = layers.Conv2D(48, 1, activation="relu6")(x)
    x = layers.AveragePooling2D(4)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(len(PHOTOS))(x)
    return keras.Model(inp, layers.Softmax()(x)), (PATCH, PATCH, 3), "photo", 30


def digits_conv1d(batch=None):
    inp = keras.Input((8, 8), batch_size=batch)
    x = layers.Conv1D(24, 3, padding="same", activation="relu")(inp)
    x = layers.Conv1D(24, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(10)(x)
    return keras.Model(inp, layers.Softmax()(x)), (8, 8), "digits", 60


MODELS = {"digits_cnn": digits_cnn, "digits_mlp": digits_mlp, "photo_mbnet": photo_mbnet,
          "digits_conv1d": digits_conv1d}


def convert(model, calib: np.ndarray | None, mode: str) -> bytes:
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode != "float":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = lambda: ([s[None].astype(np.float32)] for s in calib)
        if mode == "int8":
            c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            c.inference_input_type = c.inference_output_type = tf.int8
        else:
            c.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            c.inference_input_type = c.inference_output_type = tf.int16
    return c.convert()


def ops_of(data: bytes) -> list[str]:
    ip = tf.lite.Interpreter(model_content=data)
    return sorted({d["op_name"] for d in ip._get_ops_details()})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--only", nargs="*", default=None)
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    import sklearn
    import skimage
    manifest_path = a.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["versions"] = {"tensorflow": tf.__version__, "numpy": np.__version__,
                            "scikit-learn": sklearn.__version__, "scikit-image": skimage.__version__,
                            "python": sys.version.split()[0]}
    models = manifest.setdefault("models", {})
    for name, build in MODELS.items():
        if a.only and name not in a.only:
            continue
        _fresh(SEED)
        model, shape, data, epochs = build(None)
        (xt, yt), (xc, yc), (xe, ye) = digits_data(shape) if data == "digits" else photo_data()
        model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(xt, yt, batch_size=32, epochs=epochs, verbose=0, shuffle=True)
        w = model.get_weights()  # trained at a dynamic batch; the converted twin has batch 1
        m1 = build(1)[0]
        m1.set_weights(w)
        prob = np.concatenate([m1(xe[i:i + 1], training=False).numpy() for i in range(len(xe))])
        acc = float((prob.argmax(1) == ye).mean())
        files = {}
        for mode, suffix in (("float", "float"), ("int8", "tflite_int8"), ("16x8", "tflite_16x8")):
            b = convert(m1, xc, mode)
            (a.out / f"{name}_{suffix}.tflite").write_bytes(b)
            files[suffix] = {"bytes": len(b), "ops": ops_of(b)}
        np.save(a.out / f"{name}_calib.npy", xc.astype(np.float32))
        np.save(a.out / f"{name}_eval.npy", xe.astype(np.float32))
        np.save(a.out / f"{name}_eval_labels.npy", ye.astype(np.int64))
        models[name] = {"input": list(shape), "train": int(len(yt)), "calib": int(len(yc)), "eval": int(len(ye)),
                        "epochs": epochs, "keras_eval_accuracy": round(acc, 4), "files": files}
        print(f"{name}: {len(yt)} train, {len(yc)} calib, {len(ye)} eval; Keras accuracy {acc:.3f}; "
              f"ops {files['float']['ops']}", flush=True)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
