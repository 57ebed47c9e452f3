"""docs/supported-operators.md is generated from the handlers and must be current."""
from pathlib import Path

from mcugen.supported_ops_md import COMMAND, render
from mcugen.ops import handler, supported_ops

DOC = Path(__file__).resolve().parents[2] / "docs" / "supported-operators.md"


def test_document_is_current():
    assert DOC.read_text() == render(), f"docs/supported-operators.md is stale: run `{COMMAND}`"


def test_every_rule_has_a_user_facing_docstring():
    for name in supported_ops():
        for rule in handler(name).rules():
            assert rule.__doc__ and rule.__doc__.strip(), f"{name}: {rule.__name__} has no docstring"
