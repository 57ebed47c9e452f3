"""Several models in one project with one copy of the kernels (`mcugen build a.tflite b.tflite`).

Each model is generated as usual (codegen/project.py) but with one runtime prefix for its kernels, so the
kernel files of every model are the same bytes under the same names: the project keeps one copy of each
(the union over the models). The model files (NAME.c, NAME.h, NAME_weights.*, NAME_kernels.h, the harness,
start-up code and linker script) keep their own prefixes. One library, lib<runtime>.a, holds all of it;
the Makefile and CMakeLists.txt are the single-model templates rendered for the list of models.
"""
from __future__ import annotations

import json

from ..boards import Board
from ..errors import InternalError
from ..version import __version__
from .project import GeneratedProject, _env

#: the build files each model's project renders for itself; the shared project renders them once
_PER_PROJECT = ("Makefile", "CMakeLists.txt", "README.md", "report.json")


def combine(projects: list[GeneratedProject], board: Board) -> dict[str, str]:
    """The files of one project holding every model of `projects` (all generated with the same runtime
    prefix) and the union of their kernels, stored once."""
    runtimes = {p.runtime for p in projects}
    if len(runtimes) != 1:
        raise InternalError(f"models generated with different runtime prefixes {sorted(runtimes)}")
    rt = runtimes.pop()
    files: dict[str, str] = {}
    owner: dict[str, str] = {}
    for p in projects:
        for rel, text in p.files.items():
            if rel in _PER_PROJECT:
                continue
            if rel in files and files[rel] != text:
                raise InternalError(f"'{rel}' differs between models {owner[rel]} and {p.name}: a kernel file "
                                    "must be the same for every model of a shared runtime")
            files.setdefault(rel, text)
            owner.setdefault(rel, p.name)
        files[f"report_{p.name}.json"] = p.files["report.json"]
        files[f"README_{p.name}.md"] = p.files["README.md"]
    kernels = sorted({f for p in projects for f in p.kernel_files})
    lib_sources = sorted({s for p in projects for s in p.lib_sources})
    v = {
        "rt": rt, "lib": rt, "board": board, "version": __version__, "lib_sources": lib_sources,
        "models": [{"name": p.name, "NAME": p.name.upper(), "report": p.report} for p in projects],
        "kernel_sources": [k for k in kernels if k.endswith(".c")],
        "source": ", ".join(p.report["model"] for p in projects), "name": rt,
        "model_sha256": ", ".join(p.report["model_sha256"][:16] for p in projects),
    }
    env = _env()
    for tpl, out in (("project/Makefile.j2", "Makefile"), ("project/CMakeLists.txt.j2", "CMakeLists.txt"),
                     ("project/README_shared.md.j2", "README.md")):
        files[out] = env.get_template(tpl).render(**v)
    files["report.json"] = json.dumps({
        "mcugen_version": __version__, "board": board.name, "runtime": rt, "library": f"lib{rt}.a",
        "models": [p.name for p in projects], "kernel_files": kernels,
        "model_reports": [f"report_{p.name}.json" for p in projects],
    }, indent=1, sort_keys=True) + "\n"
    return files


__all__ = ["combine"]
