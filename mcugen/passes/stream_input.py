"""`--memory stream`: the model's image inputs come row by row from the caller instead of living whole in
the arena.

For each int8 input of shape [1, H, W, C] with H >= 2, a MCU_INPUT_ROWS step is placed first: it produces the
input tensor by asking the caller's callback for rows (`NAME_set_input_rows`, see templates/project/model.h.j2).
Unfused, the step asks for all H rows at once and the tensor is whole in the arena, as before. When the
row-band planner (planner/bands.py) fuses the step with the layers that read the input, the tensor becomes a
line buffer of the rows those layers still read, and each band asks the callback for the next rows only: a
96x96x3 image costs a few rows of the arena instead of 27,648 bytes. The values are the model's own (already
quantized) input elements, so the arithmetic, and the outputs, are unchanged.

Runs after the graph passes (it is not one of them: only `--memory stream` asks for it).
"""
from __future__ import annotations

from ..errors import UsageError
from ..ir import Graph, Operator

INPUT_ROWS = "MCU_INPUT_ROWS"


def streamable(t) -> bool:
    """An input the caller can give by rows: int8 (what the row-band layers read), NHWC, batch 1, at least
    two rows."""
    return len(t.shape) == 4 and t.shape[0] == 1 and t.shape[1] >= 2 and not t.is_variable and t.dtype == "int8"


def stream_inputs(graph: Graph, where: str) -> list[int]:
    """Insert the MCU_INPUT_ROWS steps; returns the indices of the streamed inputs."""
    outputs = {id(t.root()) for t in graph.outputs}
    streamed = [i for i, t in enumerate(graph.inputs) if streamable(t) and id(t) not in outputs]
    if not streamed:
        shapes = ", ".join(f"'{t.name}' {list(t.shape)}" for t in graph.inputs) or "none"
        raise UsageError(f"{where}: --memory stream needs an int8 input of shape [1, H, W, C] with H >= 2 to "
                         f"give by rows; the model's inputs: {shapes}. Use --memory min.")
    steps = [Operator(INPUT_ROWS, [], [graph.inputs[i]], {"input": i}, index=-1) for i in streamed]
    graph.operators[:0] = steps
    return streamed


__all__ = ["INPUT_ROWS", "stream_inputs", "streamable"]
