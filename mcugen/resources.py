"""Where the templates and the C runtime live (beside the package in the source tree)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
RUNTIME_C = ROOT / "runtime_c"
BOARDS = ROOT / "boards"
