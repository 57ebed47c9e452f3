"""The CI run of the mutation fuzzer (tests/reliability/fuzz.py): a bounded, seeded set of damaged models,
each ending in exit 0, 3 or 4 with a message naming what is wrong. The long run is documented in
docs/validation.md (`python3 -m tests.reliability.fuzz --cases 5000 --seed 1`)."""
import os

import pytest

from tests.conftest import MODELS_DIR
from tests.reliability import fuzz

CASES = int(os.environ.get("MCUGEN_FUZZ_CASES", "300"))


@pytest.fixture(scope="module")
def results():
    if not MODELS_DIR.exists() and os.environ.get("CI") == "true":
        pytest.fail(f"{MODELS_DIR} is absent")
    return fuzz.run(CASES, seed=0, timeout=30)


def test_every_case_ends_in_a_documented_outcome(results):
    bad = [r for r in results if not r.ok]
    assert not bad, fuzz.summary(results)


def test_the_fuzzer_reaches_every_outcome(results):
    """Guard against a fuzzer that only produces unreadable files: some mutants compile, some are
    inconsistent, some unsupported."""
    codes = {r.code for r in results}
    assert {0, 3, 4} <= codes, fuzz.summary(results)
    assert sum(r.code == 0 for r in results) >= len(results) // 20


def test_cases_are_reproducible():
    bases = fuzz.base_models()
    a = fuzz.run_case(7, 0, bases)
    b = fuzz.run_case(7, 0, bases)
    assert (a.notes, a.code, a.message) == (b.notes, b.code, b.message)
