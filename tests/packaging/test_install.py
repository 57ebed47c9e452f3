"""mcugen installs like any Python tool: the wheel and the sdist work from any folder.

Once per session: the source tree is copied (as a fresh checkout would be, links included) and
`python -m build` makes (1) a wheel straight from the tree, what `pip install .` does, and (2) an sdist
and the wheel built from that sdist, what `pip install mcugen-*.tar.gz` does. Each wheel goes into its own
fresh virtual environment, offline: `--no-index --no-deps`, the dependencies coming from this machine
through `--system-site-packages`. Then, from an unrelated folder, the installed `mcugen` must print its
version, list its boards, build a project and the generated project must compile and give TFLM's bytes.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import need_arm_tools

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "tiny_cnn.tflite"
# What a checkout holds that a build reads; tests, docs and examples are not part of the package.
SOURCE_ITEMS = ("pyproject.toml", "README.md", "mcugen", "templates", "runtime_c", "boards")
DATA = ("templates", "runtime_c", "boards")
VERSION = subprocess.run([sys.executable, "-c", "import mcugen.version as v; print(v.__version__)"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()


def _run(cmd, cwd=None, env=None, check=True, timeout=300):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def _clean_env(**extra) -> dict:
    """No PYTHONPATH and no source tree on the path: the venv's own mcugen must be the one imported."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH")}
    env.update(extra)
    return env


def _builder_python(cache: Path) -> str:
    """A Python with `build` and `wheel` (setuptools < 70.1 needs `wheel` for bdist_wheel).

    This interpreter if it has them (the `test` extra installs them); otherwise a tools venv kept in
    the mcugen cache folder, filled from the package index once and then reused offline.
    """
    if all(importlib.util.find_spec(m) for m in ("build", "wheel")):
        return sys.executable
    venv = cache / "packaging-tools"
    py = venv / "bin" / "python"
    probe = [str(py), "-c", "import build, wheel"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return str(py)
    import fcntl
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "packaging-tools.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (py.exists() and subprocess.run(probe, capture_output=True).returncode == 0):
            shutil.rmtree(venv, ignore_errors=True)
            _run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", venv])
            _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "build>=1.0", "wheel"], timeout=600)
    return str(py)


def _copy_checkout(dst: Path) -> Path:
    dst.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", "*.o", "*.a")
    for item in SOURCE_ITEMS:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dst / item, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(src, dst / item)
    return dst


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """{"tree": wheel built from the source tree, "sdist": the sdist, "sdist-wheel": the wheel built from it}."""
    from mcugen.cache import cache_root
    py = _builder_python(cache_root())
    base = tmp_path_factory.mktemp("dists")
    src = _copy_checkout(base / "src")
    env = _clean_env()
    _run([py, "-m", "build", "--no-isolation", "--wheel", "--outdir", base / "tree", src], env=env)
    _run([py, "-m", "build", "--no-isolation", "--outdir", base / "sdist", src], env=env)  # sdist, then wheel from it
    out = {"tree": next((base / "tree").glob("*.whl")), "sdist": next((base / "sdist").glob("*.tar.gz")),
           "sdist-wheel": next((base / "sdist").glob("*.whl"))}
    out["src"] = src
    out["builder"] = py
    return out


def _venv(path: Path) -> Path:
    _run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", path])
    return path / "bin"


def _pip_install(bin_dir: Path, *args):
    _run([sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q", "--no-index", "--no-deps",
          "--ignore-installed", *args], env=_clean_env())


@pytest.fixture(scope="module")
def installed(dists, tmp_path_factory):
    """A fresh venv per wheel with that wheel installed: {"tree": bin folder, "sdist-wheel": bin folder}."""
    bins = {}
    for kind in ("tree", "sdist-wheel"):
        b = _venv(tmp_path_factory.mktemp(f"venv-{kind}") / "venv")
        _pip_install(b, dists[kind])
        bins[kind] = b
    return bins


def test_wheel_contents(dists):
    """Both wheels carry the templates, the C runtime, the boards and the QEMU plugin source, and the metadata."""
    for kind in ("tree", "sdist-wheel"):
        with zipfile.ZipFile(dists[kind]) as z:
            names = set(z.namelist())
            meta = z.read(f"mcugen-{VERSION}.dist-info/METADATA").decode()
            entry = z.read(f"mcugen-{VERSION}.dist-info/entry_points.txt").decode()
        for folder in DATA:
            expected = {f"mcugen/_data/{folder}/{p.relative_to(ROOT / folder).as_posix()}"
                        for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
            assert expected and expected <= names, (kind, folder, sorted(expected - names)[:5])
        assert "mcugen/backend/qemu_icount.c" in names and "mcugen/__main__.py" in names
        assert not any(n.endswith((".pyc", ".o")) for n in names)
        for line in (f"Version: {VERSION}", "License: Apache-2.0", "Requires-Python: >=3.10",
                     "Description-Content-Type: text/markdown", "Requires-Dist: numpy>=", "Requires-Dist: jinja2>=",
                     "Requires-Dist: tflite>=", "Requires-Dist: click>=", "Provides-Extra: test",
                     "Provides-Extra: quantize", "Provides-Extra: verify", 'ai-edge-litert>=1.0; extra == "quantize"'):
            assert line in meta, (kind, line)
        base = [line for line in meta.splitlines() if line.startswith("Requires-Dist") and "extra ==" not in line]
        assert not [line for line in base if "litert" in line or "tflite-micro" in line], base  # the base stays small
        assert "# mcugen" in meta  # the README is the long description
        assert "mcugen = mcugen.cli:main" in entry


def test_sdist_contents(dists):
    with tarfile.open(dists["sdist"]) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
        links = [m.name for m in t.getmembers() if m.issym()]
    assert {"pyproject.toml", "README.md", "PKG-INFO", "mcugen/__init__.py", "mcugen/backend/qemu_icount.c",
            "mcugen/_data/templates/project/model.c.j2", "mcugen/_data/boards/host.toml",
            "mcugen/_data/runtime_c/include/mcu_fixedpoint.h"} <= names
    assert not links, f"the sdist must hold real files, not links: {links[:3]}"


@pytest.mark.parametrize("kind", ["tree", "sdist-wheel"])
def test_installed_tool_works_anywhere(kind, installed, tmp_path):
    """From an unrelated folder: --version, boards, build; the project compiles and gives TFLM's bytes."""
    b = installed[kind]
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = _clean_env(MCUGEN_CACHE_DIR=str(tmp_path / "cache"))
    where = _run([b / "python", "-c", "import mcugen, mcugen.resources as r; print(mcugen.__file__); print(r.TEMPLATES)"],
                 cwd=work, env=env).stdout.split()
    assert all(str(b.parent) in w for w in where), where  # the venv's copy, real folders, not the source tree
    assert not Path(where[1]).is_symlink()

    assert _run([b / "mcugen", "--version"], cwd=work, env=env).stdout.strip() == f"mcugen, version {VERSION}"
    assert _run([b / "python", "-m", "mcugen", "--version"], cwd=work, env=env).stdout.strip() == \
        f"mcugen, version {VERSION}"
    boards = _run([b / "mcugen", "boards"], cwd=work, env=env).stdout
    for name in ("host", "cortex-m0", "cortex-m4", "cortex-m55"):
        assert f"\n{name} " in boards, boards

    model = work / "model.tflite"
    shutil.copy(MODEL, model)
    r = _run([b / "mcugen", "build", "model.tflite", "--board", "host", "-o", "out"], cwd=work, env=env)
    assert "model 'model'" in r.stdout
    out = work / "out"
    _run(["make", "-s", "-C", out, "host"], env=env)
    report = json.loads((out / "report.json").read_text())
    (inp,), (outp,) = report["inputs"], report["outputs"]
    rng = np.random.default_rng(7)
    n = 3
    x = rng.integers(-128, 128, size=(n, *inp["shape"]), dtype=np.int8)
    x.tofile(work / "in0.bin")
    _run([out / "build" / "model_host", n, work / "in0.bin", work / "out0.bin"], cwd=work, env=env)
    ours = np.fromfile(work / "out0.bin", dtype=outp["dtype"]).reshape(n, *outp["shape"])

    from mcugen.oracle import tflm
    (ref,) = tflm.run(MODEL.read_bytes(), [x], 1)
    assert ours.tobytes() == ref.astype(outp["dtype"]).tobytes()

    # `mcugen verify` of the installed tool (its build cache, its templates; TFLM from this machine)
    r = _run([b / "mcugen", "verify", "model.tflite", "--board", "host", "--count", "3"], cwd=work, env=env)
    assert "bit-exact with TFLM on 3 inputs" in r.stdout


def test_installed_firmware_on_qemu(installed, tmp_path):
    """The firmware templates (startup, linker script) are packaged too: the wheel's mcugen runs a model in QEMU."""
    need_arm_tools()
    b = installed["tree"]
    env = _clean_env(MCUGEN_CACHE_DIR=str(tmp_path / "cache"))
    shutil.copy(MODEL, tmp_path / "model.tflite")
    r = _run([b / "mcugen", "verify", "model.tflite", "--board", "cortex-m4", "--count", "2"], cwd=tmp_path, env=env)
    assert "bit-exact with TFLM on 2 inputs" in r.stdout


def test_editable_install_reads_the_source_tree(dists, tmp_path):
    """`pip install -e .` keeps working: the package data resolves, through the links, to the root folders."""
    src = dists["src"]
    py = Path(dists["builder"])
    if py == Path(sys.executable):  # never reinstall this interpreter's mcugen: use a throwaway venv that sees it
        b = _venv(tmp_path / "venv")
    else:
        b = tmp_path / "venv" / "bin"
        _run([py, "-m", "venv", "--without-pip", "--system-site-packages", b.parent])
    # --no-build-isolation needs setuptools and wheel in the target: give it the builder's site-packages
    site = _run([py, "-c", "import wheel, os; print(os.path.dirname(os.path.dirname(wheel.__file__)))"]).stdout.strip()
    env = _clean_env(PYTHONPATH=site)
    _run([sys.executable, "-m", "pip", "--python", b / "python", "install", "-q", "--no-index", "--no-deps",
          "--ignore-installed", "--no-build-isolation", "-e", src], env=env)
    env = _clean_env(MCUGEN_CACHE_DIR=str(tmp_path / "cache"))
    where = _run([b / "python", "-c", "import mcugen.resources as r; print(r.PACKAGE); "
                  "print(r.TEMPLATES.resolve()); print(r.BOARDS.resolve())"], cwd=tmp_path, env=env).stdout.split()
    assert where == [str(src / "mcugen"), str((src / "templates").resolve()), str((src / "boards").resolve())]
    # an edit in the root folder is live
    (src / "boards" / "zz-edited.toml").write_text((src / "boards" / "host.toml").read_text()
                                                  .replace('name = "host"', 'name = "zz-edited"'))
    try:
        assert "zz-edited" in _run([b / "mcugen", "boards"], cwd=tmp_path, env=env).stdout
    finally:
        (src / "boards" / "zz-edited.toml").unlink()
