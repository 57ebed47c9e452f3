"""Stage 1: read a model file into the IR."""
from .tflite_reader import read_model, read_model_bytes

__all__ = ["read_model", "read_model_bytes"]
