"""Build the LSTM fixtures of tests/fixtures/keras/ (issue 10): return_sequences True and False, two stacked
LSTMs, and a Conv1D front end before an LSTM.

Same method as make_keras_models.py (seeded random weights and biases, a
representative dataset of 64 seeded samples, every model converted twice to
check the bytes), each model written full-integer int8 (`<name>_int8.tflite`).
No 16x8 versions: the converter refuses them ("Quantization to 16x8-bit not
yet supported for op: 'UNIDIRECTIONAL_SEQUENCE_LSTM'", TensorFlow 2.21; the
16x8 kernel is tested with builder-made models in tests/ops/test_lstm.py).
Inputs have batch_size=1 (a fixed batch lets the converter emit the fused
UNIDIRECTIONAL_SEQUENCE_LSTM).

The models are built with tf-keras (Keras 2, TF_USE_LEGACY_KERAS=1): Keras 3's
LSTM converts to a WHILE loop, not to the fused operator, and its int8
conversion crashed the converter (TensorFlow 2.21). From the repository root,
with TensorFlow and tf-keras of the same version in a virtualenv of their own:

    /tmp/tfenv/bin/pip install --target /tmp/tfk --no-deps "tf-keras~=2.21.0"   # if tf-keras is missing
    PYTHONPATH=/tmp/tfk /tmp/tfenv/bin/python examples/keras/make_lstm_models.py [--out DIR] [--only NAME ...]
"""
from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf.keras is tf-keras (Keras 2): its LSTM converts to the fused operator

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_keras_models as base  # noqa: E402
from make_keras_models import keras, layers  # noqa: E402

if not hasattr(keras, "__version__"):  # tf-keras' tf.keras module has none; base.main prints it
    import tf_keras  # noqa: E402
    keras.__version__ = tf_keras.__version__

SEED = 1010
STEPS, FEATURES = 10, 8


def lstm_sequences() -> keras.Model:
    """One LSTM returning every step (return_sequences=True), then a per-step Dense."""
    x = keras.Input((STEPS, FEATURES), batch_size=1, name="input")
    y = layers.LSTM(12, return_sequences=True)(x)
    return keras.Model(x, layers.Dense(3)(y), name="lstm_sequences")


def lstm_last() -> keras.Model:
    """One LSTM returning its last step only (return_sequences=False), then a Dense."""
    x = keras.Input((STEPS, FEATURES), batch_size=1, name="input")
    y = layers.LSTM(12)(x)
    return keras.Model(x, layers.Dense(3)(y), name="lstm_last")


def lstm_stacked() -> keras.Model:
    """Two stacked LSTMs (the first returns every step), then a Dense."""
    x = keras.Input((STEPS, FEATURES), batch_size=1, name="input")
    y = layers.LSTM(10, return_sequences=True)(x)
    y = layers.LSTM(8)(y)
    return keras.Model(x, layers.Dense(3)(y), name="lstm_stacked")


def conv1d_lstm() -> keras.Model:
    """A Conv1D front end (ReLU), then an LSTM and a Dense."""
    x = keras.Input((STEPS, FEATURES), batch_size=1, name="input")
    y = layers.Conv1D(8, 3, padding="same", activation="relu")(x)
    y = layers.LSTM(10)(y)
    return keras.Model(x, layers.Dense(3)(y), name="conv1d_lstm")


KERAS_MODELS = {"lstm_sequences": lstm_sequences, "lstm_last": lstm_last, "lstm_stacked": lstm_stacked,
                "conv1d_lstm": conv1d_lstm}
MODELS = {f"{name}_int8": (build, "int8") for name, build in KERAS_MODELS.items()}
SAME_WEIGHTS_AS: dict = {}


def seed_of(name: str) -> int:
    """From the name alone, so that adding a model changes no other model's weights."""
    return SEED + zlib.crc32(name.encode()) % 10007


def clear_orphan_buffers(data: bytes) -> bytes:
    """The model with the data of buffers no tensor uses dropped: the converter leaves one such buffer with
    uninitialised bytes after an LSTM (12 bytes that differ from one conversion to the next)."""
    from tensorflow.lite.tools import flatbuffer_utils as fu
    m = fu.convert_bytearray_to_object(bytearray(data))
    used = {t.buffer for sg in m.subgraphs for t in sg.tensors}
    for i, b in enumerate(m.buffers):
        if i not in used:
            b.data = None
    return bytes(fu.convert_object_to_bytearray(m))


def make(name: str) -> bytes:
    """As make_keras_models.make (seeded build, converted twice, same bytes demanded), orphan buffers cleared."""
    build, io_type = MODELS[name]
    seed = seed_of(SAME_WEIGHTS_AS.get(name, name))

    def once() -> bytes:
        base._fresh(seed)
        model = build()
        base._randomize_constants(model, seed)
        return clear_orphan_buffers(base.convert(model, io_type, seed))
    return base.twice(name, once)


if __name__ == "__main__":
    sys.exit(base.main(models=MODELS, make_one=make, doc=__doc__))
