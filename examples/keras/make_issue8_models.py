"""Build the real-model-shaped fixtures of tests/fixtures/keras/ for the int16 (16x8) and data-movement operators.

Same method as make_keras_models.py, whose helpers this script uses (seeded
random weights and biases, a representative dataset of 64 seeded samples,
every model converted twice to check the bytes): each Keras model is written
twice, full-integer int8 (`<name>_int8.tflite`, TFLITE_BUILTINS_INT8, int8
input and output) and 16x8 (`<name>_int16.tflite`,
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8, int16 input and
output), both from the same weights. Inputs have batch_size=1, except in
dilated_conv1d_stack_dynamic_batch, whose point is the Keras default dynamic
batch (SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND).

Where the 16x8 quantizer or TFLM lacks an int16 operator the int16 model
leaves it out (split_unpack_frontend: GREATER/SELECT_V2 and REDUCE_MAX;
elementwise_activations: PRELU), or the fixture records the refusal
(upsampling_decoder_int16: TFLM has no int16 RESIZE_BILINEAR).

uint8: conv2d_uint8_io is conv2d_bn_relu_maxpool with uint8 input and output
(TF2 converter: QUANTIZE at the edges); legacy_uint8.tflite is the TF1 path, a
tf.compat.v1 graph with fake-quant nodes converted with inference_type=tf.uint8
and quantized_input_stats (TFLM refuses it).

From the repository root, with TensorFlow in a virtualenv of its own:

    /tmp/tfenv/bin/python examples/keras/make_issue8_models.py [--out DIR] [--only NAME ...]
"""
from __future__ import annotations

import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import make_keras_models as base  # noqa: E402
from make_keras_models import keras, layers, tf  # noqa: E402

SEED = 4321


# ---------------------------------------------------------------- the models
def upsampling_decoder(bilinear: bool = True, name: str = "upsampling_decoder") -> keras.Model:
    """A small U-Net-like decoder: nearest and bilinear upsampling, a strided transposed conv, a skip concat.

    TFLM has no int16 RESIZE_BILINEAR: upsampling_decoder_nearest has nearest upsampling in both places.
    """
    x = keras.Input((16, 16, 2), batch_size=1, name="input")
    skip = layers.Conv2D(4, 3, padding="same", activation="relu")(x)                  # 16x16x4
    e = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(skip)       # 8x8x8
    b = layers.Conv2D(8, 3, strides=4, padding="same", activation="relu")(e)          # 2x2x8
    # Keras 3's UpSampling2D(interpolation="nearest") repeats rows and columns (RESHAPE/TILE); tf.image.resize is
    # what gives RESIZE_NEAREST_NEIGHBOR
    u = layers.Lambda(lambda v: tf.image.resize(v, (4, 4), method="nearest"), name="nearest")(b)  # 4x4x8
    u = layers.Conv2D(8, 3, padding="same", activation="relu")(u)
    if bilinear:
        u = layers.UpSampling2D(2, interpolation="bilinear")(u)                       # 8x8x8
    else:
        u = layers.Lambda(lambda v: tf.image.resize(v, (8, 8), method="nearest"), name="nearest_2")(u)
    t = layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")(u)  # 16x16x4
    y = layers.Concatenate()([t, skip])                                               # 16x16x8
    y = layers.Conv2D(3, 1)(y)
    return keras.Model(x, y, name=name)


def upsampling_decoder_nearest() -> keras.Model:
    return upsampling_decoder(False, "upsampling_decoder_nearest")


def attention_block() -> keras.Model:
    """Two-head scaled dot-product self-attention over 8 steps x 16 features, a Dense projection, a residual Add."""
    steps, features, heads = 8, 16, 2
    depth = features // heads
    x = keras.Input((steps, features), batch_size=1, name="input")

    def split_heads(v):  # [1, 8, 16] -> [1, 2, 8, 8]
        return tf.transpose(tf.reshape(v, (1, steps, heads, depth)), (0, 2, 1, 3))

    def attend(qkv):
        q, k, v = (split_heads(t) for t in qkv)
        scores = tf.matmul(q, k, transpose_b=True) * (1.0 / np.sqrt(depth))
        weights = tf.nn.softmax(scores, axis=-1)
        out = tf.matmul(weights, v)                                  # [1, 2, 8, 8]
        return tf.reshape(tf.transpose(out, (0, 2, 1, 3)), (1, steps, features))

    q = layers.Dense(features, name="query")(x)
    k = layers.Dense(features, name="key")(x)
    v = layers.Dense(features, name="value")(x)
    a = layers.Lambda(attend, name="attention")([q, k, v])
    a = layers.Dense(features, name="projection")(a)
    y = layers.Add()([x, a])
    y = layers.Dense(4)(y)
    return keras.Model(x, y, name="attention_block")


def split_unpack_frontend(int16: bool = False) -> keras.Model:
    """A streaming front end: channel groups (SPLIT, SPLIT_V), per-group Conv1D/Dense, per-step work (UNPACK,
    PACK), element-wise MAXIMUM/MINIMUM, reductions over time (SUM, REDUCE_MAX) and GREATER + SELECT_V2.

    For the int16 model (int16=True) GREATER + SELECT_V2 are left out (the 16x8 quantizer refuses GREATER)
    and REDUCE_MAX is a MEAN (TFLM has no int16 REDUCE_MAX).
    """
    steps, groups, width = 8, 3, 4
    x = keras.Input((steps, groups * width), batch_size=1, name="input")
    g = layers.Lambda(lambda v: tf.split(v, groups, axis=-1), name="split")(x)
    a = layers.Conv1D(width, 3, padding="same")(g[0])
    b = layers.Dense(width)(g[1])
    c = layers.Conv1D(width, 1)(g[2])
    hi = layers.Lambda(lambda t: tf.maximum(t[0], t[1]), name="maximum")([a, b])
    lo = layers.Lambda(lambda t: tf.minimum(t[0], t[1]), name="minimum")([b, c])

    def per_step(v):  # every step against the one before it
        s = tf.unstack(v, axis=1)
        return tf.stack([tf.maximum(s[i], s[i - 1]) for i in range(len(s))], axis=1)
    d = layers.Lambda(per_step, name="unstack_stack")(hi)
    if not int16:  # keep d where it exceeds lo, else a per-channel floor (broadcast: SELECT_V2, not SELECT)
        floor = np.random.default_rng(SEED).uniform(-0.5, 0.5, width).astype(np.float32)
        d = layers.Lambda(lambda t: tf.where(tf.greater(t[0], t[1]), t[0], floor), name="select")([d, lo])
    head, rest = layers.Lambda(lambda v: tf.split(v, [2, 10], axis=-1), name="split_v")(x)
    h = layers.Concatenate()([d, lo, head])                                             # 8 x 10
    h = layers.Lambda(lambda t: tf.minimum(t[0], t[1]), name="minimum_rest")([h, rest])
    total = layers.Lambda(lambda v: tf.reduce_sum(v, axis=1), name="sum")(h)
    if int16:
        peak = layers.Lambda(lambda v: tf.reduce_mean(v, axis=1), name="mean")(h)
    else:
        peak = layers.Lambda(lambda v: tf.reduce_max(v, axis=1), name="reduce_max")(h)
    # separate Dense heads: a Concatenate of the two reductions would force one scale on both
    y = layers.Add()([layers.Dense(4)(total), layers.Dense(4)(peak)])
    return keras.Model(x, y, name="split_unpack_frontend")


def elementwise_activations(prelu: bool = True) -> keras.Model:
    """Element-wise activations on a Dense layer's output: sigmoid, tanh, their product, PReLU (seeded slopes),
    a Subtract, LeakyReLU; concatenated into a Dense. The 16x8 quantizer refuses PRELU: the int16 model
    (prelu=False) has a ReLU in its place."""
    x = keras.Input((16,), batch_size=1, name="input")
    h = layers.Dense(16)(x)
    s = layers.Activation("sigmoid")(h)
    t = layers.Activation("tanh")(h)
    m = layers.Multiply()([s, t])
    p = layers.PReLU(alpha_initializer=keras.initializers.RandomUniform(0.05, 0.4))(h) if prelu else layers.ReLU()(h)
    d = layers.Subtract()([p, t])
    lr = layers.LeakyReLU(negative_slope=0.2)(h)
    y = layers.Concatenate()([m, p, d, lr])
    y = layers.Dense(4)(y)
    return keras.Model(x, y, name="elementwise_activations")


def dilated_conv1d_stack(batch_size: int | None = 1, name: str = "dilated_conv1d_stack") -> keras.Model:
    """A TCN-like stack: causal Conv1D with dilations 1, 2 and 4, then global average pooling and a Dense."""
    x = keras.Input((32, 4), batch_size=batch_size, name="input")
    y = layers.Conv1D(8, 3, dilation_rate=1, padding="causal", activation="relu")(x)
    y = layers.Conv1D(8, 3, dilation_rate=2, padding="causal", activation="relu")(y)
    y = layers.Conv1D(8, 3, dilation_rate=4, padding="causal", activation="relu")(y)
    y = layers.GlobalAveragePooling1D()(y)
    y = layers.Dense(3)(y)
    return keras.Model(x, y, name=name)


def dilated_conv1d_stack_dynamic_batch() -> keras.Model:
    return dilated_conv1d_stack(None, "dilated_conv1d_stack_dynamic_batch")


# name -> (int8 build, int16 build)
KERAS_MODELS = {
    "upsampling_decoder": (upsampling_decoder, upsampling_decoder),
    "attention_block": (attention_block, attention_block),
    "upsampling_decoder_nearest": (None, upsampling_decoder_nearest),
    "elementwise_activations": (elementwise_activations, lambda: elementwise_activations(prelu=False)),
    "split_unpack_frontend": (split_unpack_frontend, lambda: split_unpack_frontend(int16=True)),
    "dilated_conv1d_stack": (dilated_conv1d_stack, dilated_conv1d_stack),
    "dilated_conv1d_stack_dynamic_batch": (dilated_conv1d_stack_dynamic_batch, dilated_conv1d_stack_dynamic_batch),
}
MODELS = {f"{name}_{io_type}": (builds[i], io_type)
          for name, builds in KERAS_MODELS.items() for i, io_type in enumerate(("int8", "int16")) if builds[i]}
# the TF2 converter still takes uint8 edges: int8 inside, QUANTIZE uint8 -> int8 -> uint8 around it
MODELS["conv2d_uint8_io"] = (base.conv2d_bn_relu_maxpool, "uint8")
# the int16 model shares the int8 one's weights and representative samples
SAME_WEIGHTS_AS = {n: n[: -len("int16")] + "int8" for n in MODELS if n.endswith("_int16")}
SAME_WEIGHTS_AS["upsampling_decoder_nearest_int16"] = "upsampling_decoder_int8"  # only the upsampling differs
for _t in ("int8", "int16"):  # the same network as the batch_size=1 stack: LiteRT's outputs can be set beside TFLM's
    SAME_WEIGHTS_AS[f"dilated_conv1d_stack_dynamic_batch_{_t}"] = "dilated_conv1d_stack_int8"


# ---------------------------------------------------------------- legacy uint8
def legacy_uint8() -> bytes:
    """Conv2D -> ReLU6 -> max pool -> fully connected in a TF1 graph with fake-quant nodes, converted to uint8."""
    rng = np.random.default_rng(SEED)
    g = tf.Graph()
    with g.as_default():
        v1 = tf.compat.v1
        x = v1.placeholder(tf.float32, (1, 8, 8, 2), name="input")
        xq = tf.quantization.fake_quant_with_min_max_args(x, -1.0, 1.0)
        w = tf.constant(rng.uniform(-0.5, 0.5, (3, 3, 2, 4)).astype(np.float32))
        wq = tf.quantization.fake_quant_with_min_max_args(w, -0.5, 0.5)
        bias = tf.constant(rng.uniform(-0.3, 0.3, 4).astype(np.float32))
        y = tf.nn.relu6(tf.nn.conv2d(xq, wq, 1, "SAME") + bias)
        y = tf.quantization.fake_quant_with_min_max_args(y, 0.0, 6.0)
        y = tf.nn.max_pool2d(y, 2, 2, "VALID")
        y = tf.reshape(y, (1, 64))
        w2 = tf.constant(rng.uniform(-0.2, 0.2, (64, 3)).astype(np.float32))
        w2q = tf.quantization.fake_quant_with_min_max_args(w2, -0.2, 0.2)
        b2 = tf.constant(rng.uniform(-0.3, 0.3, 3).astype(np.float32))
        y = tf.matmul(y, w2q) + b2
        y = tf.identity(tf.quantization.fake_quant_with_min_max_args(y, -4.0, 4.0), name="output")
        with v1.Session(graph=g) as sess:
            converter = v1.lite.TFLiteConverter.from_session(sess, [x], [y])
            converter.inference_type = tf.uint8
            converter.quantized_input_stats = {"input": (127.5, 127.5)}  # (mean, std): real = (q - 127.5) / 127.5
            return base.quiet(converter.convert)


def make(name: str) -> bytes:
    if name == "legacy_uint8":
        return base.twice(name, legacy_uint8)
    return base.make(name, MODELS, SAME_WEIGHTS_AS, seed_of)


def seed_of(name: str) -> int:
    """From the name alone, so that adding a model changes no other model's weights."""
    return SEED + zlib.crc32(name.encode()) % 10007


ALL = {**MODELS, "legacy_uint8": None}

if __name__ == "__main__":
    sys.exit(base.main(models=ALL, make_one=make, doc=__doc__))
