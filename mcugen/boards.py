"""Boards: one TOML data file per board in boards/, or a user's own file given by path.

The schema is documented by boards/stm32f746-example.toml. A board without a
[qemu] section can be built for but not run by mcugen.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .resources import BOARDS, check as check_package_data

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FEATURES = ("dsp", "fpu", "mve")


@dataclass
class Region:
    origin: int
    size: int


@dataclass
class Board:
    name: str
    description: str
    cpu: str
    cflags: list[str]
    features: list[str]
    flash: Region | None = None
    ram: Region | None = None
    qemu_machine: str | None = None
    qemu_args: list[str] = field(default_factory=list)
    path: Path | None = None
    raw: dict = field(default_factory=dict)

    @property
    def memory(self) -> dict:
        return self.raw.get("memory", {})

    @property
    def is_host(self) -> bool:
        return self.cpu == "host"

    @property
    def can_emulate(self) -> bool:
        return self.qemu_machine is not None


def _region(data: dict, key: str, where: str) -> Region | None:
    r = data.get("memory", {}).get(key)
    if r is None:
        return None
    try:
        return Region(int(r["origin"]), int(r["size"]))
    except (KeyError, TypeError, ValueError):
        raise UsageError(f"{where}: [memory.{key}] needs integer 'origin' and 'size'.") from None


def parse_board(data: dict, where: str, path: Path | None = None) -> Board:
    missing = [k for k in ("name", "cpu", "cflags") if k not in data]
    if missing:
        raise UsageError(f"{where}: missing key(s) {', '.join(missing)} (see boards/stm32f746-example.toml).")
    features = list(data.get("features", []))
    bad = [f for f in features if f not in FEATURES]
    if bad:
        raise UsageError(f"{where}: unknown feature(s) {', '.join(bad)}; known: {', '.join(FEATURES)}.")
    b = Board(
        name=str(data["name"]), description=str(data.get("description", "")), cpu=str(data["cpu"]),
        cflags=[str(f) for f in data["cflags"]], features=features, flash=_region(data, "flash", where),
        ram=_region(data, "ram", where), path=path, raw=data,
    )
    q = data.get("qemu")
    if q is not None:
        b.qemu_machine = str(q["machine"])
        b.qemu_args = [str(a) for a in q.get("extra_args", [])]
    if not b.is_host and (b.flash is None or b.ram is None):
        raise UsageError(f"{where}: a target board needs [memory.flash] and [memory.ram].")
    return b


def load_board(name_or_path: str) -> Board:
    """A board by name (boards/NAME.toml) or by path to a TOML file."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or "/" in name_or_path:
        if not p.is_file():
            raise UsageError(f"board file {p} does not exist.")
    else:
        p = BOARDS / f"{name_or_path}.toml"
        if not p.is_file():
            raise UsageError(f"unknown board '{name_or_path}'. Available: {', '.join(board_names())}; "
                             "or pass the path of your own board file (see boards/stm32f746-example.toml).")
    try:
        data = tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"board file {p} is not valid TOML: {e}.") from None
    return parse_board(data, str(p), p)


def board_names() -> list[str]:
    check_package_data()  # an empty list here would only mean a broken install: say so
    return sorted(p.stem for p in BOARDS.glob("*.toml") if not p.stem.endswith("-example"))


def all_boards() -> list[Board]:
    return [load_board(n) for n in board_names()]
