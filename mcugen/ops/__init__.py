"""Operator handlers, one module per operator family; importing this registers them all."""
from . import conv, fully_connected, pooling, reshape  # noqa: F401
from .base import Layer, LowerContext, OpHandler, handler, supported_ops

__all__ = ["Layer", "LowerContext", "OpHandler", "handler", "supported_ops"]
