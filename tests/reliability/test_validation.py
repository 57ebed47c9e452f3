"""One test per validation check (mcugen/frontend/validate.py): a valid model, edited through the flatbuffer
object API so that exactly that check fails, is refused with that check's exit code and a message naming
the tensor or operator."""
from __future__ import annotations

import time

import numpy as np
import pytest
from click.testing import CliRunner

from mcugen.cli import main
from mcugen.compiler import compile_bytes
from mcugen.errors import HandlerError, McugenError, ModelReadError, UnsupportedModelError
from mcugen.frontend import read_model_bytes
from mcugen.frontend.validate import CHECKS
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from tests.reliability.fuzz import _pack, _schema


def conv_model() -> bytes:
    w = np.ones((2, 3, 3, 1), np.int8)
    return single_op_model(
        "CONV_2D", [TensorSpec((1, 5, 5, 1), "int8", 0.1, 0), TensorSpec(w.shape, "int8", [0.01, 0.02], [0, 0], data=w),
                    TensorSpec((2,), "int32", [0.001, 0.002], [0, 0], data=np.zeros(2, np.int32))],
        [TensorSpec((1, 5, 5, 2), "int8", 0.2, 1)], {"padding": "SAME"})


def relu_chain() -> bytes:
    t = [TensorSpec((1, 4), "int8", 0.1, 0, name=n) for n in ("x", "y", "z", "spare")]
    return build_model(t, [OpSpec("RELU", [0], [1]), OpSpec("RELU", [1], [2])], [0], [2])


def edit(data: bytes, fn) -> bytes:
    m = _schema().ModelT.InitFromPackedBuf(data, 0)
    fn(m, m.subgraphs[0] if m.subgraphs else None)
    return _pack(m)


def refused(data: bytes) -> McugenError:
    with pytest.raises(McugenError) as e:
        compile_bytes(data, "m", "m.tflite")
    return e.value


def set_(obj, **kw):
    for k, v in kw.items():
        setattr(obj, k, v)


def _ext_past_end(m, sg):
    m.buffers[sg.tensors[1].buffer].data = None
    m.buffers[sg.tensors[1].buffer].offset = 1 << 20
    m.buffers[sg.tensors[1].buffer].size = 18


# check name -> (model, edit, text the message must contain)
CASES = {
    "has_subgraph": (conv_model, lambda m, sg: set_(m, subgraphs=[]), "no subgraph"),
    "tensor_types_known": (conv_model, lambda m, sg: set_(sg.tensors[0], type=60), "tensor 0 'tensor_0': type byte 60"),
    "shapes_non_negative": (conv_model, lambda m, sg: set_(sg.tensors[0], shape=np.array([1, -5, 5, 1], np.int32)),
                            "tensor 0 'tensor_0': shape (1, -5, 5, 1)"),
    "tensor_sizes_bounded": (conv_model, lambda m, sg: set_(sg.tensors[0], shape=np.array([1, 65536, 32768, 1], np.int32)),
                             "tensor 0 'tensor_0'"),
    "buffer_indices_valid": (conv_model, lambda m, sg: set_(sg.tensors[1], buffer=99), "tensor 1 'tensor_1': buffer 99"),
    "constant_sizes_match": (conv_model, lambda m, sg: set_(m.buffers[sg.tensors[1].buffer],
                                                            data=np.zeros(17, np.uint8)), "needs 18 bytes, its buffer holds 17"),
    "quantization_lengths_match": (conv_model, lambda m, sg: set_(sg.tensors[1].quantization,
                                                                  zeroPoint=np.array([0, 0, 0], np.int64)), "tensor 1"),
    "opcode_indices_valid": (conv_model, lambda m, sg: set_(sg.operators[0], opcodeIndex=5), "node 0: operator code 5"),
    "operator_tensor_indices_valid": (conv_model, lambda m, sg: set_(sg.operators[0], inputs=np.array([0, 99, 2], np.int32)),
                                      "node 0 (CONV_2D): input tensor index(es) [99]"),
    "graph_io_indices_valid": (conv_model, lambda m, sg: set_(sg, outputs=np.array([42], np.int32)), "output tensor index(es) [42]"),
    "has_outputs": (conv_model, lambda m, sg: set_(sg, outputs=np.array([], np.int32)), "no output"),
    "has_inputs": (conv_model, lambda m, sg: set_(sg, inputs=np.array([], np.int32)), "no input"),
    "types_supported": (conv_model, lambda m, sg: set_(sg.tensors[0], type=5), "tensor 0 'tensor_0': type STRING"),
    "inputs_not_constant": (conv_model, lambda m, sg: set_(sg, inputs=np.array([0, 1], np.int32)), "tensor 1 'tensor_1'"),
    "scales_finite_positive": (conv_model, lambda m, sg: set_(sg.tensors[0].quantization, scale=np.array([np.nan], np.float32)),
                               "tensor 0 'tensor_0': scale(s) [nan]"),
    "zero_points_in_range": (conv_model, lambda m, sg: set_(sg.tensors[0].quantization, zeroPoint=np.array([200], np.int64)),
                             "tensor 0 'tensor_0' (int8): zero point(s) [200]"),
    "per_channel_counts": (conv_model, lambda m, sg: set_(sg.tensors[1].quantization, quantizedDimension=1),
                           "tensor 1 'tensor_1': shape (2, 3, 3, 1), 2 scales along dimension 1"),
    "operator_inputs_present": (conv_model, lambda m, sg: set_(sg.operators[0], inputs=np.array([0, -1, 2], np.int32)),
                                "node 0 (CONV_2D) has inputs [0, -1, 2], needs 2"),
    "window_options_valid": (conv_model, lambda m, sg: set_(sg.operators[0].builtinOptions, strideW=0),
                             "node 0 (CONV_2D): stride_w 0"),
    "operators_write_tensors": (conv_model, lambda m, sg: set_(sg.operators[0], outputs=np.array([1], np.int32)),
                                "node 0 (CONV_2D) writes tensor 1 'tensor_1'"),
    "single_writer": (relu_chain, lambda m, sg: set_(sg.operators[1], outputs=np.array([1], np.int32)),
                      "tensor 1 'y' is written by node 1 (RELU) and by node 0 (RELU)"),
    "dataflow_order": (relu_chain, lambda m, sg: set_(sg, operators=sg.operators[::-1]),
                       "node 0 (RELU) reads tensor 1 'y' before any operator writes it"),
    "outputs_computed": (relu_chain, lambda m, sg: set_(sg, outputs=np.array([3], np.int32)), "model output tensor 3 'spare'"),
}
ERRORS = {3: ModelReadError, 4: UnsupportedModelError}


def test_every_check_has_a_test():
    assert {c.name for c in CHECKS} == set(CASES)
    assert all(c.fn.__doc__ and c.fn.__doc__.strip() for c in CHECKS)


def test_the_models_pass():
    for make in (conv_model, relu_chain):
        read_model_bytes(make())


@pytest.mark.parametrize("name", [c.name for c in CHECKS])
def test_check(name):
    make, fn, text = CASES[name]
    c = next(c for c in CHECKS if c.name == name)
    t0 = time.perf_counter()
    e = refused(edit(make(), fn))
    assert time.perf_counter() - t0 < 5
    assert type(e) is c.error, e.message
    assert f"validation check '{name}'" in e.message and c.rule in e.message
    assert text in e.message, e.message


def test_external_buffer_past_the_end():
    e = refused(edit(conv_model(), _ext_past_end))
    assert isinstance(e, ModelReadError) and "ends past the file" in e.message


@pytest.mark.parametrize("scale", [np.inf, -np.inf, 0.0, -1.0])
def test_bad_scales(scale):
    e = refused(edit(conv_model(), lambda m, sg: set_(sg.tensors[3].quantization,
                                                      scale=np.array([scale], np.float32))))
    assert "scales_finite_positive" in e.message and "tensor 3" in e.message


def test_int16_zero_point_range():
    data = single_op_model("RELU", [TensorSpec((1, 4), "int16", 0.1, 40000)], [TensorSpec((1, 4), "int16", 0.1, 0)])
    e = refused(data)
    assert "zero_points_in_range" in e.message and "(int16): zero point(s) [40000]" in e.message


def test_huge_tensor_refused_before_allocation():
    """A 2^31-element tensor is refused by the file check, before any array of it exists."""
    import tracemalloc
    data = edit(conv_model(), lambda m, sg: set_(sg.tensors[3], shape=np.array([1, 32768, 65536, 1], np.int32)))
    tracemalloc.start()
    e = refused(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(e, UnsupportedModelError) and "2,147,483,648 bytes" in e.message
    assert peak < 50 << 20


def test_operator_without_inputs_is_a_clear_error():
    """The issue's Jinja UndefinedError case: an operator with no inputs."""
    e = refused(edit(conv_model(), lambda m, sg: set_(sg.operators[0], inputs=np.array([], np.int32))))
    assert e.exit_code in (3, 4) and "node 0" in e.message


def test_variable_tensors_may_be_read_first():
    t = [TensorSpec((1, 4), "int8", 0.1, 0, name=n) for n in ("x", "state", "y")]
    data = build_model(t, [OpSpec("ADD", [0, 1], [2])], [0], [2])
    data = edit(data, lambda m, sg: set_(sg.tensors[1], isVariable=True))
    g = read_model_bytes(data)
    assert g.tensors[1].is_variable
    e = refused(edit(data, lambda m, sg: set_(sg.tensors[1], isVariable=False)))
    assert "dataflow_order" in e.message


def test_handler_crash_names_the_node(monkeypatch):
    from mcugen.ops import handler
    h = handler("CONV_2D")

    def boom(*a, **k):
        raise ValueError("cannot reshape array")

    for method in ("lower", "scratch_bytes", "overlap"):
        with monkeypatch.context() as mp:
            mp.setattr(h, method, boom)
            with pytest.raises(HandlerError) as e:
                compile_bytes(conv_model(), "m", "m.tflite")
        assert e.value.exit_code == 4
        assert "node 0 (CONV_2D): mcugen's CONV_2D handler failed" in e.value.message
        assert "ValueError: cannot reshape array" in e.value.message


def test_cli_exit_codes_without_traceback(tmp_path, monkeypatch):
    cases = {"nan.tflite": (edit(conv_model(), CASES["scales_finite_positive"][1]), 3),
             "string.tflite": (edit(conv_model(), CASES["types_supported"][1]), 4)}
    for name, (data, code) in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        for cmd in (["build", str(p), "-o", str(tmp_path / "out")], ["inspect", str(p)]):
            r = CliRunner().invoke(main, cmd)
            assert r.exit_code == code and "Traceback" not in r.output, r.output
            assert "tensor 0 'tensor_0'" in r.output
    from mcugen.ops import handler
    monkeypatch.setattr(handler("CONV_2D"), "lower", lambda *a: 1 // 0)
    p = tmp_path / "ok.tflite"
    p.write_bytes(conv_model())
    r = CliRunner().invoke(main, ["build", str(p), "-o", str(tmp_path / "out2")])
    assert r.exit_code == 4 and "node 0 (CONV_2D)" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("case", [503, 1000, 1264, 1299, 2111, 2707, 2731])
def test_fuzzer_finds_of_seed_1(case):
    """Cases the long fuzz run (seed 1) found ending in internal errors (graph passes on bad operators)."""
    from tests.reliability import fuzz
    r = fuzz.run_case(case, 1, fuzz.base_models(fuzz.FIXTURES_2026_12))
    assert r.ok and r.code == 3, (r.notes, r.code, r.message)


def test_docs_table_is_current():
    from pathlib import Path
    from mcugen.frontend.validate import checks_markdown
    doc = (Path(__file__).resolve().parents[2] / "docs" / "validation.md").read_text()
    assert checks_markdown() in doc, "regenerate the table: python3 -m mcugen.frontend.validate"
