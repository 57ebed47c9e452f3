"""The one place that finds mcugen's package data: the templates, the C runtime and the board files.

They live in the package as `mcugen/_data/{templates,runtime_c,boards}` and are found through
importlib.resources, never through paths relative to a source tree:
  - installed from a wheel (`pip install .`, `pipx install .`, a wheel file): real folders in site-packages;
  - in the source tree and with `pip install -e .`: symbolic links to the repository's root folders
    `templates/`, `runtime_c/`, `boards/`, so edits are live (see pyproject.toml, [tool.setuptools.package-data]).

Jinja's FileSystemLoader, the kernel copier and the board loader need real paths, so the package is
resolved with `importlib.resources.as_file` (a no-op for an installed or source package; a zipped package
would be extracted for the life of the process).
"""
from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from pathlib import Path

from .errors import InternalError

_DATA = ("templates", "runtime_c", "boards")
_stack = contextlib.ExitStack()
atexit.register(_stack.close)


def _package_dir() -> Path:
    return Path(_stack.enter_context(resources.as_file(resources.files(__package__))))


PACKAGE = _package_dir()          # the folder of the `mcugen` package
DATA = PACKAGE / "_data"


def data_dir(name: str) -> Path:
    """The folder of one kind of package data ('templates', 'runtime_c' or 'boards')."""
    if name not in _DATA:
        raise KeyError(name)
    return DATA / name


TEMPLATES = data_dir("templates")
RUNTIME_C = data_dir("runtime_c")
BOARDS = data_dir("boards")


def check() -> None:
    """Raise a clear error when the package data is missing (a broken install or a checkout without links)."""
    missing = [p for p in (TEMPLATES, RUNTIME_C, BOARDS) if not p.is_dir()]
    if missing:
        raise InternalError(
            f"mcugen's package data is missing: {', '.join(str(p) for p in missing)}. In a source checkout these "
            "are symbolic links to the root folders templates/, runtime_c/ and boards/ (clone with symlinks "
            "enabled, e.g. `git config core.symlinks true`); otherwise reinstall mcugen (`pip install mcugen-*.whl`).")
