"""`mcugen report`: Markdown with the per-layer table and an SVG whose rectangles are the planned buffers."""
import re
import xml.etree.ElementTree as ET

from click.testing import CliRunner

from mcugen.cli import main
from mcugen.compiler import compile_model


def test_report_markdown_and_picture(tmp_path):
    r = CliRunner().invoke(main, ["report", "examples/tiny_cnn.tflite", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    md = (tmp_path / "tiny_cnn_report.md").read_text()
    svg = (tmp_path / "tiny_cnn_arena.svg").read_text()
    c = compile_model("examples/tiny_cnn.tflite")
    assert f"| arena (all activations and scratch) | {c.plan.arena_size:,} |" in md
    assert "![arena over time](tiny_cnn_arena.svg)" in md
    assert len(re.findall(r"^\| \d+ \| \d+ \| [A-Z_0-9]+ \|", md, re.M)) == len(c.graph.operators)
    root = ET.fromstring(svg)  # well-formed
    ns = "{http://www.w3.org/2000/svg}"
    boxes = [e for e in root.iter(ns + "rect") if e.find(ns + "title") is not None]
    assert len(boxes) == len(c.plan.buffers)
    # each rectangle's title carries the buffer's planned offsets
    for b in c.plan.buffers:
        assert any(f"[{b.offset}, {b.offset + b.size})" in e.find(ns + "title").text for e in boxes)
