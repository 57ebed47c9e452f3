"""Build the small Keras models of tests/fixtures/keras/*.tflite (full-integer int8).

Needs TensorFlow, which mcugen itself does not depend on: run it with the
python of a separate virtualenv, from the repository root:

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu
    /tmp/tfenv/bin/python examples/keras/make_keras_models.py [--out DIR] [--only NAME ...]

Every model is a few ordinary Keras layers with seeded random weights (no
training); biases and BatchNormalization statistics are seeded random values
too, so no bias operand is dropped and folding BatchNormalization is not the
identity. Each is converted with TFLiteConverter, a representative
dataset of seeded random samples, Optimize.DEFAULT and TFLITE_BUILTINS_INT8,
int8 input and output (float32 for float_io). The batch dimension is left
dynamic (None), as Keras models normally are, so Flatten and Reshape keep the
SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE chains real converters emit.

Dilated convolutions depend on the batch dimension: with a dynamic batch the
converter keeps SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND, whose middle
tensors really have batch 2 (Conv1D) or 4 (Conv2D) but are stored with the
placeholder batch 1 (shape_signature -1); with batch_size=1 it folds the
dilation into CONV_2D's dilation factors. conv1d_dilated and
conv2d_dilated_dynamic_batch keep the Keras default (dynamic batch);
conv2d_dilated fixes batch_size=1.

The same TensorFlow version writes the same bytes (the script checks this by
converting every model twice); the version used is printed and recorded in
tests/fixtures/keras/README.md.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
layers = keras.layers

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "keras"
SEED = 1234
REPRESENTATIVE_SAMPLES = 64
MAX_BYTES = 50 * 1024


def _fresh(seed: int) -> None:
    """Same weights on every run: Keras' and NumPy's generators reset before each model is built."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)


def _randomize_constants(model: keras.Model, seed: int) -> None:
    """Seeded nonzero biases and BatchNormalization statistics (Keras initializes them to 0 and 1).

    Zero biases would let the converter drop the bias operand, and an identity
    BatchNormalization would fold to nothing; trained models have neither.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            n = layer.gamma.shape
            layer.set_weights([rng.uniform(0.5, 1.5, n).astype(np.float32),
                               rng.uniform(-0.5, 0.5, n).astype(np.float32),
                               rng.uniform(-0.3, 0.3, n).astype(np.float32),
                               rng.uniform(0.5, 2.0, n).astype(np.float32)])
        elif getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.uniform(-0.3, 0.3, layer.bias.shape).astype(np.float32))


# ---------------------------------------------------------------- the models
def dense_flatten() -> keras.Model:
    x = keras.Input((8, 8, 1), name="input")
    y = layers.Flatten()(x)
    y = layers.Dense(16)(y)
    y = layers.ReLU()(y)
    y = layers.Dense(10)(y)
    y = layers.Softmax()(y)
    return keras.Model(x, y, name="dense_flatten")


def conv2d_bn_relu_maxpool() -> keras.Model:
    x = keras.Input((12, 12, 2), name="input")
    y = layers.Conv2D(8, 3, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    y = layers.MaxPooling2D(2)(y)
    y = layers.GlobalAveragePooling2D()(y)
    y = layers.Dense(4)(y)
    return keras.Model(x, y, name="conv2d_bn_relu_maxpool")


def depthwise_separable() -> keras.Model:
    x = keras.Input((10, 10, 3), name="input")
    y = layers.DepthwiseConv2D(3, padding="same")(x)
    y = layers.Conv2D(8, 1)(y)
    y = layers.ReLU(max_value=6.0)(y)
    y = layers.AveragePooling2D(2)(y)
    y = layers.Flatten()(y)
    y = layers.Dense(5)(y)
    return keras.Model(x, y, name="depthwise_separable")


def conv1d() -> keras.Model:
    x = keras.Input((32, 4), name="input")
    y = layers.Conv1D(8, 3, activation="relu")(x)
    y = layers.GlobalAveragePooling1D()(y)
    y = layers.Dense(3)(y)
    return keras.Model(x, y, name="conv1d")


def conv1d_dilated() -> keras.Model:
    x = keras.Input((32, 4), name="input")
    y = layers.Conv1D(8, 3, dilation_rate=2, activation="relu")(x)
    y = layers.GlobalAveragePooling1D()(y)
    y = layers.Dense(3)(y)
    return keras.Model(x, y, name="conv1d_dilated")


def conv2d_dilated(batch_size: int | None = 1, name: str = "conv2d_dilated") -> keras.Model:
    x = keras.Input((12, 12, 2), batch_size=batch_size, name="input")
    y = layers.Conv2D(6, 3, dilation_rate=2, activation="relu")(x)
    y = layers.GlobalAveragePooling2D()(y)
    y = layers.Dense(3)(y)
    return keras.Model(x, y, name=name)


def conv2d_dilated_dynamic_batch() -> keras.Model:
    return conv2d_dilated(None, "conv2d_dilated_dynamic_batch")


def residual_add() -> keras.Model:
    x = keras.Input((8, 8, 4), name="input")
    a = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    a = layers.Conv2D(4, 3, padding="same")(a)
    b = layers.Conv2D(4, 1)(x)
    y = layers.Add()([a, b])
    y = layers.ReLU()(y)
    y = layers.Concatenate()([y, x])
    y = layers.Conv2D(6, 1)(y)
    y = layers.GlobalAveragePooling2D()(y)
    y = layers.Dense(3)(y)
    return keras.Model(x, y, name="residual_add")


def activations() -> keras.Model:
    x = keras.Input((16,), name="input")
    h = layers.Dense(16)(x)
    s = layers.Activation("sigmoid")(h)
    t = layers.Activation("tanh")(h)
    hs = layers.Lambda(lambda v: v * tf.nn.relu6(v + 3.0) / 6.0, name="hard_swish")(h)
    hg = layers.Lambda(lambda v: tf.nn.relu6(v + 3.0) / 6.0, name="hard_sigmoid")(h)
    lr = layers.LeakyReLU(negative_slope=0.2)(h)
    m = layers.Multiply()([s, t])
    y = layers.Concatenate()([m, hs, hg, lr])
    y = layers.Dense(4)(y)
    return keras.Model(x, y, name="activations")


def padding_permute() -> keras.Model:
    x = keras.Input((6, 6, 3), name="input")
    y = layers.ZeroPadding2D(((1, 1), (2, 0)))(x)      # [8, 8, 3]
    y = layers.Conv2D(4, 3, padding="same")(y)          # [8, 8, 4]
    y = layers.Permute((3, 1, 2))(y)                    # [4, 8, 8]
    y = layers.Reshape((4, 64))(y)
    y = layers.Lambda(lambda v: v[:, 1:4, 3:60:2], name="slice")(y)   # [3, 29]
    y = layers.Flatten()(y)
    y = layers.Dense(5)(y)
    return keras.Model(x, y, name="padding_permute")


def float_io() -> keras.Model:
    m = dense_flatten()
    m.name = "float_io"
    return m


MODELS = {
    "dense_flatten": (dense_flatten, "int8"),
    "conv2d_bn_relu_maxpool": (conv2d_bn_relu_maxpool, "int8"),
    "depthwise_separable": (depthwise_separable, "int8"),
    "conv1d": (conv1d, "int8"),
    "conv1d_dilated": (conv1d_dilated, "int8"),
    "conv2d_dilated": (conv2d_dilated, "int8"),
    "conv2d_dilated_dynamic_batch": (conv2d_dilated_dynamic_batch, "int8"),
    "residual_add": (residual_add, "int8"),
    "activations": (activations, "int8"),
    "padding_permute": (padding_permute, "int8"),
    "float_io": (float_io, "float32"),
}
SAME_WEIGHTS_AS = {"float_io": "dense_flatten"}  # same seed: the same network, only the edges differ


# ---------------------------------------------------------------- conversion
def representative_data(shape: tuple[int, ...], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, size=(1, *shape)).astype(np.float32) for _ in range(REPRESENTATIVE_SAMPLES)]


# io_type -> (supported_ops, the input/output type); "int16" is the 16x8 scheme (int16 activations, int8 weights)
MODES = {
    "int8": ("TFLITE_BUILTINS_INT8", "int8"),
    "float32": ("TFLITE_BUILTINS_INT8", "float32"),
    "uint8": ("TFLITE_BUILTINS_INT8", "uint8"),  # int8 inside, QUANTIZE uint8 <-> int8 at the edges
    "int16": ("EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8", "int16"),
}


def quiet(fn):
    """Run fn() without Keras' export listing and the converter's notes."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def convert(model: keras.Model, io_type: str, seed: int) -> bytes:
    samples = representative_data(tuple(model.inputs[0].shape[1:]), seed)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([s] for s in samples)
    ops, edge = MODES[io_type]
    converter.target_spec.supported_ops = [getattr(tf.lite.OpsSet, ops)]
    converter.inference_input_type = getattr(tf, edge)
    converter.inference_output_type = getattr(tf, edge)
    return quiet(converter.convert)


def twice(name: str, make_bytes) -> bytes:
    """make_bytes() run twice: the bytes must not depend on anything but the seed."""
    results = [make_bytes() for _ in range(2)]
    if results[0] != results[1]:
        raise SystemExit(f"{name}: two conversions with the same seed gave different bytes")
    return results[0]


def make(name: str, models: dict = MODELS, same_weights_as: dict = SAME_WEIGHTS_AS, seed_of=None) -> bytes:
    """models[name] = (build, io_type); the seed is seed_of(the name whose weights it shares), by default
    SEED + that name's index in sorted(models)."""
    build, io_type = models[name]
    owner = same_weights_as.get(name, name)
    seed = seed_of(owner) if seed_of else SEED + sorted(models).index(owner)

    def once() -> bytes:
        _fresh(seed)
        model = build()
        _randomize_constants(model, seed)
        return convert(model, io_type, seed)
    return twice(name, once)


def main(argv: list[str] | None = None, models: dict = MODELS, make_one=make, out: Path = OUT,
         doc: str | None = None) -> int:
    ap = argparse.ArgumentParser(description=(doc or __doc__).split("\n")[0])
    ap.add_argument("--out", type=Path, default=out)
    ap.add_argument("--only", nargs="*", choices=sorted(models), default=None)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, NumPy {np.__version__}")
    for name in args.only or models:
        data = make_one(name)
        if len(data) > MAX_BYTES:
            raise SystemExit(f"{name}: {len(data)} bytes, over the {MAX_BYTES}-byte limit for a fixture")
        path = args.out / f"{name}.tflite"
        path.write_bytes(data)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(data)} bytes, "
              f"sha256 {hashlib.sha256(data).hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
