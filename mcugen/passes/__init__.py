"""Stage 3: graph passes, run in order by run_passes()."""
from ..ir import Graph
from .alias_reshapes import alias_reshapes
from .fold_constants import fold_constants
from .fold_dequantize_weights import fold_dequantize_weights
from .fuse_activations import fuse_activations
from .fuse_dilated_conv import fuse_dilated_conv
from .uint8_to_int8 import uint8_to_int8

PASSES = (uint8_to_int8, fold_dequantize_weights, fuse_dilated_conv, fold_constants, alias_reshapes, fuse_activations)


def run_passes(graph: Graph) -> Graph:
    for p in PASSES:
        p(graph)
    graph.prune()
    return graph


__all__ = ["PASSES", "run_passes", "uint8_to_int8", "fuse_dilated_conv", "fold_constants", "fold_dequantize_weights", "alias_reshapes", "fuse_activations"]
