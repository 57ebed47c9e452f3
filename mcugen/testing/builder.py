"""Build small TensorFlow Lite flatbuffer models for tests.

Models are assembled with the generated flatbuffer builder functions of the
``tflite`` package (schema 2.18) and ``flatbuffers.Builder``; no bytes are
written by hand.  Example::

    x = TensorSpec((1, 4), 'int8', scale=0.1, zero_point=0)
    y = TensorSpec((2, 2), 'int8', scale=0.1, zero_point=0)
    model = single_op_model('RESHAPE', [x], [y], {'new_shape': [2, 2]})

Layout of the produced model: version 3, one subgraph, buffer 0 is the empty
sentinel buffer shared by every non-constant tensor, and each constant
tensor (``TensorSpec.data`` set) owns a buffer with its little-endian bytes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite

__all__ = ["TensorSpec", "OpSpec", "build_model", "single_op_model", "flexbuffer_options"]

_DTYPES = {  # dtype name -> (TensorType, little-endian numpy dtype)
    "int8": (tflite.TensorType.INT8, "<i1"),
    "uint8": (tflite.TensorType.UINT8, "<u1"),
    "int16": (tflite.TensorType.INT16, "<i2"),
    "int32": (tflite.TensorType.INT32, "<i4"),
    "int64": (tflite.TensorType.INT64, "<i8"),
    "float32": (tflite.TensorType.FLOAT32, "<f4"),
    "bool": (tflite.TensorType.BOOL, "?"),
}

# Opcodes whose options table cannot be found by name (see _options_table).
_OPTIONS_OVERRIDES = {
    **dict.fromkeys(["AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"], "Pool2DOptions"),
    **dict.fromkeys(["MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD",
                     "REDUCE_ANY"], "ReducerOptions"),
    **dict.fromkeys(["MAXIMUM", "MINIMUM"], "MaximumMinimumOptions"),
    "L2_NORMALIZATION": "L2NormOptions",
}

# Defaults applied before user options: the schema default for strides is 0,
# which no kernel accepts.
_OPTION_DEFAULTS = dict.fromkeys(
    ["Conv2DOptions", "DepthwiseConv2DOptions", "Pool2DOptions"],
    {"stride_w": 1, "stride_h": 1})

# Enum-valued options: option name -> enum class (string values are looked up).
_ENUM_OPTIONS = {
    "padding": tflite.Padding,
    "fused_activation_function": tflite.ActivationFunctionType,
    "weights_format": tflite.FullyConnectedOptionsWeightsFormat,
    "mode": tflite.MirrorPadMode,
}


@dataclass
class TensorSpec:
    """A tensor of the model; set ``data`` to make it a constant."""

    shape: tuple
    dtype: str
    scale: float | list | None = None
    zero_point: int | list | None = None
    quantized_dimension: int = 0
    data: np.ndarray | None = None
    name: str | None = None
    is_variable: bool = False  # a state tensor (SVDF, LSTM) that keeps its value between invocations


@dataclass
class OpSpec:
    """An operator; ``inputs``/``outputs`` are tensor indices (-1 = absent).

    A custom operator has the opcode ``CUSTOM:<name>`` (an OperatorCode with builtin CUSTOM and
    custom_code <name>); its options are ``custom_options`` bytes (see ``flexbuffer_options``)."""

    opcode: str
    inputs: list[int]
    outputs: list[int]
    options: dict = field(default_factory=dict)
    custom_options: bytes | None = None


def flexbuffer_options(options: dict) -> bytes:
    """A custom operator's options as the FlexBuffer map TFLite kernels read (ints, floats, bools)."""
    from flatbuffers import flexbuffers
    return bytes(flexbuffers.Dumps(dict(options)))


def _camel(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def _options_table(opcode: str) -> str | None:
    """Name of the BuiltinOptions table for ``opcode`` or None if it has none.

    Most tables are named after the opcode (CONV_2D -> Conv2DOptions,
    SPACE_TO_BATCH_ND -> SpaceToBatchNDOptions), so match case-insensitively
    with underscores removed and fall back to the explicit override table.
    """
    if opcode in _OPTIONS_OVERRIDES:
        return _OPTIONS_OVERRIDES[opcode]
    wanted = opcode.replace("_", "").lower() + "options"
    for name in vars(tflite.BuiltinOptions):
        if name.lower() == wanted:
            return name
    return None


def _option_setters(table: str) -> dict:
    """Map CamelCase option names of ``table`` to their ``<table>Add<Name>`` functions."""
    prefix = table + "Add"
    return {fn[len(prefix):]: getattr(tflite, fn)
            for fn in dir(tflite) if fn.startswith(prefix)}


def _enum_value(key: str, value):
    if not isinstance(value, str):
        return int(value)
    enum = _ENUM_OPTIONS.get(key)
    if enum is None and key.endswith("type"):
        enum = tflite.TensorType
    if enum is None or not hasattr(enum, value.upper()):
        raise ValueError(f"option {key!r}: unknown enum value {value!r}")
    return getattr(enum, value.upper())


def _build_options(b: flatbuffers.Builder, opcode: str, options: dict):
    """Write the options table of one operator; return (union type, offset)."""
    table = _options_table(opcode)
    if table is None:
        if options:
            raise ValueError(f"{opcode} takes no options, got {sorted(options)}")
        return tflite.BuiltinOptions.NONE, None
    setters = _option_setters(table)
    unknown = {k for k in options if _camel(k) not in setters}
    if unknown:
        raise ValueError(f"unknown {table} option(s) {sorted(unknown)}; "
                         f"valid: {sorted(map(_snake, setters))}")
    values = {**_OPTION_DEFAULTS.get(table, {}), **options}
    # Vectors must be written before the table is started.
    vectors = {}
    for key, value in values.items():
        if isinstance(value, (list, tuple, np.ndarray)):
            vectors[key] = _int32_vector(b, value)
    getattr(tflite, table + "Start")(b)
    for key, value in values.items():
        if key in vectors:
            value = vectors[key]
        elif isinstance(value, str) or key in _ENUM_OPTIONS:
            value = _enum_value(key, value)
        setters[_camel(key)](b, value)
    return getattr(tflite.BuiltinOptions, table), getattr(tflite, table + "End")(b)


def _int32_vector(b: flatbuffers.Builder, values) -> int:
    return b.CreateNumpyVector(np.asarray(values, dtype="<i4"))


def _build_quantization(b: flatbuffers.Builder, spec: TensorSpec):
    scale = np.atleast_1d(np.asarray(spec.scale, dtype="<f4"))
    if spec.zero_point is None:
        zero_point = np.zeros(len(scale), dtype="<i8")
    else:
        zero_point = np.atleast_1d(np.asarray(spec.zero_point, dtype="<i8"))
    scale_vec = b.CreateNumpyVector(scale)
    zp_vec = b.CreateNumpyVector(zero_point)
    tflite.QuantizationParametersStart(b)
    tflite.QuantizationParametersAddScale(b, scale_vec)
    tflite.QuantizationParametersAddZeroPoint(b, zp_vec)
    tflite.QuantizationParametersAddQuantizedDimension(b, spec.quantized_dimension)
    return tflite.QuantizationParametersEnd(b)


def _build_tensor(b: flatbuffers.Builder, spec: TensorSpec, index: int, buffer: int):
    name = b.CreateString(spec.name or f"tensor_{index}")
    shape = _int32_vector(b, list(spec.shape))
    quant = None if spec.scale is None else _build_quantization(b, spec)
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape)
    tflite.TensorAddType(b, _DTYPES[spec.dtype][0])
    tflite.TensorAddBuffer(b, buffer)
    tflite.TensorAddName(b, name)
    if quant is not None:
        tflite.TensorAddQuantization(b, quant)
    if spec.is_variable:
        tflite.TensorAddIsVariable(b, True)
    return tflite.TensorEnd(b)


def _build_buffer(b: flatbuffers.Builder, data: bytes | None) -> int:
    vec = None
    if data:
        b.Prep(16, len(data))  # align constant data to 16 bytes like the converter
        vec = b.CreateByteVector(data)
    tflite.BufferStart(b)
    if vec is not None:
        tflite.BufferAddData(b, vec)
    return tflite.BufferEnd(b)


def _build_vector(b: flatbuffers.Builder, start_fn, offsets: list[int]) -> int:
    start_fn(b, len(offsets))
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _opcode_value(opcode: str) -> int:
    if opcode.startswith("CUSTOM:"):
        return tflite.BuiltinOperator.CUSTOM
    code = getattr(tflite.BuiltinOperator, opcode, None)
    if not isinstance(code, int):
        raise ValueError(f"unknown builtin operator {opcode!r}")
    return code


def build_model(tensors: list[TensorSpec], ops: list[OpSpec],
                inputs: list[int], outputs: list[int]) -> bytes:
    """Serialize a single-subgraph TFLite model and return its bytes."""
    b = flatbuffers.Builder(1024)
    # Buffers: 0 = empty sentinel, then one per constant tensor.
    blobs, buffer_index = [None], []
    for spec in tensors:
        if spec.dtype not in _DTYPES:
            raise ValueError(f"unsupported dtype {spec.dtype!r}; valid: {sorted(_DTYPES)}")
        if spec.data is None:
            buffer_index.append(0)
        else:
            arr = np.asarray(spec.data).astype(_DTYPES[spec.dtype][1])
            if arr.size != int(np.prod(spec.shape, dtype=np.int64)):
                raise ValueError(f"data of {spec.name or 'tensor'} does not fit "
                                 f"shape {tuple(spec.shape)}")
            buffer_index.append(len(blobs))
            blobs.append(arr.tobytes())
    buffers = [_build_buffer(b, blob) for blob in blobs]
    tensor_offs = [_build_tensor(b, s, i, buffer_index[i]) for i, s in enumerate(tensors)]

    codes = list(dict.fromkeys(op.opcode for op in ops))  # dedupe, keep order
    code_offs = []
    for opcode in codes:
        value = _opcode_value(opcode)
        custom = b.CreateString(opcode[len("CUSTOM:"):]) if opcode.startswith("CUSTOM:") else None
        tflite.OperatorCodeStart(b)
        if custom is not None:
            tflite.OperatorCodeAddCustomCode(b, custom)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(value, 127))
        tflite.OperatorCodeAddBuiltinCode(b, value)
        tflite.OperatorCodeAddVersion(b, 1)
        code_offs.append(tflite.OperatorCodeEnd(b))

    op_offs = []
    for op in ops:
        opt_type, opt_off = _build_options(b, op.opcode, op.options)
        op_in, op_out = _int32_vector(b, op.inputs), _int32_vector(b, op.outputs)
        custom = None if op.custom_options is None else b.CreateByteVector(bytes(op.custom_options))
        tflite.OperatorStart(b)
        if custom is not None:
            tflite.OperatorAddCustomOptions(b, custom)
        tflite.OperatorAddOpcodeIndex(b, codes.index(op.opcode))
        tflite.OperatorAddInputs(b, op_in)
        tflite.OperatorAddOutputs(b, op_out)
        if opt_off is not None:
            tflite.OperatorAddBuiltinOptionsType(b, opt_type)
            tflite.OperatorAddBuiltinOptions(b, opt_off)
        op_offs.append(tflite.OperatorEnd(b))

    tensors_vec = _build_vector(b, tflite.SubGraphStartTensorsVector, tensor_offs)
    ops_vec = _build_vector(b, tflite.SubGraphStartOperatorsVector, op_offs)
    in_vec, out_vec = _int32_vector(b, inputs), _int32_vector(b, outputs)
    sg_name = b.CreateString("main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddInputs(b, in_vec)
    tflite.SubGraphAddOutputs(b, out_vec)
    tflite.SubGraphAddOperators(b, ops_vec)
    tflite.SubGraphAddName(b, sg_name)
    subgraph = tflite.SubGraphEnd(b)

    subgraphs_vec = _build_vector(b, tflite.ModelStartSubgraphsVector, [subgraph])
    codes_vec = _build_vector(b, tflite.ModelStartOperatorCodesVector, code_offs)
    buffers_vec = _build_vector(b, tflite.ModelStartBuffersVector, buffers)
    description = b.CreateString("mcugen.testing.builder")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs_vec)
    tflite.ModelAddDescription(b, description)
    tflite.ModelAddBuffers(b, buffers_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def single_op_model(opcode: str, inputs: list[TensorSpec | None],
                    outputs: list[TensorSpec], options: dict | None = None,
                    custom_options: bytes | None = None) -> bytes:
    """Model with one operator; ``None`` inputs become absent (-1) inputs.

    For a custom operator (``CUSTOM:<name>``) pass its options as ``custom_options`` bytes.

    Tensors are numbered inputs first (skipping ``None``), then outputs; the
    subgraph inputs are the non-constant operator inputs.
    """
    tensors, op_inputs, graph_inputs = [], [], []
    for spec in inputs:
        if spec is None:
            op_inputs.append(-1)
            continue
        op_inputs.append(len(tensors))
        if spec.data is None and not spec.is_variable:
            graph_inputs.append(len(tensors))
        tensors.append(spec)
    op_outputs = list(range(len(tensors), len(tensors) + len(outputs)))
    tensors.extend(outputs)
    op = OpSpec(opcode, op_inputs, op_outputs, dict(options or {}), custom_options)
    return build_model(tensors, [op], graph_inputs, op_outputs)
