"""Write docs/supported-operators.md from the operator handlers themselves.

    python -m mcugen.supported_ops_md --out docs/supported-operators.md

Each operator's type schemes come from its handler's `signatures` and each rule from the docstring of one
of its `rule_*` methods, so the document says exactly what the support check enforces.
tests/ops/test_supported_ops_doc.py fails when the committed file is stale.
"""
from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from .ops import handler, supported_ops
from .ops.base import SCHEME_NAMES

COMMAND = "python -m mcugen.supported_ops_md --out docs/supported-operators.md"


def _doc(fn) -> str:
    text = inspect.getdoc(fn) or "(no description)"
    return " ".join(text.split())


def render() -> str:
    lines = [
        "# Supported operators",
        "",
        f"Generated from the operator handlers by `{COMMAND}`; do not edit.",
        "",
        "Type schemes: " + "; ".join(f"`{k}` {v}" for k, v in SCHEME_NAMES.items()) + ".",
        "In a type list `a|b` means either type, `?` an input that may be absent, `-` an input that must be absent.",
        "",
    ]
    groups: dict[int, list[str]] = {}
    for name in supported_ops():
        groups.setdefault(id(handler(name)), []).append(name)
    for names in sorted(groups.values(), key=lambda n: n[0]):
        h = handler(names[0])
        lines += [f"## {', '.join(names)}", ""]
        types = h.supported_types()
        if types:
            lines.append("Type schemes: " + "; ".join(f"`{t}`" for t in types) + ".")
            lines.append("")
        for rule in h.rules():
            if rule.__name__ == "rule_type_signature" and not types:
                continue
            lines.append(f"- {_doc(rule)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mcugen.supported_ops_md", description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    args.out.write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
