"""Shared case builders for the int8 and int16 binary element-wise tests (ADD/SUB, MUL): broadcast shape pairs and
converter-like output quantization."""
import numpy as np

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def rand_pair(rng, kind):
    """Two broadcast-compatible input shapes for a named broadcasting pattern."""
    d = lambda: int(rng.integers(1, 6))  # noqa: E731
    if kind == "same":
        s = tuple(d() for _ in range(int(rng.integers(1, 5))))
        return s, s
    if kind == "scalar":
        return (1, d(), d(), d()), ()
    if kind == "one":
        return (d(), d()), (1,)
    if kind == "channel":
        n, h, w, c = 1, d(), d(), int(rng.integers(2, 17))
        return (n, h, w, c), ((c,) if rng.integers(2) else (1, 1, 1, c))
    if kind == "cross":
        return (d(), 1, d(), 1), (1, d(), 1, d())
    # random rank 1..6: every dimension of each input is the output's, 1, or absent (leading)
    rank = int(rng.integers(1, 7))
    out = [int(rng.integers(1, 4)) for _ in range(rank)]
    shapes = []
    for _ in range(2):
        s = [1 if rng.random() < 0.4 else n for n in out]
        shapes.append(tuple(s[int(rng.integers(0, rank + 1)) if rng.random() < 0.3 else 0:]))
    return shapes[0], shapes[1]


def rand_inputs(rng, kind):
    """rand_pair, in random order (a scalar stays second), with a rank-0 first input moved second or made
    (1,): the oracle cannot feed a rank-0 model input, so the tests keep those constant."""
    a, b = rand_pair(rng, kind)
    if rng.integers(2) and kind != "scalar":
        a, b = b, a
    if len(a) == 0:
        a, b = (b, a) if len(b) else ((1,), b)
    return a, b


def out_shape(a, b):
    return tuple(np.broadcast_shapes(a, b))


def out_quant(rng, op, q1, q2, act, data2=None):
    """Output scale and zero point the way a converter picks them: the real range of the result, cut to the
    fused activation's range and widened to include 0, with the scale scaled by a random factor."""
    r1 = [q1[0] * (v - q1[1]) for v in (-128, 127)]
    r2 = [q2[0] * (int(v) - q2[1]) for v in ((-128, 127) if data2 is None else (data2.min(), data2.max()))]
    fn = {"ADD": lambda x, y: x + y, "SUB": lambda x, y: x - y, "MUL": lambda x, y: x * y}[op]
    ends = [fn(x, y) for x in r1 for y in r2]
    lo, hi = {"NONE": (-1e9, 1e9), "RELU": (0, 1e9), "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}[act]
    lo, hi = min(max(min(ends), lo), 0.0), max(min(max(ends), hi), 0.0)
    if hi - lo < 1e-3:
        hi = lo + 1.0
    so = (hi - lo) / 255 * float(np.exp(rng.uniform(-0.7, 0.3)))
    zo = int(np.clip(round(-(lo + hi) / 2 / so) + int(rng.integers(-10, 11)), -128, 127))
    return so, zo


def rand_quant_s16(rng, pot=False, zero_point=True):
    """An int16 activation scale (log-uniform over [2^-15, 2^-5], or a power of two) and zero point (0 unless
    `zero_point` and the dice say otherwise: TFLM's ADD/SUB accept non-zero int16 zero points)."""
    if pot:
        return float(2.0 ** -int(rng.integers(5, 16))), 0
    s = float(np.exp(rng.uniform(np.log(2.0 ** -15), np.log(2.0 ** -5))))
    return s, (int(rng.integers(-2000, 2001)) if zero_point and rng.random() < 0.3 else 0)


def out_quant_s16(rng, op, q1, q2, act, pot=False, zero_point=False):
    """int16 output scale the way the converter picks it (symmetric: max |range| / 32767, cut to the fused
    activation), times a random factor; a power of two when `pot`."""
    r1 = [q1[0] * (v - q1[1]) for v in (-32768, 32767)]
    r2 = [q2[0] * (v - q2[1]) for v in (-32768, 32767)]
    fn = {"ADD": lambda x, y: x + y, "SUB": lambda x, y: x - y, "MUL": lambda x, y: x * y}[op]
    ends = [fn(x, y) for x in r1 for y in r2]
    lo, hi = {"NONE": (-1e9, 1e9), "RELU": (0, 1e9), "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}[act]
    m = max(abs(max(min(ends), lo)), abs(min(max(ends), hi)), 1e-3)
    so = m / 32767 * float(np.exp(rng.uniform(-0.7, 0.3)))
    if pot:
        return float(2.0 ** np.ceil(np.log2(so))), 0
    return so, (int(rng.integers(-3000, 3001)) if zero_point and rng.random() < 0.3 else 0)
