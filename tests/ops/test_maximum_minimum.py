"""MAXIMUM and MINIMUM (int8, int16, int32, int64, float32, broadcasting) against TFLM."""
import numpy as np
import pytest

from mcugen.testing.compare import rule_problems

from tests.ops.math_cases import binary_model, rand_data, rand_quant, rand_shapes

TYPES = ["int8", "int16", "int32", "int64", "float32"]


@pytest.mark.parametrize("seed", range(12))
def test_max_min_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    op = "MAXIMUM" if seed % 2 == 0 else "MINIMUM"
    dtype = TYPES[seed % 5]
    a, b = rand_shapes(rng, seed)
    const = seed % 3 == 1 or len(b) == 0
    # differing quantization: TFLM compares the stored values regardless
    model = binary_model(op, a, b, dtype, rand_quant(rng, dtype), rand_quant(rng, dtype), dtype,
                         rand_quant(rng, dtype), const_b=rand_data(rng, b, dtype) if const else None)
    bit_exact(model, sanitize=seed in (3, 4))


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM"])
def test_max_min_int16_extremes(op, bit_exact):
    """Every pair of a few int16 extremes (a column against a constant row)."""
    row = np.array([[-32768, -32767, -1, 0, 1, 32766, 32767]], np.int16)
    q = (1e-4, 0)
    bit_exact(binary_model(op, (40, 1), (1, 7), "int16", q, q, "int16", q, const_b=row), count=5)


def test_max_min_rules():
    q = (0.1, 0)
    assert rule_problems(binary_model("MAXIMUM", (2, 3), (3,), "int8", q, q, "int8", q)) == []
    assert any("broadcast" in m for m in rule_problems(binary_model("MAXIMUM", (2, 3), (2,), "int8", q, q,
                                                                    "int8", q, out=(2, 3))))
    # uint8 and bool are not TFLM MAXIMUM types
    assert any("not supported" in m for m in rule_problems(binary_model("MINIMUM", (2, 3), (3,), "uint8", q, q,
                                                                        "uint8", q)))


def test_in_place_chain(bit_exact):
    """ABS, MAXIMUM (broadcast), SQUARED_DIFFERENCE, LESS and SELECT_V2 in a chain: the planner puts each
    output over its full-shaped input (checked below), and the results stay exact."""
    from mcugen.compiler import compile_bytes
    from mcugen.testing.builder import OpSpec, TensorSpec, build_model
    q = (0.05, 3)
    full = (6, 40)
    tensors = [TensorSpec(full, "int8", *q), TensorSpec((40,), "int8", *q)]  # 0: x, 1: row
    tensors += [TensorSpec(full, "int8", *q), TensorSpec(full, "int8", *q), TensorSpec(full, "int8", 0.2, -128),
                TensorSpec(full, "bool"), TensorSpec(full, "int8", *q)]
    ops = [OpSpec("ABS", [0], [2]), OpSpec("MAXIMUM", [2, 1], [3]), OpSpec("SQUARED_DIFFERENCE", [3, 1], [4]),
           OpSpec("LESS", [4, 1], [5]), OpSpec("SELECT_V2", [5, 4, 1], [6])]
    model = build_model(tensors, ops, [0, 1], [6])
    c = compile_bytes(model, "chain")
    shared = [op.op for op in c.graph.operators if c.plan.offset_of(op.inputs[0]) == c.plan.offset_of(op.outputs[0])]
    assert len(shared) >= 3, shared
    bit_exact(model, count=6, sanitize=True)
