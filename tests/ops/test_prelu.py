"""PRELU, int8 and int16 (int8 alpha), against TFLM: seeded random shapes of rank 1-4 with alpha per channel,
alpha of the input's shape, alpha broadcast over random dimensions, the input broadcast against alpha, alpha
constant or an input, non-zero zero points everywhere, multipliers above one, the int16 extremes, the double
multipliers of TFLM's Prepare, and the combinations TFLM rejects or cannot compute."""
import numpy as np
import pytest

from mcugen.ops.prelu import prelu_multipliers
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects
from mcugen.testing.random_quant import rand_act_quant

from tests.ops.binary_cases import rand_quant_s16

KINDS = ["channel", "same", "broadcast", "input_broadcast", "channel", "broadcast"]


def _dim(rng):
    return int(rng.choice([1, 2, 3, 5, 7]))


def rand_shapes(rng, kind):
    """(input shape, alpha shape) for a broadcasting pattern; ranks 1-4."""
    rank = int(rng.integers(1, 5))
    x = tuple(_dim(rng) for _ in range(rank - 1)) + (int(rng.integers(1, 17)),)
    if kind == "channel":  # the converter's per-channel alpha: (C,) or (1, ..., 1, C)
        return x, ((x[-1],) if rng.integers(2) else (1,) * int(rng.integers(0, rank)) + (x[-1],))
    if kind == "same":
        return x, x
    # every dimension of the smaller shape is the output's or 1; leading dimensions may be absent
    small = tuple(1 if rng.random() < 0.5 else n for n in x)[int(rng.integers(0, rank)):]
    if kind == "input_broadcast":  # alpha has the output's shape, the input broadcasts (x[-1] > 1 is cut to 1)
        out = x[:-1] + (max(2, x[-1]),)
        return small[:-1] + (1,), out
    return x, small


def _case(seed):
    rng = np.random.default_rng(3000 + seed)
    s16 = seed % 2 == 1
    xs, als = rand_shapes(rng, KINDS[seed % len(KINDS)])
    y = tuple(np.broadcast_shapes(xs, als))
    if s16:
        (si, zi), (so, zo) = rand_quant_s16(rng), rand_quant_s16(rng)
        if seed % 3 == 0:
            zi, zo = int(rng.integers(-3000, 3001)), int(rng.integers(-3000, 3001))
    else:
        (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    so *= float(np.exp(rng.uniform(-1.5, 1.5)))  # multipliers above and below one
    sa, za = float(np.exp(rng.uniform(np.log(0.001), np.log(0.05)))), int(rng.integers(-128, 128))
    const = seed % 4 != 3
    alpha = rng.integers(-128, 128, size=als, dtype=np.int8) if const else None
    dt = "int16" if s16 else "int8"
    return single_op_model("PRELU", [TensorSpec(xs, dt, si, zi), TensorSpec(als, "int8", sa, za, data=alpha)],
                           [TensorSpec(y, dt, so, zo)])


@pytest.mark.parametrize("seed", range(16))
def test_prelu_random(seed, bit_exact):
    bit_exact(_case(seed), count=8, seed=seed, sanitize=seed in (2, 3))


def test_prelu_shapes_cover():
    """The seeded cases cover ranks 1-4, constant and non-constant alpha, alpha and input broadcasting."""
    from mcugen.frontend.tflite_reader import read_model_bytes
    ranks, consts, bcast_alpha, bcast_input = set(), set(), False, False
    for seed in range(16):
        op = read_model_bytes(_case(seed)).operators[0]
        x, a, y = op.inputs[0], op.inputs[1], op.outputs[0]
        ranks.add(len(x.shape))
        consts.add(a.is_const)
        bcast_alpha |= a.size < y.size
        bcast_input |= x.size < y.size
    assert ranks == {1, 2, 3, 4} and consts == {True, False} and bcast_alpha and bcast_input


ALPHA_ROW = np.array([-128, -127, -64, -1, 0, 1, 63, 126, 127], np.int8).reshape(1, -1)


@pytest.mark.parametrize("zi, za, so", [(0, 0, 2.0 ** -10), (1000, 127, 2.0 ** -10), (-1000, -128, 3e-4),
                                         (0, -128, 2.0 ** -20)], ids=["zero", "pos", "neg", "gain"])
def test_prelu_s16_extremes(zi, za, so, bit_exact):
    """All -32768 and all 32767 (the first two samples) and random int16 inputs against every extreme of
    alpha - za (up to 255), with non-zero zero points and a multiplier large enough to saturate."""
    model = single_op_model("PRELU", [TensorSpec((6, 1), "int16", 2.0 ** -10, zi),
                                      TensorSpec(ALPHA_ROW.shape, "int8", 0.02, za, data=ALPHA_ROW)],
                            [TensorSpec((6, ALPHA_ROW.shape[1]), "int16", so, 0)])
    bit_exact(model, count=6)


# (si, sa, so, zi, za): the negative-side multiplier in float32 would differ from TFLM's double (1379603968 vs
# 1379603916) and change 6 of the 256 x 256 (input, alpha) pairs within the int8 range (56 bytes of these
# samples differ with float32 multipliers; none with double).
DOUBLE_CASE = (0.0151569414883852, 0.040630582720041275, 0.12270154803991318, 104, 14)


def test_prelu_double_multiplier(bit_exact):
    """Every int8 alpha value (a constant row) against every int8 input value (the column, over samples)."""
    si, sa, so, zi, za = DOUBLE_CASE
    assert prelu_multipliers(si, sa, so)[1] == (1379603916, -7)
    row = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    model = single_op_model("PRELU", [TensorSpec((256, 1), "int8", si, zi),
                                      TensorSpec((1, 256), "int8", sa, za, data=row)],
                            [TensorSpec((256, 256), "int8", so, 0)])
    cmp = bit_exact(model, count=12)
    assert np.unique(cmp.inputs[0]).size == 256


def _model(x=(2, 3), a=(3,), y=None, dtypes=("int8", "int8", "int8"), alpha_scale=0.01, const=True):
    data = np.ones(a, np.dtype(dtypes[1])) if const else None
    qd = 0
    if isinstance(alpha_scale, list):
        qd = len(a) - 1
    return single_op_model("PRELU", [TensorSpec(x, dtypes[0], 0.05, 0),
                                     TensorSpec(a, dtypes[1], alpha_scale, [0] * len(alpha_scale)
                                                if isinstance(alpha_scale, list) else 0,
                                                quantized_dimension=qd, data=data)],
                           [TensorSpec(y or tuple(np.broadcast_shapes(x, a)), dtypes[2], 0.05, 0)])


def test_prelu_rules():
    assert rule_problems(_model()) == []
    assert rule_problems(_model(dtypes=("int16", "int8", "int16"))) == []
    assert rule_problems(_model((1, 3), (2, 3), const=False)) == []   # the input broadcasts against alpha
    # int16 alpha with int16 input: TFLM rejects it in Prepare
    m = _model(dtypes=("int16", "int16", "int16"))
    assert tflm_rejects(m) and any("is not supported" in p for p in rule_problems(m))
    # uint8: TFLM fails at invoke
    assert any("is not supported" in p for p in rule_problems(_model(dtypes=("uint8", "uint8", "uint8"))))
    # TFLM accepts these but writes values of the input's type into an output of another type
    for dtypes in (("int8", "int8", "int16"), ("int16", "int8", "int8")):
        assert any("is not supported" in p for p in rule_problems(_model(dtypes=dtypes))), dtypes
    # rank 5: TFLM's kernel is 4-D (it accepts the model and computes from a truncated shape)
    assert any("rank 5" in p for p in rule_problems(_model((1, 2, 2, 2, 3), (3,))))
    # TFLM iterates over whatever output shape it is given; we demand the broadcast shape
    assert any("broadcast shape" in p for p in rule_problems(_model((2, 3), (3,), y=(1, 3))))
    assert any("do not broadcast" in p for p in rule_problems(_model((2, 3), (2,), y=(2, 3))))
    assert any("empty dimension" in p for p in rule_problems(_model((2, 0), (1,), y=(2, 0))))
    # TFLM would read only the first scale of a per-channel alpha
    assert any("per channel" in p for p in rule_problems(_model((2, 3), (3,), alpha_scale=[0.01, 0.02, 0.03])))
