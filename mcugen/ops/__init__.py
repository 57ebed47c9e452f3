"""Operator handlers, one module per operator family; importing this package registers them all."""
import importlib
import pkgutil

from .base import Layer, LowerContext, OpHandler, handler, supported_ops

for _m in pkgutil.iter_modules(__path__):
    if _m.name != "base":
        importlib.import_module(f"{__name__}.{_m.name}")

__all__ = ["Layer", "LowerContext", "OpHandler", "handler", "supported_ops"]
