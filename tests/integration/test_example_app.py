"""examples/digits_app: the application a firmware engineer would write (its own main.c and CMake) linking
a model mcugen quantized and compiled, run in QEMU by one `make run`. The build folder is moved with a
make command-line variable, which must not leak into the makes mcugen runs itself."""
from __future__ import annotations

import subprocess
from pathlib import Path

from .helpers import need

APP = Path(__file__).resolve().parents[2] / "examples" / "digits_app"


def test_digits_app_runs_in_qemu(tmp_path):
    need("make", "cmake", "arm-none-eabi-gcc", "qemu-system-arm")
    r = subprocess.run(["make", "-C", str(APP), "run", f"BUILD={tmp_path / 'build'}"], capture_output=True,
                       text=True, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    lines = [L for L in r.stdout.splitlines() if L.startswith("digit ")]
    assert len(lines) == 10, out[-3000:]
    correct = sum(1 for L in lines if L.split("class ")[1].split()[0] == L.split("label ")[1].split(",")[0])
    assert f"{correct} of 10 correct" in r.stdout and correct >= 9
    # the generated project and the quantized model landed where BUILD said, nowhere else
    assert (tmp_path / "build" / "digits" / "digits.h").exists()
    assert (tmp_path / "build" / "digits.tflite").exists() and not (APP / "build").exists()
