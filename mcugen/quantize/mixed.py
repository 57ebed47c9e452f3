"""`--weights mixed`: per layer int8 or int4 weights, chosen by measured sensitivity under the user's limits.

The stages (after the activation ranges are fixed, so only the weights differ between candidates):

1. **Sensitivity.** The all-int8 model is quantized and run in the TFLM interpreter (the firmware's
   arithmetic) on (up to SENSITIVITY_SAMPLES of) the calibration samples and compared with the float model:
   its output error e_int8 (sum over outputs of ||y_float - y||^2 / ||y_float||^2, the inverse of the SQNR).
   A layer's cost de_i is the output error of the float model with only that layer's weights replaced by
   their int4 rounding (weight_noise: all the variants in one LiteRT run, XNNPACK kernels: seconds even for
   vww's 28 layers, where a TFLM run per layer took 84 s); what it saves is the bytes its weights lose going
   from int8 to int4 (half, rounded up).
2. **Search.** The noise of independent layers adds up, so the error of an assignment S (the set of int4
   layers) is predicted as e_int8 + sum_{i in S} max(de_i, 0). Under --max-flash (the bytes of the model's
   weights and biases) the search picks the S that meets the limit at the least predicted error; under
   --min-sqnr alone, the S that saves the most bytes within the error budget; with both, the least error
   within the flash limit, which must then meet the SQNR. Both are 0/1 knapsacks, solved exactly by dynamic
   programming over the saved bytes in BYTE_UNIT steps (deterministic: ties keep fewer, earlier layers).
3. **Check.** The chosen layers are rounded in sequence (int4.sequential: each refitted to the inputs the
   chosen layers before it give), and the model is quantized and measured (TFLM, the same samples). If --min-sqnr is given and
   the measured SQNR misses it, the int4 layer with the largest cost per saved byte goes back to int8 and
   the model is measured again (while the flash limit still holds); the report says how often.

--board B turns the board's flash and RAM into limits: the flash left for weights is the board's flash
minus what the all-int8 model's library needs besides its weights (compiled for B) and minus
BOARD_FLASH_HEADROOM for the application; the chosen model's library (compiled for B) must fit the board's
RAM less BOARD_RAM_HEADROOM for the stack. When no assignment can meet the limits, an
InfeasibleError says which limit fails and by how much (the all-int4 model's bytes, the best SQNR).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InfeasibleError
from ..frontend.tflite_writer import write_model
from .int4 import INT4_OPS, packed_bytes

SENSITIVITY_SAMPLES = 64
# --board leaves room for the application beside the model's library: start-up code, the C library, the
# user's own code (flash) and the stack (RAM). mcugen's verify/bench firmware needs 15,908 bytes of flash
# beside ad01's library on cortex-m0 (start-up, harness, newlib with semihosting stdio).
BOARD_FLASH_HEADROOM = 20 * 1024
BOARD_RAM_HEADROOM = 2 * 1024
MAX_REFITS, FIT_MARGIN = 3, 256
BYTE_UNIT = 16  # knapsack granularity in bytes (exact below; rounding a layer's saving down to it)


@dataclass
class Limits:
    max_flash: int | None = None  # bytes of the model's weights and biases
    max_ram: int | None = None  # arena bytes
    min_sqnr: float | None = None  # dB, output SQNR against the float model
    board: str | None = None  # its name (for the report)
    notes: list[str] = field(default_factory=list)
    board_obj: object = None  # the Board itself (a name or a user's .toml path was given)
    flash_from: str = "--max-flash"  # where max_flash came from, for the messages
    ram_from: str = "--max-ram"

    def flash_limit(self) -> str:
        return f"{self.flash_from} {self.max_flash:,}"

    def any(self) -> bool:
        return self.max_flash is not None or self.min_sqnr is not None or self.max_ram is not None


def eligible(g, keep=frozenset(), node_types=None) -> list:
    """The operators of the float graph that may take int4 weights: CONV_2D, DEPTHWISE_CONV_2D and
    FULLY_CONNECTED with constant float weights, not kept in float, with int8 activations (node_types:
    {node: 'int16'} for nodes in 16x8, which TFLM runs with int8 weights only)."""
    out = []
    for op in g.operators:
        if op.op not in INT4_OPS or op.index in keep or (node_types or {}).get(op.index, "int8") != "int8":
            continue
        w = op.inputs[1] if len(op.inputs) > 1 else None
        if w is not None and w.is_const and w.dtype == "float32":
            out.append(op)
    return out


def weight_bytes(graph) -> int:
    """Bytes of the constant tensors (weights, biases, other constants) as the flatbuffer stores them."""
    total = 0
    seen = set()
    for t in graph.tensors:
        if not t.is_const or t.data is None or id(t) in seen:
            continue
        seen.add(id(t))
        n = int(np.asarray(t.data).size)
        total += packed_bytes(n) if t.dtype == "int4" else n * np.dtype(np.asarray(t.data).dtype).itemsize
    return total


def sqnr(e: float) -> float:
    return float("inf") if e <= 0 else -10.0 * float(np.log10(e))


class Measure:
    """Quantize the float graph with given int4 layers and measure the output error (TFLM, float I/O)."""

    def __init__(self, make, float_model: bytes, samples: list[np.ndarray]):
        from ..oracle import litert
        self.make = make  # weight_types -> quantized Graph (float I/O)
        self.samples = samples
        self.ref = litert.run(float_model, samples)
        self.runs = 0
        self._cache: dict[bytes, float] = {}

    def error(self, int4_nodes) -> float:
        return self.error_of(self.make({i: "int4" for i in int4_nodes}))

    def error_of(self, qg) -> float:
        """The output error of the quantized graph `qg` (float I/O) on the samples."""
        from ..oracle import tflm
        from .auto import sample_errors
        data = write_model(qg)
        key = hashlib.sha256(data).digest()
        if key not in self._cache:
            got = tflm.run(data, self.samples, len(self.ref))
            self.runs += 1
            self._cache[key] = float(sample_errors(self.ref, got).sum())
        return self._cache[key]


def _knapsack(saves: list[int], costs: list[float]):
    """best[u] = (least total cost, chosen set) over subsets saving at least u units exactly u (DP table over
    total saved units)."""
    total = sum(saves)
    inf = float("inf")
    cost = [inf] * (total + 1)
    pick: list[tuple] = [()] * (total + 1)
    cost[0] = 0.0
    for i, (s, c) in enumerate(zip(saves, costs)):
        for u in range(total, s - 1, -1):
            if cost[u - s] + c < cost[u]:
                cost[u] = cost[u - s] + c
                pick[u] = pick[u - s] + (i,)
    return cost, pick


def search(layers: list[dict], e_base: float, base_bytes: int, limits: Limits) -> tuple[tuple, str]:
    """(indices into `layers` chosen int4, why) — see the module docstring. layers: {'save': bytes saved,
    'cost': de}."""
    saves = [max(int(L["save"]) // BYTE_UNIT, 0) for L in layers]
    costs = [max(float(L["cost"]), 0.0) for L in layers]
    cost, pick = _knapsack(saves, costs)
    total = len(cost) - 1
    if limits.max_flash is not None:
        need_bytes = base_bytes - limits.max_flash
        need = max(0, -(-need_bytes // BYTE_UNIT))
        best = min((u for u in range(need, total + 1) if cost[u] < float("inf")),
                   key=lambda u: (cost[u], len(pick[u]), pick[u]), default=None)
        if best is None:
            all4 = base_bytes - sum(int(L["save"]) for L in layers)
            raise InfeasibleError(
                f"{limits.flash_limit()} bytes cannot be met: with every eligible layer int4 the weights "
                f"and biases take {all4:,} bytes, {all4 - limits.max_flash:,} over the limit.")
        return pick[best], f"least predicted error with at least {max(need_bytes, 0):,} bytes saved"
    if limits.min_sqnr is not None:
        budget = 10.0 ** (-limits.min_sqnr / 10.0) - e_base
        if budget < 0:
            return (), "the all-int8 model is already at the SQNR limit: no layer can take int4"
        best = max((u for u in range(total + 1) if cost[u] <= budget), key=lambda u: (u, -cost[u]), default=0)
        return pick[best], "most bytes saved within the SQNR budget"
    return tuple(range(len(layers))), "no limit"


_FLOAT_CHILD = r"""
import sys
import numpy as np
try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:
    sys.exit(17)
in_path, out_path, *models = sys.argv[1:]
xs = np.load(in_path)
res = {}
for k, m in enumerate(models):
    ip = Interpreter(model_path=m)
    ip.allocate_tensors()
    ins, outs = ip.get_input_details(), ip.get_output_details()
    ys = [[] for _ in outs]
    for s in range(xs["x0"].shape[0]):
        for i, d in enumerate(ins):
            ip.set_tensor(d["index"], np.ascontiguousarray(xs[f"x{i}"][s], dtype=np.float32).reshape(d["shape"]))
        ip.invoke()
        for j, d in enumerate(outs):
            ys[j].append(ip.get_tensor(d["index"]).copy())
    for j, y in enumerate(ys):
        res[f"m{k}_y{j}"] = np.stack(y)
np.savez(out_path, **res)
"""


def run_float_models(models: list[bytes], samples: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Outputs of each float model on the samples, from LiteRT's default (XNNPACK) kernels in one child
    process: fast, and the same arithmetic for every variant, which is all a weight-noise measure needs."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path
    from ..errors import MissingToolError
    with tempfile.TemporaryDirectory(prefix="mcugen-mixed-") as tmp:
        d = Path(tmp)
        np.savez(d / "in.npz", **{f"x{i}": np.asarray(x, np.float32) for i, x in enumerate(samples)})
        paths = []
        for k, m in enumerate(models):
            (d / f"m{k}.tflite").write_bytes(m)
            paths.append(str(d / f"m{k}.tflite"))
        r = subprocess.run([sys.executable, "-c", _FLOAT_CHILD, str(d / "in.npz"), str(d / "out.npz"), *paths],
                           capture_output=True, text=True, timeout=3600)
        if r.returncode == 17:
            raise MissingToolError("the mixed-precision search runs the float model in LiteRT, which is not "
                                   "installed: pip install ai-edge-litert (or mcugen[quantize]).")
        if r.returncode != 0:
            raise RuntimeError("LiteRT failed: " + " / ".join((r.stderr or r.stdout).strip().splitlines()[-3:]))
        z = np.load(d / "out.npz")
        return [[z[f"m{k}_y{j}"] for j in range(sum(1 for f in z.files if f.startswith(f"m{k}_")))]
                for k in range(len(models))]


def weight_noise(g, rounding, ops, samples: list[np.ndarray], per_channel: bool = True) -> dict:
    """{node: output error of the float model with only that layer's weights replaced by their int4 rounding
    (dequantized)}: one LiteRT run for all the variants (run_float_models)."""
    import copy
    by_node = {op.index: op for op in g.operators}
    keys, models = [], [write_model(g)]
    for op in ops:
        q, sc, axis, _ = rounding.quantize(op, op.inputs[1].data.astype(np.float32), per_channel, None)
        shape = [1] * q.ndim
        if sc.size > 1:
            shape[axis] = -1
        memo = {}
        g2 = copy.deepcopy(g, memo)
        w2 = memo[id(by_node[op.index].inputs[1])]
        w2.data = (q.astype(np.float64) * sc.astype(np.float64).reshape(shape)).astype(np.float32).reshape(w2.shape)
        keys.append(op.index)
        models.append(write_model(g2))
    from .auto import sample_errors
    outs = run_float_models(models, samples)
    return {k: float(sample_errors(outs[0], y).sum()) for k, y in zip(keys, outs[1:])}


def choose(g, make, float_model: bytes, samples: list[np.ndarray], candidates: list, limits: Limits,
           base_bytes_of, rounding=None, per_channel: bool = True, finalize=None, fit=None,
           progress=None) -> dict:
    """Run the three stages; returns the record the report shows (and 'int4': the chosen node indices).
    make(weight_types) -> quantized Graph (float I/O); base_bytes_of(int4 nodes) -> weight bytes of that model;
    rounding: an int4.Rounding of each layer alone on its float inputs, for the costs (weight_noise);
    finalize(int4 nodes): called before a chosen set is measured (it rounds those layers in sequence);
    fit(int4 nodes) -> bytes of flash the compiled library is over the board's room (0: it fits), to
    tighten --max-flash and search again (at most MAX_REFITS times)."""
    t0 = time.perf_counter()
    m = Measure(make, float_model, samples)
    e_base = m.error(())
    base_bytes = base_bytes_of(())
    costs = weight_noise(g, rounding, candidates, samples, per_channel) if rounding is not None and candidates else {}
    finalize = finalize or (lambda nodes: None)
    layers = []
    for k, op in enumerate(candidates):
        w = op.inputs[1]
        n = int(np.prod(w.shape))
        e = e_base + costs.get(op.index, 0.0)
        layers.append({"node": op.index, "op": op.op, "tensor": w.name, "values": n, "int8_bytes": n,
                       "int4_bytes": packed_bytes(n), "save": n - packed_bytes(n), "error": e,
                       "cost": costs.get(op.index, 0.0), "sqnr_db": sqnr(e)})
        if progress:
            progress(k + 1, len(candidates))
    t1 = time.perf_counter()
    refits = 0
    asked = limits.max_flash  # refits lower limits.max_flash; the board's own fit is checked by fit()
    asked_from = limits.flash_from
    while True:
        try:
            picked, why = search(layers, e_base, base_bytes, limits)
        except InfeasibleError:
            if not refits:
                raise
            # code is not linear in the weights (a mix needs both kernel families): the last resort is every
            # layer int4, which needs the int8 kernels of none of them
            picked, why = tuple(range(len(layers))), "every eligible layer int4 (the mixes did not fit the board)"
            refits = MAX_REFITS
        t2 = time.perf_counter()
        chosen = set(picked)
        nodes = tuple(sorted(layers[i]["node"] for i in chosen))
        finalize(nodes)
        e = m.error(nodes)
        backoff = 0
        if limits.min_sqnr is not None:
            while chosen and sqnr(e) < limits.min_sqnr:
                drop = max(chosen, key=lambda i: (max(layers[i]["cost"], 0) / max(layers[i]["save"], 1), -i))
                if limits.max_flash is not None and base_bytes_of(
                        tuple(sorted(layers[i]["node"] for i in chosen - {drop}))) > limits.max_flash:
                    break
                chosen.discard(drop)
                backoff += 1
                nodes = tuple(sorted(layers[i]["node"] for i in chosen))
                finalize(nodes)
                e = m.error(nodes)
        over = fit(nodes) if fit is not None and limits.max_flash is not None else 0
        if over <= 0 or refits >= MAX_REFITS:
            break
        # the int4 kernels' code and tables weigh more than the int8 model's library suggested: tighten
        new = min(limits.max_flash, base_bytes_of(nodes)) - over - FIT_MARGIN
        limits.notes.append(f"the library was {over:,} bytes over the board's room: the weights' limit lowered "
                            f"from {limits.max_flash:,} to {new:,} and searched again")
        limits.max_flash = new
        refits += 1
    t3 = time.perf_counter()
    got_bytes = base_bytes_of(nodes)
    for i, L in enumerate(layers):
        L["choice"] = "int4" if i in chosen else "int8"
        L["cost_db"] = sqnr(e_base) - L["sqnr_db"] if np.isfinite(sqnr(e_base)) else 0.0
    rec = {"int4": list(nodes), "layers": layers, "why": why, "int8_sqnr_db": sqnr(e_base),
           "predicted_sqnr_db": sqnr(e_base + sum(max(layers[i]["cost"], 0.0) for i in chosen)),
           "sqnr_db": sqnr(e), "int8_weight_bytes": base_bytes, "weight_bytes": got_bytes,
           "samples": int(samples[0].shape[0]), "backoff": backoff, "tflm_runs": m.runs,
           "seconds": {"sensitivity": round(t1 - t0, 2), "search": round(t2 - t1, 4),
                       "check": round(t3 - t2, 2)},
           "limits": {"max_flash": limits.max_flash, "max_ram": limits.max_ram, "min_sqnr": limits.min_sqnr,
                      "board": limits.board}, "notes": list(limits.notes)}
    fails = []
    if asked is not None and got_bytes > asked:
        fails.append(f"flash: the weights and biases take {got_bytes:,} bytes, {got_bytes - asked:,} "
                     f"over {asked_from} {asked:,}")
    if limits.min_sqnr is not None and sqnr(e) < limits.min_sqnr:
        fails.append(f"SQNR: {sqnr(e):.2f} dB measured, {limits.min_sqnr - sqnr(e):.2f} dB short of --min-sqnr "
                     f"{limits.min_sqnr:g}" + (" at the flash limit" if limits.max_flash is not None else
                                              " even with every layer int8"))
    if fails:
        raise InfeasibleError("no int8/int4 assignment meets the limits: " + "; ".join(fails) + ".")
    return rec


def choose_activations(g, make, float_model: bytes, samples: list[np.ndarray], groups: list[list[int]],
                       limits: Limits, where: str, progress=None) -> tuple[dict, dict]:
    """`--activations mixed`: ({node: 'int16'} for the groups chosen, the report's record).

    Per group of activation_groups (nodes that share a type), the model with that group in int16 (all others
    int8) is measured in TFLM: its benefit is the drop of output error against the all-int8 model, its cost
    the bytes its tensors grow by (their int8 size: int16 doubles them). Groups are added in the order of
    benefit per byte (ties: graph order), then the groups without a benefit of their own in graph order, each
    kept only if it lowers the measured error with the groups already int16 (two neighbours together save the
    conversions between them): under --min-sqnr until the measured SQNR meets it (the least RAM that does,
    as far as this greedy order finds it); under --max-ram (or a board's RAM) while the planned
    arena fits, skipping a group that would not; with both, while the arena fits and until the SQNR is met.
    make(types) -> quantized Graph (float I/O) for an activation assignment."""
    t0 = time.perf_counter()
    m = Measure(lambda _: None, float_model, samples)
    e_base = m.error_of(make({}))
    by_node = {op.index: op for op in g.operators}
    rows = []
    for k, grp in enumerate(groups):
        e = m.error_of(make({n: "int16" for n in grp}))
        extra = sum(int(np.prod(t.shape)) for n in grp for t in by_node[n].outputs if t is not None)
        rows.append({"nodes": list(grp), "ops": [by_node[n].op for n in grp], "error": e, "sqnr_db": sqnr(e),
                     "benefit": e_base - e, "extra_bytes": extra})
        if progress:
            progress(k + 1, len(groups))
    t1 = time.perf_counter()
    order = sorted((i for i, r in enumerate(rows) if r["benefit"] > 0),
                   key=lambda i: (-rows[i]["benefit"] / max(rows[i]["extra_bytes"], 1), i))

    def arena(types):
        return int(_compile(write_model(make(types, "int8")), where, limits.board_obj).plan.arena_size)
    chosen: list[int] = []
    types: dict[int, str] = {}
    e = e_base
    base_arena = arena({}) if limits.max_ram is not None else None
    cur_arena = base_arena
    rest = [i for i in range(len(rows)) if i not in order]  # no benefit alone: kept only where, with the
    for i in order + rest:                                   # groups already int16, they measurably help
        if limits.min_sqnr is not None and sqnr(e) >= limits.min_sqnr:
            break
        trial = {**types, **{n: "int16" for n in rows[i]["nodes"]}}
        a = None
        if limits.max_ram is not None:
            a = arena(trial)
            if a > limits.max_ram:
                continue
        e_trial = m.error_of(make(trial))
        if i in rest and not e_trial < e:
            continue
        types, e = trial, e_trial
        cur_arena = a if a is not None else cur_arena
        chosen.append(i)
    if base_arena is None:  # for the report
        base_arena, cur_arena = arena({}), arena(types)
    t2 = time.perf_counter()
    for i, r in enumerate(rows):
        r["choice"] = "int16" if i in chosen else "int8"
        r["benefit_db"] = r["sqnr_db"] - sqnr(e_base)
    rec = {"groups": rows, "int16_nodes": sorted(types), "int8_sqnr_db": sqnr(e_base), "sqnr_db": sqnr(e),
           "int8_arena_bytes": base_arena, "arena_bytes": cur_arena, "samples": int(samples[0].shape[0]),
           "tflm_runs": m.runs, "seconds": {"sensitivity": round(t1 - t0, 2), "search": round(t2 - t1, 2)},
           "limits": {"max_ram": limits.max_ram, "min_sqnr": limits.min_sqnr, "board": limits.board}}
    if limits.min_sqnr is not None and sqnr(e) < limits.min_sqnr:
        more = " within the RAM limit" if limits.max_ram is not None else " with every group that helps in int16"
        raise InfeasibleError(f"no int8/int16 activation assignment meets --min-sqnr {limits.min_sqnr:g}: "
                              f"{sqnr(e):.2f} dB measured{more}, {limits.min_sqnr - sqnr(e):.2f} dB short.")
    return types, rec


def parse_bytes(text: str | int | None, reference: int | None = None) -> int | None:
    """'200000', '200K', '1.5M', or 'P%' of `reference` (the all-int8 model's weight bytes) -> bytes."""
    if text is None or isinstance(text, int):
        return text
    s = str(text).strip().upper().replace("B", "").replace("_", "").replace(",", "")
    try:
        if s.endswith("%"):
            if reference is None:
                raise ValueError
            return int(float(s[:-1]) / 100.0 * reference)
        mult = 1
        if s.endswith("K"):
            mult, s = 1024, s[:-1]
        elif s.endswith("M"):
            mult, s = 1024 * 1024, s[:-1]
        v = float(s) * mult
    except ValueError:
        from ..errors import UsageError
        raise UsageError(f"{text!r} is not a byte count (e.g. 200000, 200K, 1.5M, or 60% of the int8 weights)")
    return int(v)


def _compile(model: bytes, where: str, board):
    from ..compiler import compile_bytes
    return compile_bytes(model, "mixed_check", where, board)


def limits_for(board, max_flash, max_ram, min_sqnr, base_bytes: int, make, where: str) -> Limits:
    """The limits the search works with: --max-flash ('60%' = of the all-int8 model's `base_bytes`),
    --max-ram, --min-sqnr, and a board's flash turned into bytes for weights (its flash minus what the
    all-int8 model's library needs besides its weights, compiled for that board)."""
    lim = Limits(parse_bytes(max_flash, base_bytes), parse_bytes(max_ram), None if min_sqnr is None else
                 float(min_sqnr))
    if board is not None:
        from ..boards import load_board
        from ..compiler import footprint
        b = load_board(board) if isinstance(board, str) else board
        lim.board, lim.board_obj = b.name, b
        c = _compile(write_model(make({})), where, b)
        fp = footprint(c)
        if b.ram is not None:
            static = max(fp.ram - c.plan.arena_size, 0)
            room = b.ram.size - static - BOARD_RAM_HEADROOM
            lim.notes.append(f"{b.name}: {b.ram.size:,} bytes of RAM, {static:,} of them for the library's other "
                             f"static data and {BOARD_RAM_HEADROOM:,} kept for the stack, {room:,} left for the arena")
            if lim.max_ram is None or room < lim.max_ram:
                lim.max_ram, lim.ram_from = room, f"{b.name}'s room for the arena"
        if b.flash is not None:
            overhead = max(fp.flash - base_bytes, 0)
            room = b.flash.size - overhead - BOARD_FLASH_HEADROOM
            lim.notes.append(f"{b.name}: {b.flash.size:,} bytes of flash, {overhead:,} of them for code and "
                             f"layer parameters (the int8 model's library{'' if fp.measured else ', estimated'}) "
                             f"and {BOARD_FLASH_HEADROOM:,} kept for the application (start-up, C library, your "
                             f"code), {room:,} left for weights")
            if lim.max_flash is None or room < lim.max_flash:
                lim.max_flash, lim.flash_from = room, f"{b.name}'s room for weights"
    return lim


def fit_figures(model: bytes, lim: Limits, where: str) -> tuple[dict, list[str], int]:
    """Compile the model (for the board, if any): (figures for the report, the limits it fails (one line
    each), the bytes of flash it is over the board's room for the library)."""
    if lim.max_ram is None and lim.board is None:
        return {}, [], 0
    from ..compiler import footprint
    b = lim.board_obj
    c = _compile(model, where, b)
    out = {"arena_bytes": int(c.plan.arena_size)}
    fails, over = [], 0
    if lim.max_ram is not None and c.plan.arena_size > lim.max_ram:
        fails.append(f"RAM: the arena needs {c.plan.arena_size:,} bytes, {c.plan.arena_size - lim.max_ram:,} over "
                     f"{lim.ram_from} {lim.max_ram:,} (int4 weights do not shrink activations)")
    if b is not None:
        fp = footprint(c)
        out.update(flash_bytes=int(fp.flash), ram_bytes=int(fp.ram), measured=bool(fp.measured))
        if b.flash is not None and fp.flash > b.flash.size - BOARD_FLASH_HEADROOM:
            over = fp.flash - b.flash.size + BOARD_FLASH_HEADROOM
            fails.append(f"flash: the library needs {fp.flash:,} bytes, {over:,} over {b.name}'s {b.flash.size:,} "
                         f"less the {BOARD_FLASH_HEADROOM:,} kept for the application")
        if b.ram is not None and fp.ram > b.ram.size - BOARD_RAM_HEADROOM:
            fails.append(f"RAM: the library needs {fp.ram:,} bytes, {fp.ram - b.ram.size + BOARD_RAM_HEADROOM:,} "
                         f"over {b.name}'s {b.ram.size:,} less the {BOARD_RAM_HEADROOM:,} kept for the stack")
    return out, fails, over


def check_fit(model: bytes, lim: Limits, where: str) -> dict:
    """fit_figures, raising InfeasibleError (which limit fails and by how much) when the model does not fit."""
    out, fails, _ = fit_figures(model, lim, where)
    if fails:
        raise InfeasibleError("the chosen model does not fit: " + "; ".join(fails) + ".")
    return out
