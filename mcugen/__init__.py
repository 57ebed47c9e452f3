"""mcugen: compile int8 TensorFlow Lite models to self-contained C for Cortex-M."""
from .version import __version__

__all__ = ["__version__", "build", "inspect", "run", "verify", "quantize"]


def __getattr__(name):  # the API functions import their stages lazily, keeping `import mcugen` light
    if name in ("build", "inspect", "run", "verify"):
        from . import api
        return getattr(api, name)
    if name == "quantize":  # the package mcugen.quantize, callable as the function (see its __init__)
        import importlib
        return importlib.import_module(".quantize", __name__)
    raise AttributeError(name)
