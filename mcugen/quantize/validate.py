"""Check a written quantized model: it reads back, and mcugen's support check passes every operator."""
from __future__ import annotations

from ..errors import InternalError, McugenError, UnsupportedModelError
from ..frontend import read_model_bytes
from ..ir import Graph


def validate(model: bytes) -> Graph:
    try:
        g = read_model_bytes(model, "the quantized model")
    except McugenError as e:
        raise InternalError(f"the quantized model does not read back: {e.message}") from None
    from ..support import problems
    found = problems(g)
    if found:
        lines = "\n".join(f"  node {i}: {op}: {why}" for i, op, why in found)
        raise UnsupportedModelError(f"the quantized model was made, but {len(found)} of its operators break "
                                    f"mcugen's support rules, so it could not be compiled:\n{lines}")
    return g
