"""Read a .tflite flatbuffer (through the `tflite` package) into an ir.Graph.

Only the first subgraph is compiled. Builtin options are read generically into a
dict of snake_case names, with enum values turned into their names
(padding 'SAME', fused_activation_function 'RELU6', ...).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import tflite

from ..errors import ModelReadError, UnsupportedModelError
from ..ir import Graph, Operator, Quant, Signature, Tensor
from .validate import RawBuffer, RawModel, RawOp, RawTensor, validate_graph, validate_raw
from .int4 import unpack_int4

_OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_OPTION_TYPES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}
_ENUM_OPTIONS = {
    "padding": tflite.Padding,
    "fused_activation_function": tflite.ActivationFunctionType,
}
_SKIP = ("Init", "GetRootAs")


def read_model(path: str | Path) -> Graph:
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ModelReadError(f"{p}: no such file.") from None
    except OSError as e:
        raise ModelReadError(f"{p}: {e.strerror}.") from None
    return read_model_bytes(data, str(p))


def read_model_bytes(data: bytes, where: str = "<bytes>") -> Graph:
    """Read and validate (frontend/validate.py): the Graph returned meets every validation check."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelReadError(
            f"{where} is not a TensorFlow Lite model: a .tflite file carries the identifier 'TFL3' at "
            f"byte 4, this file ({len(data)} bytes) does not. Convert the model with the TFLite converter first."
        )
    model = tflite.Model.GetRootAs(data, 0)
    raw = _corrupt_guard(where, "its tables", lambda: _raw(model, data))
    validate_raw(raw, where)
    graph = _corrupt_guard(where, "its tensors", lambda: _build(model, raw, data))
    validate_graph(graph, where)
    return graph


def _corrupt_guard(where: str, part: str, fn):
    try:
        return fn()
    except UnsupportedModelError:
        raise
    except ModelReadError as e:
        raise ModelReadError(f"{where} is inconsistent: {e.message}") from None
    except Exception as e:  # the flatbuffer library raises assorted errors on corrupt input
        raise ModelReadError(
            f"{where} is truncated or corrupt: reading {part} failed ({type(e).__name__}: {e}). "
            "Check that the file was copied completely."
        ) from None


def _ints(n: int, get, limit: int, what: str) -> list[int]:
    if n < 0 or n > limit:
        raise ModelReadError(f"{what} claims {n} entries, more than the file can hold")
    return [int(v) for v in get()] if n else []


def _snake(name: str) -> str:
    """'DilationHFactor' -> 'dilation_h_factor'."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _read_options(op) -> dict:
    kind = op.BuiltinOptionsType()
    if kind == 0 or op.BuiltinOptions() is None:
        return {}
    cls_name = _OPTION_TYPES[kind]
    cls = getattr(tflite, cls_name)
    table = op.BuiltinOptions()
    obj = cls()
    obj.Init(table.Bytes, table.Pos)
    out: dict = {}
    for name in dir(cls):
        if name.startswith("_") or name.startswith(_SKIP) or name.endswith(("Length", "IsNone", "AsNumpy")):
            continue
        if name.endswith("BufferHasIdentifier"):
            continue
        fn = getattr(obj, name)
        if hasattr(obj, name + "AsNumpy"):
            value = getattr(obj, name + "AsNumpy")()
            value = [] if isinstance(value, int) else [int(v) for v in value]
        else:
            try:
                value = fn()
            except TypeError:  # accessor that takes an index
                continue
        key = _snake(name)
        if key in _ENUM_OPTIONS:
            names = {v: k for k, v in vars(_ENUM_OPTIONS[key]).items() if not k.startswith("_")}
            value = names.get(value, value)
        out[key] = value
    return out


def _raw(model, data: bytes) -> RawModel:
    """The fields validation needs, read without trusting any index, size or type."""
    limit = len(data) // 4
    raw = RawModel(file_size=len(data), subgraphs=model.SubgraphsLength())
    if raw.subgraphs < 1:
        return raw
    if raw.subgraphs > limit:
        raise ModelReadError(f"the subgraph count {raw.subgraphs} is more than the file can hold")
    for i in range(_count(model.BuffersLength(), limit, "the buffer list")):
        b = model.Buffers(i)
        raw.buffers.append(RawBuffer() if b is None else RawBuffer(b.DataLength(), int(b.Offset()), int(b.Size())))
    for i in range(_count(model.OperatorCodesLength(), limit, "the operator code list")):
        code = model.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")
        if name == "CUSTOM":
            name = "CUSTOM:" + (code.CustomCode() or b"?").decode("utf-8", "replace")
        raw.opcodes.append(name)
    sg = model.Subgraphs(0)
    for i in range(_count(sg.TensorsLength(), limit, "the tensor list")):
        t = sg.Tensors(i)
        rt = RawTensor(index=i, name=(t.Name() or b"t%d" % i).decode("utf-8", "replace"), type_code=t.Type(),
                       shape=_ints(t.ShapeLength(), t.ShapeAsNumpy, limit, f"tensor {i}'s shape"),
                       buffer=int(t.Buffer()), variable=bool(t.IsVariable()))
        q = t.Quantization()
        if q is not None and q.ScaleLength() > 0:
            _count(q.ScaleLength(), limit, f"tensor {i}'s scales")
            rt.scale = np.asarray(q.ScaleAsNumpy(), dtype=np.float32).copy()
            rt.zero_point = (np.asarray(q.ZeroPointAsNumpy(), dtype=np.int64).copy()
                             if _count(q.ZeroPointLength(), limit, f"tensor {i}'s zero points") else None)
            rt.axis = int(q.QuantizedDimension())
        raw.tensors.append(rt)
    for i in range(_count(sg.OperatorsLength(), limit, "the operator list")):
        o = sg.Operators(i)
        op = RawOp(i, int(o.OpcodeIndex()), _ints(o.InputsLength(), o.InputsAsNumpy, limit, f"node {i}'s inputs"),
                   _ints(o.OutputsLength(), o.OutputsAsNumpy, limit, f"node {i}'s outputs"))
        if 0 <= op.opcode_index < len(raw.opcodes):
            op.name = raw.opcodes[op.opcode_index]
        raw.ops.append(op)
    raw.inputs = _ints(sg.InputsLength(), sg.InputsAsNumpy, limit, "the model's inputs")
    raw.outputs = _ints(sg.OutputsLength(), sg.OutputsAsNumpy, limit, "the model's outputs")
    return raw


def _count(n: int, limit: int, what: str) -> int:
    if n < 0 or n > limit:
        raise ModelReadError(f"{what} claims {n} entries, more than the file can hold")
    return n


def _build(model, raw: RawModel, data: bytes) -> Graph:
    """The IR of a RawModel that passed the file checks (indices, sizes and types are valid)."""
    tensors: list[Tensor] = []
    for rt in raw.tensors:
        dtype = rt.dtype
        buf = raw.buffers[rt.buffer]
        value = None
        if dtype is not None and (buf.data_len > 0 or buf.offset > 1):
            if buf.data_len > 0:
                raw_bytes = model.Buffers(rt.buffer).DataAsNumpy().tobytes()
            else:
                raw_bytes = data[buf.offset: buf.offset + buf.size]
            if dtype == "int4":  # two values per byte; the IR holds them as int8 (frontend/int4.py)
                value = unpack_int4(raw_bytes, rt.elements()).reshape(rt.shape)
            else:
                le = np.dtype(dtype).newbyteorder("<")
                value = np.frombuffer(raw_bytes, dtype=le).astype(dtype).reshape(rt.shape)
        quant = None
        if rt.scale is not None:
            zp = rt.zero_point if rt.zero_point is not None and rt.zero_point.size else np.zeros(rt.scale.size, np.int64)
            quant = Quant(scale=rt.scale, zero_point=zp, axis=rt.axis)
        tensors.append(Tensor(name=rt.name, shape=tuple(rt.shape), dtype=dtype or rt.type_name.lower(),
                              quant=quant, data=None if rt.variable else value, index=rt.index,
                              is_variable=rt.variable,  # state: TFLM ignores its buffer (planner/analysis.py)
                              shape_signature=_shape_signature(model, rt.index)))
    ops: list[Operator] = []
    sg = model.Subgraphs(0)
    for r in raw.ops:
        try:
            o = sg.Operators(r.index)
            options = _read_options(o)
            if o.CustomOptionsLength():  # raw bytes (a FlexBuffer for most custom operators): the handler decodes them
                options["custom_options"] = o.CustomOptionsAsNumpy().tobytes()
        except Exception as e:
            raise ModelReadError(f"node {r.index} ({r.name}): its options are corrupt "
                                 f"({type(e).__name__}: {e}).") from None
        inter = [int(j) for j in o.IntermediatesAsNumpy()] if o.IntermediatesLength() else []
        ops.append(Operator(op=r.name, inputs=[tensors[j] if j >= 0 else None for j in r.inputs],
                            outputs=[tensors[j] for j in r.outputs], options=options, index=r.index,
                            intermediates=[tensors[j] for j in inter if 0 <= j < len(tensors)]))
    desc = (model.Description() or b"").decode("utf-8", "replace")
    return Graph(tensors=tensors, operators=ops, inputs=[tensors[j] for j in raw.inputs],
                 outputs=[tensors[j] for j in raw.outputs], description=desc, signatures=_signatures(model, tensors))


def _shape_signature(model, index: int) -> tuple[int, ...] | None:
    t = model.Subgraphs(0).Tensors(index)
    return tuple(int(s) for s in t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() else None


def _signatures(model, tensors: list[Tensor]) -> list[Signature]:
    """The SignatureDefs of subgraph 0 (names of its inputs and outputs); entries naming no tensor are dropped."""
    sigs = []
    for k in range(model.SignatureDefsLength()):
        sd = model.SignatureDefs(k)
        if sd.SubgraphIndex() != 0:
            continue
        maps = []
        for get, n in ((sd.Inputs, sd.InputsLength()), (sd.Outputs, sd.OutputsLength())):
            entries = (get(j) for j in range(n))
            maps.append([((m.Name() or b"").decode("utf-8", "replace"), tensors[m.TensorIndex()])
                         for m in entries if 0 <= m.TensorIndex() < len(tensors)])
        sigs.append(Signature((sd.SignatureKey() or b"").decode("utf-8", "replace"), maps[0], maps[1]))
    return sigs
