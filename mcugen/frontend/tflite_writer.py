"""Write an ir.Graph as a .tflite flatbuffer: the reader's twin.

Everything is written with the generated builder functions of the `tflite` package (schema 2.18) and
`flatbuffers.Builder`; no byte is placed by hand. What the reader fills in comes back out: tensors (type,
shape, shape_signature, per-tensor or per-axis quantization, variable flag, constant data), operators in
their order with their builtin options (the reader's snake_case dict, enum names or values) or a custom
operator's custom_options bytes, LSTM intermediates, the subgraph's inputs and outputs, the description
and the SignatureDefs. `read_model_bytes(write_model(g))` gives back the same IR.

Layout: model version 3, one subgraph named "main", buffer 0 the empty sentinel shared by every
non-constant tensor, one buffer per constant tensor with its little-endian bytes aligned to 16 bytes
(as the converter does). Every operator code has version 1 (TFLM and LiteRT pick kernels by type, not by
version). Metadata entries (min_runtime_version, conversion metadata) are not kept.
"""
from __future__ import annotations

import re

import flatbuffers
import numpy as np
import tflite

from ..ir import Graph, Tensor
from .int4 import pack_int4

__all__ = ["write_model", "build_options", "options_table", "tensor_type"]

# Opcodes whose options table cannot be found from the opcode's name (see options_table).
_OPTIONS_OVERRIDES = {
    **dict.fromkeys(["AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"], "Pool2DOptions"),
    **dict.fromkeys(["MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY"], "ReducerOptions"),
    **dict.fromkeys(["MAXIMUM", "MINIMUM"], "MaximumMinimumOptions"),
    "L2_NORMALIZATION": "L2NormOptions",
    "LSTM": "LSTMOptions",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions",
    "BIDIRECTIONAL_SEQUENCE_LSTM": "BidirectionalSequenceLSTMOptions",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
}

# Defaults applied under the caller's options when `defaults=True`: the schema default for strides is 0,
# which no kernel accepts.
_OPTION_DEFAULTS = dict.fromkeys(["Conv2DOptions", "DepthwiseConv2DOptions", "Pool2DOptions"],
                                 {"stride_w": 1, "stride_h": 1})

# Enum-valued options: option name -> enum class (string values are looked up by name).
_ENUM_OPTIONS = {
    "padding": tflite.Padding,
    "fused_activation_function": tflite.ActivationFunctionType,
    "weights_format": tflite.FullyConnectedOptionsWeightsFormat,
    "mode": tflite.MirrorPadMode,
}

_TENSOR_TYPES = {k.lower(): v for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}


def tensor_type(dtype: str) -> int:
    """The TensorType of an IR dtype name ('int8' -> INT8; 'bool', 'float16', 'int4' ... likewise)."""
    try:
        return _TENSOR_TYPES[dtype.lower()]
    except KeyError:
        raise ValueError(f"unsupported dtype {dtype!r}; valid: {sorted(_TENSOR_TYPES)}") from None


def _camel(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def _snake(camel: str) -> str:
    camel = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", camel)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", camel).lower()


def options_table(opcode: str) -> str | None:
    """Name of the BuiltinOptions table of `opcode`, or None if it has none.

    Most tables are named after the opcode (CONV_2D -> Conv2DOptions, SPACE_TO_BATCH_ND ->
    SpaceToBatchNDOptions): match case-insensitively with underscores removed, else the override table.
    """
    if opcode in _OPTIONS_OVERRIDES:
        return _OPTIONS_OVERRIDES[opcode]
    wanted = opcode.replace("_", "").lower() + "options"
    for name in vars(tflite.BuiltinOptions):
        if name.lower() == wanted:
            return name
    return None


def _option_setters(table: str) -> dict:
    """snake_case option names of `table` -> their `<table>Add<Name>` functions, spelled as the
    reader spells them; `_setter` also accepts any key whose CamelCase is the setter's name."""
    prefix = table + "Add"
    return {_snake(fn[len(prefix):]): getattr(tflite, fn) for fn in dir(tflite) if fn.startswith(prefix)}


def _setter(setters: dict, camel: dict, key: str):
    return setters.get(key) or camel.get(_camel(key))


def _enum_value(key: str, value):
    if not isinstance(value, str):
        return int(value)
    enum = _ENUM_OPTIONS.get(key)
    if enum is None and key.endswith("type"):
        enum = tflite.TensorType
    if enum is None or not hasattr(enum, value.upper()):
        raise ValueError(f"option {key!r}: unknown enum value {value!r}")
    return getattr(enum, value.upper())


def build_options(b: flatbuffers.Builder, opcode: str, options: dict, always: bool = True,
                  defaults: bool = True):
    """Write the builtin options table of one operator; return (union type, offset or None).

    `options`: snake_case names (as the reader gives them) to values: numbers, bools, enum names or
    values, lists of ints. `always`: write a table even for an empty dict (else an empty dict writes
    none, so that a model whose operator had no table reads back the same). `defaults`: fill in the
    defaults kernels need (strides 1) under the given options."""
    options = {k: v for k, v in options.items() if v is not None and k != "custom_options"}
    table = options_table(opcode)
    if table is None or (not options and not always):
        if options:
            raise ValueError(f"{opcode} takes no options, got {sorted(options)}")
        return tflite.BuiltinOptions.NONE, None
    setters = _option_setters(table)
    camel = {_camel(k): fn for k, fn in setters.items()}
    camel.update({fn.__name__[len(table) + 3:]: fn for fn in setters.values()})
    unknown = {k for k in options if _setter(setters, camel, k) is None}
    if unknown:
        raise ValueError(f"unknown {table} option(s) {sorted(unknown)}; valid: {sorted(setters)}")
    values = {**(_OPTION_DEFAULTS.get(table, {}) if defaults else {}), **options}
    vectors = {k: b.CreateNumpyVector(np.asarray(v, dtype="<i4"))  # vectors come before the table
               for k, v in values.items() if isinstance(v, (list, tuple, np.ndarray))}
    getattr(tflite, table + "Start")(b)
    for key, value in values.items():
        if key in vectors:
            value = vectors[key]
        elif isinstance(value, str) or key in _ENUM_OPTIONS:
            value = _enum_value(key, value)
        _setter(setters, camel, key)(b, value)
    return getattr(tflite.BuiltinOptions, table), getattr(tflite, table + "End")(b)


def opcode_value(opcode: str) -> int:
    if opcode.startswith("CUSTOM:"):
        return tflite.BuiltinOperator.CUSTOM
    code = getattr(tflite.BuiltinOperator, opcode, None)
    if not isinstance(code, int):
        raise ValueError(f"unknown builtin operator {opcode!r}")
    return code


def int32_vector(b: flatbuffers.Builder, values) -> int:
    return b.CreateNumpyVector(np.asarray(values, dtype="<i4"))


def offsets_vector(b: flatbuffers.Builder, start_fn, offsets: list[int]) -> int:
    start_fn(b, len(offsets))
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def buffer(b: flatbuffers.Builder, data: bytes | None) -> int:
    vec = None
    if data:
        b.Prep(16, len(data))  # constant data aligned to 16 bytes, like the converter
        vec = b.CreateByteVector(data)
    tflite.BufferStart(b)
    if vec is not None:
        tflite.BufferAddData(b, vec)
    return tflite.BufferEnd(b)


def quantization(b: flatbuffers.Builder, scale, zero_point, axis: int) -> int:
    scale = np.atleast_1d(np.asarray(scale, dtype="<f4"))
    zp = np.zeros(len(scale), dtype="<i8") if zero_point is None else np.atleast_1d(np.asarray(zero_point, "<i8"))
    scale_vec, zp_vec = b.CreateNumpyVector(scale), b.CreateNumpyVector(zp)
    tflite.QuantizationParametersStart(b)
    tflite.QuantizationParametersAddScale(b, scale_vec)
    tflite.QuantizationParametersAddZeroPoint(b, zp_vec)
    tflite.QuantizationParametersAddQuantizedDimension(b, int(axis))
    return tflite.QuantizationParametersEnd(b)


def tensor(b: flatbuffers.Builder, name: str, shape, dtype: str, buffer_index: int, quant=None,
           is_variable: bool = False, shape_signature=None) -> int:
    """One Tensor table; `quant`: (scale, zero_point, axis) or None."""
    name_off = b.CreateString(name)
    shape_off = int32_vector(b, list(shape))
    sig_off = None if shape_signature is None else int32_vector(b, list(shape_signature))
    q_off = None if quant is None else quantization(b, *quant)
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape_off)
    tflite.TensorAddType(b, tensor_type(dtype))
    tflite.TensorAddBuffer(b, buffer_index)
    tflite.TensorAddName(b, name_off)
    if q_off is not None:
        tflite.TensorAddQuantization(b, q_off)
    if is_variable:
        tflite.TensorAddIsVariable(b, True)
    if sig_off is not None:
        tflite.TensorAddShapeSignature(b, sig_off)
    return tflite.TensorEnd(b)


def operator_codes(b: flatbuffers.Builder, opcodes: list[str]) -> list[int]:
    out = []
    for opcode in opcodes:
        value = opcode_value(opcode)
        custom = b.CreateString(opcode[len("CUSTOM:"):]) if opcode.startswith("CUSTOM:") else None
        tflite.OperatorCodeStart(b)
        if custom is not None:
            tflite.OperatorCodeAddCustomCode(b, custom)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(value, 127))  # 127: PLACEHOLDER_FOR_GREATER_OP_CODES
        tflite.OperatorCodeAddBuiltinCode(b, value)
        tflite.OperatorCodeAddVersion(b, 1)
        out.append(tflite.OperatorCodeEnd(b))
    return out


def operator(b: flatbuffers.Builder, opcode_index: int, opcode: str, inputs: list[int], outputs: list[int],
             options: dict, custom_options: bytes | None = None, intermediates: list[int] | None = None,
             always_options: bool = True, defaults: bool = True) -> int:
    opt_type, opt_off = build_options(b, opcode, options, always=always_options, defaults=defaults)
    in_off, out_off = int32_vector(b, inputs), int32_vector(b, outputs)
    inter_off = int32_vector(b, intermediates) if intermediates else None
    custom = None if custom_options is None else b.CreateByteVector(bytes(custom_options))
    tflite.OperatorStart(b)
    if custom is not None:
        tflite.OperatorAddCustomOptions(b, custom)
    tflite.OperatorAddOpcodeIndex(b, opcode_index)
    tflite.OperatorAddInputs(b, in_off)
    tflite.OperatorAddOutputs(b, out_off)
    if inter_off is not None:
        tflite.OperatorAddIntermediates(b, inter_off)
    if opt_off is not None:
        tflite.OperatorAddBuiltinOptionsType(b, opt_type)
        tflite.OperatorAddBuiltinOptions(b, opt_off)
    return tflite.OperatorEnd(b)


def _signature(b: flatbuffers.Builder, key: str, inputs: list[tuple[str, int]], outputs: list[tuple[str, int]]):
    def maps(pairs, start_fn):
        offs = []
        for name, index in pairs:
            n = b.CreateString(name)
            tflite.TensorMapStart(b)
            tflite.TensorMapAddName(b, n)
            tflite.TensorMapAddTensorIndex(b, index)
            offs.append(tflite.TensorMapEnd(b))
        return offsets_vector(b, start_fn, offs)
    in_vec = maps(inputs, tflite.SignatureDefStartInputsVector)
    out_vec = maps(outputs, tflite.SignatureDefStartOutputsVector)
    key_off = b.CreateString(key)
    tflite.SignatureDefStart(b)
    tflite.SignatureDefAddInputs(b, in_vec)
    tflite.SignatureDefAddOutputs(b, out_vec)
    tflite.SignatureDefAddSignatureKey(b, key_off)
    tflite.SignatureDefAddSubgraphIndex(b, 0)
    return tflite.SignatureDefEnd(b)


def finish_model(b: flatbuffers.Builder, tensor_offs: list[int], op_offs: list[int], code_offs: list[int],
                 buffer_offs: list[int], inputs: list[int], outputs: list[int], description: str,
                 signatures: list[tuple[str, list, list]] = ()) -> bytes:
    """Assemble subgraph 0 and the model around already-written tables; return the file's bytes."""
    tensors_vec = offsets_vector(b, tflite.SubGraphStartTensorsVector, tensor_offs)
    ops_vec = offsets_vector(b, tflite.SubGraphStartOperatorsVector, op_offs)
    in_vec, out_vec = int32_vector(b, inputs), int32_vector(b, outputs)
    sg_name = b.CreateString("main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddInputs(b, in_vec)
    tflite.SubGraphAddOutputs(b, out_vec)
    tflite.SubGraphAddOperators(b, ops_vec)
    tflite.SubGraphAddName(b, sg_name)
    subgraph = tflite.SubGraphEnd(b)
    sig_offs = [_signature(b, *s) for s in signatures]
    subgraphs_vec = offsets_vector(b, tflite.ModelStartSubgraphsVector, [subgraph])
    codes_vec = offsets_vector(b, tflite.ModelStartOperatorCodesVector, code_offs)
    buffers_vec = offsets_vector(b, tflite.ModelStartBuffersVector, buffer_offs)
    sigs_vec = offsets_vector(b, tflite.ModelStartSignatureDefsVector, sig_offs) if sig_offs else None
    desc = b.CreateString(description)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs_vec)
    tflite.ModelAddDescription(b, desc)
    tflite.ModelAddBuffers(b, buffers_vec)
    if sigs_vec is not None:
        tflite.ModelAddSignatureDefs(b, sigs_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def constant_bytes(t: Tensor) -> bytes:
    """The little-endian bytes of a constant tensor's data."""
    arr = np.asarray(t.data)
    if arr.size != t.size:
        raise ValueError(f"tensor {t.name!r}: data holds {arr.size} values, shape {tuple(t.shape)} needs {t.size}")
    if t.dtype == "bool":
        return arr.astype(np.bool_).tobytes()
    if t.dtype == "int4":  # int8 values in [-8, 7], two per byte (frontend/int4.py)
        return pack_int4(arr).tobytes()
    return np.ascontiguousarray(arr.astype(np.dtype(t.dtype).newbyteorder("<"))).tobytes()


def write_model(graph: Graph) -> bytes:
    """Serialize `graph` (its tensors, operators, inputs, outputs, description, signatures) as a .tflite."""
    b = flatbuffers.Builder(1024 + sum(t.size if t.dtype == "int4" else t.nbytes for t in graph.tensors if t.is_const))
    tensors = list(graph.tensors)
    index = {id(t): i for i, t in enumerate(tensors)}
    referenced = [t for op in graph.operators for t in op.inputs + op.outputs + op.intermediates if t is not None]
    referenced += graph.inputs + graph.outputs + [t for s in graph.signatures for _, t in s.inputs + s.outputs]
    for t in referenced:  # a tensor missing from graph.tensors is appended rather than lost
        if id(t) not in index:
            index[id(t)] = len(tensors)
            tensors.append(t)
    blobs, buffer_index = [None], []
    for t in tensors:
        if t.is_const:
            buffer_index.append(len(blobs))
            blobs.append(constant_bytes(t))
        else:
            buffer_index.append(0)
    buffer_offs = [buffer(b, blob) for blob in blobs]
    tensor_offs = [tensor(b, t.name, t.shape, t.dtype, buffer_index[i],
                          None if t.quant is None else (t.quant.scale, t.quant.zero_point, t.quant.axis),
                          t.is_variable, t.shape_signature) for i, t in enumerate(tensors)]
    opcodes = list(dict.fromkeys(op.op for op in graph.operators))
    code_offs = operator_codes(b, opcodes)

    def idx(ts):
        return [index[id(t)] if t is not None else -1 for t in ts]
    op_offs = [operator(b, opcodes.index(op.op), op.op, idx(op.inputs), idx(op.outputs), op.options,
                        op.options.get("custom_options"), idx(op.intermediates), always_options=False,
                        defaults=False)
               for op in graph.operators]
    sigs = [(s.key, [(n, index[id(t)]) for n, t in s.inputs], [(n, index[id(t)]) for n, t in s.outputs])
            for s in graph.signatures]
    return finish_model(b, tensor_offs, op_offs, code_offs, buffer_offs, idx(graph.inputs), idx(graph.outputs),
                        graph.description, sigs)
