"""MCU_INPUT_ROWS: a streamed input's rows, asked from the caller (passes/stream_input.py, `--memory stream`).

An internal step, never in a .tflite file. It writes rows [first_row, first_row + rows) of model input
`input` by calling the callback the caller registered with NAME_set_input_rows; the generated model.c
holds the call (templates/project/model.c.j2: it needs the instance), so no runtime_c kernel exists.
Unfused it asks for every row at once; fused in a row-band group (planner/bands.py) each band asks for
the rows its window needs next, into the input's line buffer.
"""
from __future__ import annotations

from .base import Layer, OpHandler, register


@register
class InputRows(OpHandler):
    ops = ("MCU_INPUT_ROWS",)

    def scheme(self, op):
        return "any"

    def supported_types(self):
        return ["any element type: the input's own bytes"]

    def lower(self, op, ctx):
        y = op.outputs[0]
        return Layer(op, function="input_rows", struct="input_rows_params_t",
                     fields=[("input", int(op.options["input"])), ("first_row", 0), ("rows", int(y.shape[1]))],
                     args=["ctx", ctx.ptr(y)])
