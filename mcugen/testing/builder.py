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

from dataclasses import dataclass, field

import flatbuffers
import numpy as np

from ..frontend import tflite_writer as W
from ..frontend.int4 import pack_int4

__all__ = ["TensorSpec", "OpSpec", "build_model", "single_op_model", "flexbuffer_options"]

_DTYPES = {  # dtype name -> little-endian numpy dtype
    "int8": "<i1", "uint8": "<u1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "float32": "<f4", "bool": "?",
    "int4": "<i1",  # data given as int8 values in [-8, 7], packed two per byte on write (frontend/int4.py)
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
            arr = np.asarray(spec.data).astype(_DTYPES[spec.dtype])
            if arr.size != int(np.prod(spec.shape, dtype=np.int64)):
                raise ValueError(f"data of {spec.name or 'tensor'} does not fit "
                                 f"shape {tuple(spec.shape)}")
            buffer_index.append(len(blobs))
            blobs.append(pack_int4(arr).tobytes() if spec.dtype == "int4" else arr.tobytes())
    buffers = [W.buffer(b, blob) for blob in blobs]
    tensor_offs = [W.tensor(b, s.name or f"tensor_{i}", s.shape, s.dtype, buffer_index[i],
                            None if s.scale is None else (s.scale, s.zero_point, s.quantized_dimension),
                            is_variable=s.is_variable)
                   for i, s in enumerate(tensors)]
    codes = list(dict.fromkeys(op.opcode for op in ops))  # dedupe, keep order
    code_offs = W.operator_codes(b, codes)
    op_offs = [W.operator(b, codes.index(op.opcode), op.opcode, op.inputs, op.outputs, op.options,
                          op.custom_options) for op in ops]
    return W.finish_model(b, tensor_offs, op_offs, code_offs, buffers, inputs, outputs, "mcugen.testing.builder")


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
