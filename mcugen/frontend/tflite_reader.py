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

_TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_NUMPY_TYPES = {
    "FLOAT32": "float32", "FLOAT16": "float16", "FLOAT64": "float64", "INT8": "int8", "UINT8": "uint8",
    "INT16": "int16", "UINT16": "uint16", "INT32": "int32", "UINT32": "uint32", "INT64": "int64",
    "BOOL": "bool",
}
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
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelReadError(
            f"{where} is not a TensorFlow Lite model: a .tflite file carries the identifier 'TFL3' at "
            f"byte 4, this file ({len(data)} bytes) does not. Convert the model with the TFLite converter first."
        )
    try:
        model = tflite.Model.GetRootAs(data, 0)
        return _convert(model, data)
    except (UnsupportedModelError, ModelReadError):
        raise
    except Exception as e:  # the flatbuffer library raises assorted errors on corrupt input
        raise ModelReadError(
            f"{where} is truncated or corrupt: reading its flatbuffer failed ({type(e).__name__}: {e}). "
            "Check that the file was copied completely."
        ) from None


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


def _quant(t) -> Quant | None:
    q = t.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None
    scale = q.ScaleAsNumpy().astype(np.float32)
    zp = q.ZeroPointAsNumpy() if q.ZeroPointLength() else np.zeros_like(scale, dtype=np.int64)
    return Quant(scale=scale, zero_point=np.asarray(zp, dtype=np.int64), axis=q.QuantizedDimension())


def _convert(model, data: bytes) -> Graph:
    if model.SubgraphsLength() < 1:
        raise ModelReadError("the model has no subgraph.")
    sg = model.Subgraphs(0)
    tensors: list[Tensor] = []
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        type_name = _TYPE_NAMES.get(t.Type(), str(t.Type()))
        dtype = _NUMPY_TYPES.get(type_name)
        shape = tuple(int(s) for s in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        buf = model.Buffers(t.Buffer())
        value = None
        if buf is not None and buf.DataLength() > 0:
            if dtype is None:
                raise UnsupportedModelError(f"tensor {i} ({t.Name().decode()}) has unsupported type {type_name}.")
            raw = buf.DataAsNumpy().tobytes()
            value = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype).reshape(shape)
        elif buf is not None and buf.Offset() > 1:  # large models keep buffers after the flatbuffer
            n = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            raw = data[buf.Offset(): buf.Offset() + buf.Size()]
            if len(raw) != n:
                raise ModelReadError(f"tensor {i}: its external buffer is truncated ({len(raw)} of {n} bytes).")
            value = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        tensors.append(Tensor(
            name=(t.Name() or b"t%d" % i).decode("utf-8", "replace"), shape=shape, dtype=dtype or type_name.lower(),
            quant=_quant(t), data=value, index=i, is_variable=bool(t.IsVariable()),
            shape_signature=tuple(int(s) for s in t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() else None,
        ))
    ops: list[Operator] = []
    for i in range(sg.OperatorsLength()):
        o = sg.Operators(i)
        code = model.OperatorCodes(o.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")
        if name == "CUSTOM":
            name = "CUSTOM:" + (code.CustomCode() or b"?").decode()
        ins = [tensors[j] if j >= 0 else None for j in o.InputsAsNumpy()] if o.InputsLength() else []
        outs = [tensors[j] for j in o.OutputsAsNumpy()] if o.OutputsLength() else []
        options = _read_options(o)
        if o.CustomOptionsLength():  # raw bytes (a FlexBuffer for most custom operators): the handler decodes them
            options["custom_options"] = o.CustomOptionsAsNumpy().tobytes()
        inter = [tensors[j] for j in o.IntermediatesAsNumpy()] if o.IntermediatesLength() else []
        ops.append(Operator(op=name, inputs=ins, outputs=outs, options=options, index=i, intermediates=inter))
    g_in = [tensors[j] for j in sg.InputsAsNumpy()] if sg.InputsLength() else []
    g_out = [tensors[j] for j in sg.OutputsAsNumpy()] if sg.OutputsLength() else []
    desc = (model.Description() or b"").decode("utf-8", "replace")
    sigs = []
    for k in range(model.SignatureDefsLength()):
        sd = model.SignatureDefs(k)
        if sd.SubgraphIndex() != 0:
            continue
        maps = [[((m.Name() or b"").decode(), tensors[m.TensorIndex()]) for m in (get(j) for j in range(n))]
                for get, n in ((sd.Inputs, sd.InputsLength()), (sd.Outputs, sd.OutputsLength()))]
        sigs.append(Signature((sd.SignatureKey() or b"").decode(), maps[0], maps[1]))
    return Graph(tensors=tensors, operators=ops, inputs=g_in, outputs=g_out, description=desc, signatures=sigs)
