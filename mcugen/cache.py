"""Build cache for `mcugen run` / `verify`: one generated project per (model, board, name, mcugen sources).

The key hashes the model bytes, the board, the model name, the mcugen version
and the content of the templates, runtime and package sources, so a changed
generator never reuses a stale build. MCUGEN_CACHE_DIR overrides the location
(default ~/.cache/mcugen).
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from .resources import DATA, PACKAGE, RUNTIME_C, TEMPLATES
from .version import __version__


def cache_root() -> Path:
    base = os.environ.get("MCUGEN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "mcugen")
    return Path(base)


@lru_cache(maxsize=1)
def _sources_digest() -> str:
    h = hashlib.sha256()
    for label, folder in (("mcugen", PACKAGE), ("templates", TEMPLATES), ("runtime_c", RUNTIME_C)):
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p.suffix in (".py", ".j2", ".c", ".h") and DATA not in p.parents:
                h.update(f"{label}/{p.relative_to(folder).as_posix()}".encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def build_key(model: bytes, board: str, name: str) -> str:
    h = hashlib.sha256()
    for part in (model, board.encode(), name.encode(), __version__.encode(), _sources_digest().encode()):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:24]
