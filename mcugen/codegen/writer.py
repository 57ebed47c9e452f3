"""Write a generated project to disk without ever overwriting a file mcugen did not write.

The output folder keeps a manifest (.mcugen-manifest) of the files mcugen wrote
with their SHA-256. A file that exists but is not in the manifest, or whose
content no longer matches it (a user edited it), stops the build with
OutputDirError unless force=True.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import OutputDirError

MANIFEST = ".mcugen-manifest"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_project(files: dict[str, str | bytes], out: str | Path, force: bool = False) -> list[Path]:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"{out} exists and is not a directory.")
    manifest_path = out / MANIFEST
    old: dict[str, str] = {}
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text())["files"]
        except (ValueError, KeyError, TypeError):
            raise OutputDirError(f"{manifest_path} is damaged; delete the folder or pass --force.") from None
    if not force:
        foreign = []
        for rel in sorted(files):
            p = out / rel
            if p.exists() and (rel not in old or _sha(p.read_bytes()) != old[rel]):
                foreign.append(rel)
        if foreign:
            listed = ", ".join(foreign[:8]) + (" ..." if len(foreign) > 8 else "")
            raise OutputDirError(
                f"{out} already holds files that mcugen did not write or that were edited since: {listed}. "
                "mcugen never overwrites those. Choose another output folder, move the files away, "
                "or pass --force to overwrite them.")
    written = []
    for rel in sorted(files):
        data = files[rel]
        data = data.encode() if isinstance(data, str) else data
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists() or p.read_bytes() != data:
            p.write_bytes(data)
        written.append(p)
    for rel in sorted(set(old) - set(files)):  # files of an earlier build that this one no longer makes
        p = out / rel
        if p.exists() and _sha(p.read_bytes()) == old[rel]:
            p.unlink()
    manifest = {"tool": "mcugen", "files": {rel: _sha(_bytes(files[rel])) for rel in sorted(files)}}
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return written


def _bytes(d: str | bytes) -> bytes:
    return d.encode() if isinstance(d, str) else d
