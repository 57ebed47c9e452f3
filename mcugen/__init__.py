"""mcugen: compile int8 TensorFlow Lite models to self-contained C for Cortex-M."""
from .version import __version__

__all__ = ["__version__", "build", "inspect", "run", "verify"]


def __getattr__(name):  # the API functions import their stages lazily, keeping `import mcugen` light
    if name in ("build", "inspect", "run", "verify"):
        from . import api
        return getattr(api, name)
    raise AttributeError(name)
