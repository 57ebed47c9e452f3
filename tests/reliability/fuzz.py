"""Seeded mutation fuzzer: damaged and odd model files must end in success or a documented error.

Every case takes one base model (the shared models, the project's fixtures and a few small built
models), applies one or more seeded mutations and compiles the result in-process, as `mcugen build`
would. The outcome is the exit code the CLI would return: it must be 0, 3 (unreadable or inconsistent
model) or 4 (unsupported model), with a message that names what is wrong, within a time limit.
Anything else (an exception that is not a McugenError, an internal error, a time-out) is a failure.

Mutations are of two kinds:
  - byte level: flip bytes, overwrite a 32-bit word with an odd value, truncate, cut out a chunk;
  - structured, through the flatbuffer object API (tflite_micro's schema module): tensor types,
    shapes, scales, zero points, quantized dimensions, buffers, operator inputs/outputs, opcodes,
    operator order, subgraph inputs/outputs and builtin option values.

CI runs a bounded number of cases (tests/reliability/test_fuzz.py). The long run:

    MCUGEN_MODELS_DIR=/work/shared/models python3 -m tests.reliability.fuzz --cases 5000 --seed 1

prints the outcome counts and every failing case (seed, base model, mutations, error); `--case N`
replays one case with the traceback.
"""
from __future__ import annotations

import argparse
import copy
import os
import random
import signal
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = Path(os.environ.get("MCUGEN_MODELS_DIR", ROOT.parent / "shared" / "models"))
SKIP = ("mobilenet_v2",)  # 4 MB: too slow per case for the CI budget
ODD_INTS = (0, 1, -1, 2, 3, 7, 255, 256, 1000, 65535, -65536, 2**31 - 1, -2**31, 2**30, 2**24 + 1)
ODD_FLOATS = (float("nan"), float("inf"), float("-inf"), 0.0, -0.0, -1.0, 1e-45, 3e38, 1e-30, 1e30)
# what a message must mention: the tensor, the operator, or the part of the file that is wrong
NAMING = ("tensor", "node", "operator", "buffer", "subgraph", "opcode", "model", "file", "input", "output")


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s
    return s


# the project's fixtures when the seed-1 regression cases were found (a case number picks its base model by
# index, so the list a case was found with must be kept to replay it)
FIXTURES_2026_12 = ("activations", "conv1d", "conv1d_dilated", "conv2d_bn_relu_maxpool", "conv2d_dilated",
                    "conv2d_dilated_dynamic_batch", "dense_flatten", "depthwise_separable", "float_io",
                    "padding_permute", "residual_add")


def base_models(fixtures: tuple[str, ...] | None = None) -> list[tuple[str, bytes]]:
    """The shared models, the project's fixtures (all, or only those named) and the built single-op models."""
    found = sorted(p for p in MODELS_DIR.rglob("*.tflite") if not any(s in p.name for s in SKIP))
    found += sorted(p for p in (ROOT / "tests" / "fixtures").rglob("*.tflite")
                    if fixtures is None or p.stem in fixtures)
    out = [(p.name, p.read_bytes()) for p in found]
    return out + built_models()


def built_models() -> list[tuple[str, bytes]]:
    """Small single-operator models covering operators the real models lack."""
    from mcugen.testing.builder import TensorSpec as T, single_op_model as one
    q = dict(scale=0.05, zero_point=3)
    w = np.arange(-12, 12, dtype=np.int8).reshape(4, 6)
    out = [
        ("fc_pc", one("FULLY_CONNECTED", [T((2, 6), "int8", **q), T((4, 6), "int8", [0.01, 0.02, 0.03, 0.04],
                                                                   [0] * 4, data=w),
                                          T((4,), "int32", [5e-4, 1e-3, 1.5e-3, 2e-3], [0] * 4,
                                            data=np.arange(4, dtype=np.int32))],
                      [T((2, 4), "int8", 0.1, -2)])),
        ("concat", one("CONCATENATION", [T((1, 2, 3), "int8", **q), T((1, 2, 5), "int8", **q)],
                       [T((1, 2, 8), "int8", **q)], {"axis": -1})),
        ("transpose", one("TRANSPOSE", [T((1, 2, 3, 4), "int8", **q), T((4,), "int32", data=np.array([0, 3, 1, 2],
                                                                                                  np.int32))],
                          [T((1, 4, 2, 3), "int8", **q)])),
        ("mean", one("MEAN", [T((1, 4, 4, 3), "int8", **q), T((2,), "int32", data=np.array([1, 2], np.int32))],
                     [T((1, 1, 1, 3), "int8", 0.04, 1)], {"keep_dims": True})),
        ("softmax16", one("SOFTMAX", [T((1, 10), "int16", 0.001, 0)], [T((1, 10), "int16", 1 / 32768, 0)],
                          {"beta": 1.0})),
        ("pad", one("PAD", [T((1, 3, 3, 2), "int8", **q), T((4, 2), "int32", data=np.array(
            [[0, 0], [1, 1], [2, 0], [0, 0]], np.int32))], [T((1, 5, 5, 2), "int8", **q)])),
    ]
    return out


# ---- mutations -------------------------------------------------------------------

def _byte_flip(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    b = bytearray(data)
    n = rng.choice((1, 1, 2, 4, 8))
    where = [rng.randrange(8, len(b)) for _ in range(n)]
    for i in where:
        b[i] ^= rng.randrange(1, 256)
    return bytes(b), f"flip {n} byte(s) at {where[:3]}"


def _word(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    b = bytearray(data)
    i = rng.randrange(8, len(b) - 4) & ~3
    v = rng.choice(ODD_INTS)
    b[i:i + 4] = (v & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(b), f"word {v} at {i}"


def _truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    n = rng.randrange(0, len(data))
    return data[:n], f"truncate to {n}"


def _cut(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    i = rng.randrange(8, len(data))
    n = rng.randrange(1, 64)
    return data[:i] + data[i + n:], f"cut {n} at {i}"


BYTE_MUTATIONS = (_byte_flip, _word, _truncate, _cut)


def _tensor(m, rng):
    sg = m.subgraphs[0]
    return rng.randrange(len(sg.tensors)), sg


def _m_type(m, rng):
    i, sg = _tensor(m, rng)
    t = rng.choice((0, 1, 2, 3, 4, 6, 7, 9, 10, 11, 17, 18, 30, 60, 127, -1))
    sg.tensors[i].type = t
    return f"tensor {i} type -> {t}"


def _m_shape(m, rng):
    i, sg = _tensor(m, rng)
    t = sg.tensors[i]
    shape = list(t.shape) if t.shape is not None else []
    how = rng.randrange(4)
    if how == 0 or not shape:
        shape.append(rng.choice((1, 2, -1, 0)))
    elif how == 1:
        shape.pop(rng.randrange(len(shape)))
    else:
        d = rng.randrange(len(shape))
        shape[d] = rng.choice((-1, -7, 0, 1, shape[d] + 1, shape[d] * 3, 2**31 - 1, 2**16, 2**30))
    t.shape = np.array(shape, dtype=np.int32)
    return f"tensor {i} shape -> {shape}"


def _quant(m, rng):
    sg = m.subgraphs[0]
    qs = [i for i, t in enumerate(sg.tensors) if t.quantization is not None and t.quantization.scale is not None]
    if not qs:
        return None, sg
    return rng.choice(qs), sg


def _m_scale(m, rng):
    i, sg = _quant(m, rng)
    if i is None:
        return _m_type(m, rng)
    q = sg.tensors[i].quantization
    s = np.array(q.scale, dtype=np.float32)
    how = rng.randrange(3)
    if how == 0:
        s[rng.randrange(s.size)] = rng.choice(ODD_FLOATS)
    elif how == 1 and s.size > 1:
        s = s[: rng.randrange(1, s.size)]
    else:
        s = np.concatenate([s, s[:1]])
    q.scale = s
    return f"tensor {i} scale -> {s[:4]}... ({s.size})"


def _m_zero_point(m, rng):
    i, sg = _quant(m, rng)
    if i is None:
        return _m_type(m, rng)
    q = sg.tensors[i].quantization
    zp = np.array(q.zeroPoint if q.zeroPoint is not None else np.zeros(len(q.scale)), dtype=np.int64)
    if rng.random() < 0.7 and zp.size:
        zp[rng.randrange(zp.size)] = rng.choice((128, -129, 255, 1000, -40000, 2**40, 32768, 1))
    else:
        zp = zp[:-1] if zp.size > 1 else np.concatenate([zp, zp])
    q.zeroPoint = zp
    return f"tensor {i} zero point -> {zp[:4]}... ({zp.size})"


def _m_qdim(m, rng):
    i, sg = _quant(m, rng)
    if i is None:
        return _m_type(m, rng)
    d = rng.choice((-1, 1, 2, 3, 4, 7))
    sg.tensors[i].quantization.quantizedDimension = d
    return f"tensor {i} quantized dimension -> {d}"


def _m_buffer(m, rng):
    i, sg = _tensor(m, rng)
    t = sg.tensors[i]
    how = rng.randrange(4)
    if how == 0:
        t.buffer = rng.choice((len(m.buffers), len(m.buffers) + 5, 2**31 - 1))
        return f"tensor {i} buffer -> {t.buffer} (past the end)"
    if how == 1:
        t.buffer = rng.randrange(len(m.buffers))
        return f"tensor {i} buffer -> {t.buffer}"
    buf = m.buffers[t.buffer] if 0 <= t.buffer < len(m.buffers) else None
    if buf is None or buf.data is None or len(buf.data) == 0:
        t.buffer = rng.randrange(len(m.buffers))
        return f"tensor {i} buffer -> {t.buffer}"
    data = np.asarray(buf.data, dtype=np.uint8)
    if how == 2:
        n = rng.randrange(0, data.size)
        buf.data = data[:n]
        return f"buffer {t.buffer} truncated to {n} bytes"
    buf.data = np.concatenate([data, data[: rng.randrange(1, 9)]])
    return f"buffer {t.buffer} grown to {buf.data.size} bytes"


def _op(m, rng):
    sg = m.subgraphs[0]
    if not sg.operators:
        return None, sg
    return rng.randrange(len(sg.operators)), sg


def _m_op_io(m, rng):
    k, sg = _op(m, rng)
    if k is None:
        return _m_shape(m, rng)
    op = sg.operators[k]
    side = "inputs" if rng.random() < 0.6 else "outputs"
    v = [int(x) for x in (getattr(op, side) if getattr(op, side) is not None else [])]
    how = rng.randrange(6)
    n = len(sg.tensors)
    if how == 0 and v:
        v[rng.randrange(len(v))] = rng.choice((n, n + 3, -2, -1, 2**31 - 1))
    elif how == 1 and v:
        v.pop(rng.randrange(len(v)))
    elif how == 2:
        v = []
    elif how == 3:
        v.append(rng.randrange(n))
    elif how == 4 and v:
        v[rng.randrange(len(v))] = rng.randrange(n)
    elif side == "outputs" and op.inputs is not None and len(op.inputs):
        v = [int(op.inputs[0])]  # writes its own input: a cycle
    else:
        v = v[::-1]
    setattr(op, side, np.array(v, dtype=np.int32))
    return f"op {k} {side} -> {v}"


def _m_opcode(m, rng):
    k, sg = _op(m, rng)
    if k is None:
        return _m_shape(m, rng)
    how = rng.randrange(3)
    if how == 0:
        sg.operators[k].opcodeIndex = rng.choice((len(m.operatorCodes), 2**31 - 1, -1 & 0x7FFFFFFF))
        return f"op {k} opcode index -> {sg.operators[k].opcodeIndex}"
    code = copy.copy(m.operatorCodes[sg.operators[k].opcodeIndex])
    b = rng.choice((0, 1, 3, 4, 9, 17, 22, 25, 32, 40, 49, 114, 150, 200, 255))
    code.builtinCode, code.deprecatedBuiltinCode = b, min(b, 127)
    m.operatorCodes.append(code)
    sg.operators[k].opcodeIndex = len(m.operatorCodes) - 1
    return f"op {k} builtin code -> {b}"


def _m_order(m, rng):
    sg = m.subgraphs[0]
    if len(sg.operators) < 2:
        return _m_op_io(m, rng)
    a, b = rng.sample(range(len(sg.operators)), 2)
    sg.operators[a], sg.operators[b] = sg.operators[b], sg.operators[a]
    return f"swap ops {a} and {b}"


def _m_graph_io(m, rng):
    sg = m.subgraphs[0]
    side = rng.choice(("inputs", "outputs"))
    v = [int(x) for x in getattr(sg, side)]
    n = len(sg.tensors)
    how = rng.randrange(4)
    if how == 0:
        v = []
    elif how == 1 and v:
        v[0] = rng.choice((n, -1, -3))
    else:
        v.append(rng.randrange(n))
    setattr(sg, side, np.array(v, dtype=np.int32))
    return f"subgraph {side} -> {v}"


def _m_options(m, rng):
    k, sg = _op(m, rng)
    if k is None or sg.operators[k].builtinOptions is None:
        return _m_shape(m, rng)
    opts = sg.operators[k].builtinOptions
    names = [a for a, v in vars(opts).items() if isinstance(v, (int, bool, float, np.integer, np.floating))]
    if not names:
        return _m_order(m, rng)
    a = rng.choice(names)
    v = getattr(opts, a)
    new = rng.choice(ODD_FLOATS) if isinstance(v, (float, np.floating)) else rng.choice(
        (0, -1, 2, 3, 5, 100, -100, 2**31 - 1, 127))
    if isinstance(new, int) and ("padding" in a.lower() or "activation" in a.lower() or a.endswith("Type")):
        new = max(-128, min(127, new))  # these are int8/ubyte fields in the schema
    setattr(opts, a, new)
    return f"op {k} option {a} -> {new}"


STRUCT_MUTATIONS = (_m_type, _m_shape, _m_scale, _m_zero_point, _m_qdim, _m_buffer, _m_op_io, _m_opcode,
                    _m_order, _m_graph_io, _m_options)


def _pack(m) -> bytes:
    import flatbuffers
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """One case: 1-3 structured mutations (70%) or 1-2 byte-level ones, seeded by `rng`."""
    notes: list[str] = []
    if rng.random() < 0.7:
        s = _schema()
        m = s.ModelT.InitFromPackedBuf(data, 0)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            fn = rng.choice(STRUCT_MUTATIONS)
            try:
                notes.append(fn(m, rng))
            except (IndexError, TypeError, ValueError, AttributeError):  # an earlier mutation broke its premise
                notes.append(f"({fn.__name__} skipped)")
        try:
            data = _pack(m)
        except Exception as e:  # a value the schema cannot hold (e.g. an int8 field set to 300)
            notes.append(f"(not packable: {type(e).__name__}; byte mutation instead)")
            data, n = rng.choice(BYTE_MUTATIONS)(data, rng)
            notes.append(n)
    else:
        for _ in range(rng.choice((1, 1, 2))):
            data, n = rng.choice(BYTE_MUTATIONS)(data, rng)
            notes.append(n)
            if len(data) < 16:
                break
    return data, notes


# ---- running a case --------------------------------------------------------------

@dataclass
class Outcome:
    case: int
    base: str
    notes: list[str]
    code: int              # the CLI's exit code; -1: a bare exception (a crash), -2: time-out
    message: str = ""
    trace: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        if self.code == 0:
            return True
        return self.code in (3, 4) and bool(self.message) and any(w in self.message.lower() for w in NAMING)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def run_case(case: int, seed: int, bases: list[tuple[str, bytes]], timeout: float = 30.0) -> Outcome:
    from mcugen.compiler import compile_bytes
    from mcugen.errors import McugenError
    rng = random.Random(f"{seed}:{case}")
    base, data = bases[rng.randrange(len(bases))]
    data, notes = mutate(data, rng)
    t0 = time.perf_counter()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        compile_bytes(data, "fuzz", f"{base}#{case}")
        out = Outcome(case, base, notes, 0)
    except _Timeout:
        out = Outcome(case, base, notes, -2, f"no result within {timeout:.0f} s")
    except McugenError as e:
        out = Outcome(case, base, notes, e.exit_code, e.message,
                      traceback.format_exc(limit=-3) if e.exit_code not in (3, 4) else "")
    except Exception as e:  # noqa: BLE001 - the point: any other exception is a failure
        out = Outcome(case, base, notes, -1, f"{type(e).__name__}: {e}", traceback.format_exc(limit=-4))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    out.seconds = time.perf_counter() - t0
    return out


def run(cases: int, seed: int = 0, start: int = 0, timeout: float = 30.0) -> list[Outcome]:
    bases = base_models()
    return [run_case(c, seed, bases, timeout) for c in range(start, start + cases)]


def summary(results: list[Outcome]) -> str:
    codes = Counter(r.code for r in results)
    bad = [r for r in results if not r.ok]
    lines = [f"{len(results)} cases: " + ", ".join(f"exit {k}: {v}" for k, v in sorted(codes.items()))
             + f"; failures: {len(bad)}; slowest {max((r.seconds for r in results), default=0):.2f} s"]
    crashes = [r for r in results if r.ok and r.code == 4 and ("handler failed" in r.message
                                                               or "malformed operator" in r.message)]
    lines[0] += f"; operator handler failures reported as exit 4: {len(crashes)}"
    for r in crashes[:50]:
        msg = next((ln.strip() for ln in r.message.splitlines() if "handler failed" in ln or "malformed" in ln), "")
        lines.append(f"  handler: case {r.case} ({r.base}; {'; '.join(r.notes)}): {msg[:300]}")
    for r in bad[:50]:
        lines.append(f"  case {r.case} ({r.base}; {'; '.join(r.notes)}): exit {r.code}: {r.message[:300]}")
        if r.trace:
            lines.append("    " + r.trace.strip().replace("\n", "\n    ")[-1200:])
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--case", type=int, default=None, help="replay one case and show its traceback")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds one case may take")
    a = ap.parse_args(argv)
    if a.case is not None:
        r = run_case(a.case, a.seed, base_models(), a.timeout)
        print(f"case {r.case} ({r.base}; {'; '.join(r.notes)}): exit {r.code}: {r.message}\n{r.trace}")
        return 0 if r.ok else 1
    results = run(a.cases, a.seed, a.start, a.timeout)
    print(summary(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
