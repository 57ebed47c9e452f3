"""Weight-only quantization (DEQUANTIZE of an int8 constant feeding a float layer) keeps the weights int8:
mcugen/passes/fold_dequantize_weights.py rewires FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D to the int8
constant and marks them; their scheme is 'w8' (kernels mcu_<op>_w8.c). Single-operator models over seeded
random shapes, per-tensor and per-channel scales, zero points, bias or none, fused activations, compared
with LiteRT (which runs the DEQUANTIZE, then the float kernel): bit for bit on the host, within the float
tolerance under QEMU on cortex-m4 (first cases; its FULLY_CONNECTED sums in fixed point); the generated
constants hold the weights as int8, not float."""
import numpy as np
import pytest

from mcugen.compiler import compile_bytes
from mcugen.ops import handler
from mcugen.testing.builder import OpSpec, TensorSpec, build_model
from mcugen.testing.compare import FLOAT_TOLERANCE, compare_model, float_error, run_on_board

from ..conftest import have_arm_tools

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def weight_only_model(rng, op, per_channel, bias=True, zero_points=False, act="NONE"):
    """A DEQUANTIZE(int8 constant) -> op model with random shapes; returns (model bytes, input shape)."""
    if op == "FULLY_CONNECTED":
        units, depth, batch = int(rng.integers(1, 20)), int(rng.integers(1, 40)), int(rng.integers(1, 4))
        wshape, xshape, yshape, axis, oc = (units, depth), (batch, depth), (batch, units), 0, units
        opts = {"fused_activation_function": act}
    else:
        h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s, d = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pad = ["SAME", "VALID"][int(rng.integers(0, 2))]
        if pad == "VALID":
            h, w = max(h, (kh - 1) * d + 1), max(w, (kw - 1) * d + 1)
        oh = (h + s - 1) // s if pad == "SAME" else (h - (kh - 1) * d - 1) // s + 1
        ow = (w + s - 1) // s if pad == "SAME" else (w - (kw - 1) * d - 1) // s + 1
        ic = int(rng.integers(1, 7))
        opts = {"padding": pad, "stride_h": s, "stride_w": s, "dilation_h_factor": d, "dilation_w_factor": d,
                "fused_activation_function": act}
        if op == "CONV_2D":
            oc = int(rng.integers(1, 13))
            wshape, axis = (oc, kh, kw, ic), 0
        else:
            dm = int(rng.integers(1, 3))
            oc = ic * dm
            wshape, axis = (1, kh, kw, oc), 3
            opts["depth_multiplier"] = dm
        n = int(rng.integers(1, 3))
        xshape, yshape = (n, h, w, ic), (n, oh, ow, oc)
    q = rng.integers(-127, 128, wshape).astype(np.int8)
    if per_channel:
        scale = list(map(float, rng.uniform(0.005, 0.1, oc)))
        zp = list(map(int, rng.integers(-5, 6, oc))) if zero_points else [0] * oc
    else:
        scale, zp = float(rng.uniform(0.005, 0.1)), int(rng.integers(-5, 6)) if zero_points else 0
    ts = [TensorSpec(xshape, "float32"),
          TensorSpec(wshape, "int8", scale=scale, zero_point=zp, data=q, quantized_dimension=axis),
          TensorSpec(wshape, "float32"),
          TensorSpec((oc,), "float32", data=rng.normal(0, 1, oc).astype(np.float32)),
          TensorSpec(yshape, "float32")]
    if op != "FULLY_CONNECTED":
        bias = True  # LiteRT's float CONV_2D refuses to prepare without a bias (conv.cc: has_bias)
    ins = [0, 2, 3] if bias else [0, 2, -1]
    ops = [OpSpec("DEQUANTIZE", [1], [2]), OpSpec(op, ins, [4], opts)]
    return build_model(ts, ops, [0], [4]), xshape


def _check(model, xshape, rng, boards=()):
    compiled = compile_bytes(model, "m")
    (op,) = compiled.graph.operators
    assert op.attrs.get("weight_only") and handler(op.op).scheme(op) == "w8"
    assert op.inputs[1].dtype == "int8"
    xs = [rng.normal(0, 3, (3, *xshape)).astype(np.float32)]
    cmp = compare_model(model, inputs=xs, oracle="litert", sanitize=True)
    err = float_error(cmp.ours[0], cmp.ref[0])
    # the host (no DSP): every weight dequantized to LiteRT's float and summed in its order: its bits
    assert np.array_equal(cmp.ours[0], cmp.ref[0]), err.describe()
    for board in boards:
        ours = run_on_board(model, board, xs)
        e = float_error(ours[0], cmp.ref[0])
        assert e.ok, f"{board}: {e.describe()}"
    return err


CASES = [(op, pc, seed) for op in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D")
         for pc in (False, True) for seed in range(4)]


@pytest.mark.parametrize("op,per_channel,seed", CASES)
def test_weight_only_matches_litert(op, per_channel, seed):
    rng = np.random.default_rng(1000 * seed + 7 * per_channel + len(op))
    act = ACTS[seed % 4]
    model, xshape = weight_only_model(rng, op, per_channel, bias=seed % 2 == 0, zero_points=seed == 3, act=act)
    # the first case of each operator also runs on cortex-m4 (FPU) under QEMU
    first = seed == 0 and (not per_channel or op == "FULLY_CONNECTED")  # FC: both paths of the DSP kernel
    boards = ("cortex-m4",) if first and have_arm_tools() else ()
    _check(model, xshape, rng, boards)


@pytest.mark.parametrize("op", ["FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D"])
def test_weights_stay_int8_in_flash(op):
    """The generated constants hold the weights as int8_t (4x smaller than float); no float copy."""
    rng = np.random.default_rng(5)
    model, _ = weight_only_model(rng, op, True)
    compiled = compile_bytes(model, "m")
    w = compiled.graph.operators[0].inputs[1]
    weights_c = compiled.project.files["m_weights.c"]
    assert "const int8_t" in weights_c
    int8_arrays = [line for line in weights_c.splitlines() if "const int8_t" in line]
    float_arrays = [line for line in weights_c.splitlines() if "const float" in line]
    assert int8_arrays, weights_c[:500]
    # the float constants are the scales and the bias only: one value per output channel each (+ padding)
    oc = compiled.graph.operators[0].outputs[0].shape[-1]
    float_count = sum(int(line.split("[")[1].split("]")[0]) for line in float_arrays)
    assert float_count <= 2 * (-(-oc // 8) * 8), float_arrays
    assert w.size > 0


def test_other_consumers_keep_the_float_fold():
    """An ADD that also reads the dequantized constant gets the build-time float value; the FC still the int8."""
    rng = np.random.default_rng(3)
    q = rng.integers(-127, 128, (4, 4)).astype(np.int8)
    ts = [TensorSpec((4, 4), "float32"),
          TensorSpec((4, 4), "int8", scale=0.02, zero_point=0, data=q),
          TensorSpec((4, 4), "float32"), TensorSpec((4, 4), "float32"), TensorSpec((4, 4), "float32")]
    ops = [OpSpec("DEQUANTIZE", [1], [2]), OpSpec("FULLY_CONNECTED", [0, 2, -1], [3]),
           OpSpec("ADD", [3, 2], [4])]
    model = build_model(ts, ops, [0], [4])
    compiled = compile_bytes(model, "m")
    fc, add = compiled.graph.operators
    assert handler("FULLY_CONNECTED").scheme(fc) == "w8" and fc.inputs[1].dtype == "int8"
    assert add.inputs[1].dtype == "float32" and add.inputs[1].is_const
    xs = [rng.normal(0, 1, (3, 4, 4)).astype(np.float32)]
    cmp = compare_model(model, inputs=xs, oracle="litert")
    assert float_error(cmp.ours[0], cmp.ref[0]).ok


def test_fixed_point_path_long_rows_zero_points_and_special_values():
    """FULLY_CONNECTED w8 on a DSP board (cortex-m4) sums the row in fixed point: depth 2,100 (three exact
    int32 passes), zero points (the int64 path), a zero row, a row of tiny values (< 2^-90: the float path),
    a row with a huge value and a row with infinity, against LiteRT."""
    if not have_arm_tools():
        pytest.skip("arm-none-eabi-gcc or qemu-system-arm is not installed")
    rng = np.random.default_rng(9)
    units, depth = 5, 2100
    q = rng.integers(-128, 128, (units, depth)).astype(np.int8)
    for zps in ([3, -2, 0, 5, -128], [0] * units):
        ts = [TensorSpec((4, depth), "float32"),
              TensorSpec((units, depth), "int8", scale=list(map(float, rng.uniform(0.005, 0.02, units))),
                         zero_point=zps, data=q, quantized_dimension=0),
              TensorSpec((units, depth), "float32"),
              TensorSpec((units,), "float32", data=np.ones(units, np.float32)), TensorSpec((4, units), "float32")]
        model = build_model(ts, [OpSpec("DEQUANTIZE", [1], [2]), OpSpec("FULLY_CONNECTED", [0, 2, 3], [4])],
                            [0], [4])
        x = rng.normal(0, 3, (2, 4, depth)).astype(np.float32)
        x[0, 1] = 0
        x[0, 2] *= 1e-30
        x[1, 0, 5] = 1e30
        x[1, 3, 7] = np.inf
        cmp = compare_model(model, inputs=[x], oracle="litert")
        ours = run_on_board(model, "cortex-m4", [x])[0].reshape(cmp.ref[0].shape)
        # the rows of ordinary values, within the float tolerance of their own range
        for rows in ((0, slice(0, 3)), (1, slice(1, 3))):
            e = float_error(ours[rows], cmp.ref[0][rows])
            assert e.ok, e.describe()
        assert np.array_equal(ours[1, 0], cmp.ref[0][1, 0]) or float_error(ours[1, 0], cmp.ref[0][1, 0]).ok
        assert np.array_equal(ours[1, 3], cmp.ref[0][1, 3])  # +-FLT_MAX after the clamp of infinity


def test_fixed_point_plain_c_on_the_host(tmp_path):
    """The fixed-point FULLY_CONNECTED layout compiled for the host (a host board given the 'dsp' feature:
    the kernel's plain-C twin of the SMLAD loop) under ASan and UBSan, against LiteRT, zero points or not."""
    import dataclasses

    from mcugen.backend import make_runner
    from mcugen.boards import load_board
    from mcugen.codegen import write_project
    from mcugen.oracle import litert

    host = load_board("host")
    board = dataclasses.replace(host, features=[*host.features, "dsp"], raw={**host.raw, "features": ["dsp"]})
    for seed, zp in ((1, False), (2, True)):
        rng = np.random.default_rng(40 + seed)
        model, xshape = weight_only_model(rng, "FULLY_CONNECTED", seed == 2, zero_points=zp, act="RELU")
        compiled = compile_bytes(model, "m", board=board)
        assert compiled.project.files["m.c"].count(".fixed = 1") == 1
        xs = [rng.normal(0, 3, (4, *xshape)).astype(np.float32)]
        write_project(compiled.project.files, tmp_path / f"m{seed}", force=True)
        ours = make_runner(compiled, tmp_path / f"m{seed}", sanitize=True)(xs)
        ref = litert.run(model, xs, 1)
        e = float_error(ours[0], ref[0])
        assert e.ok, e.describe()


BMM_CASES = [(seed, pc, adj) for seed in range(2) for pc in (False, True) for adj in (False, True)]


@pytest.mark.parametrize("seed,per_channel,adj_y", BMM_CASES)
def test_batch_matmul_constant_rhs(seed, per_channel, adj_y):
    """BATCH_MATMUL with a DEQUANTIZE'd constant int8 rhs (per tensor or per output column, zero points,
    broadcast batch, adj_y): scheme w8, rhs int8 in flash, LiteRT's result bit for bit (each value is
    dequantized to LiteRT's float and summed in the float kernel's order)."""
    rng = np.random.default_rng(300 + 10 * seed + 2 * per_channel + adj_y)
    bt, m, k, n = int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 9)), int(rng.integers(1, 10))
    rshape = (n, k) if adj_y else (k, n)
    axis = 0 if adj_y else 1
    q = rng.integers(-128, 128, rshape).astype(np.int8)
    if per_channel:
        scale, zp = list(map(float, rng.uniform(0.01, 0.1, n))), list(map(int, rng.integers(-4, 5, n)))
    else:
        scale, zp = float(rng.uniform(0.01, 0.1)), int(rng.integers(-4, 5))
    ts = [TensorSpec((bt, m, k), "float32"),
          TensorSpec(rshape, "int8", scale=scale, zero_point=zp, data=q, quantized_dimension=axis),
          TensorSpec(rshape, "float32"), TensorSpec((bt, m, n), "float32")]
    model = build_model(ts, [OpSpec("DEQUANTIZE", [1], [2]),
                             OpSpec("BATCH_MATMUL", [0, 2], [3], {"adj_x": False, "adj_y": adj_y})], [0], [3])
    compiled = compile_bytes(model, "m")
    (op,) = compiled.graph.operators
    assert handler(op.op).scheme(op) == "w8" and op.inputs[1].dtype == "int8"
    assert "const int8_t" in compiled.project.files["m_weights.c"]
    xs = [rng.normal(0, 3, (3, bt, m, k)).astype(np.float32)]
    cmp = compare_model(model, inputs=xs, oracle="litert", sanitize=True)
    assert np.array_equal(cmp.ours[0], cmp.ref[0]), float_error(cmp.ours[0], cmp.ref[0]).describe()
    if seed == 0 and not per_channel and not adj_y and have_arm_tools():
        ours = run_on_board(model, "cortex-m4", xs)
        assert float_error(ours[0], cmp.ref[0]).ok
