"""Fused row-band execution of a chain of early layers (`--memory min`).

A chain is a run of consecutive int8 layers CONV_2D / DEPTHWISE_CONV_2D / AVERAGE_POOL_2D / MAX_POOL_2D,
each reading (as input 0) only the output of the one before it, that output being read by nobody else.
The chain runs band by band: each band computes the next `height` output rows of the chain's last layer,
and before that, of every earlier layer, just the rows that are new and needed. Every layer inside the
chain writes into a *line buffer* that holds only the rows its consumer still needs (the window of the
rows being computed); rows that later windows share stay in the buffer, shifted to its front, so nothing
is computed twice (no recomputation: the MACs are those of the unfused layers).

A kernel computing output rows [o0, o1) of a layer runs on a *view*: the input pointer at the first input
row needed, in_h the rows present, pad_top adjusted (0 unless the band touches the top border), out_h the
rows computed. Rows outside the view are exactly the rows outside the real image (the view is the window
clipped to the image), so the kernel's own bounds checks treat them as padding: each output element is
computed by the same arithmetic as unfused, only the order of the rows changes, so the result is bit-exact.

For the planner the fused chain is ordinary buffers: its input lives until the chain's last step, its
output from the chain's first step, each line buffer (its size the most rows it ever holds) over the whole
chain, each layer's scratch at its own step (scratch holds nothing from one call to the next).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Graph, Operator
from ..ops.base import handler, nhwc, same_padding

BAND_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")
#: the fields of each band entry of the generated table (int32, bytes for offsets)
#: how many candidate chains (those with the least liveness bound) plan_with_bands plans in full
MAX_PLANNED = 12
ENTRY = ("shift_from", "shift_bytes", "in_offset", "in_h", "pad_top", "out_offset", "out_h")


@dataclass
class Rows:
    """The row geometry of one layer (height only: a band spans the full width)."""
    in_h: int
    out_h: int
    k: int
    stride: int
    dilation: int
    pad: int
    in_row: int   # bytes per input row
    out_row: int  # bytes per output row
    out_w: int
    macs_per_row: int

    def window(self, o0: int, o1: int) -> tuple[int, int]:
        """Input rows [r0, r1) that output rows [o0, o1) read, clipped to the image."""
        if o1 <= o0:
            return 0, 0
        lo = o0 * self.stride - self.pad
        hi = (o1 - 1) * self.stride - self.pad + self.dilation * (self.k - 1) + 1
        r0, r1 = max(lo, 0), min(hi, self.in_h)
        return (r0, r1) if r1 > r0 else (r0, r0)

    def view_pad(self, o0: int, r0: int) -> int:
        return self.pad - o0 * self.stride + r0


def layer_rows(op: Operator) -> Rows | None:
    """The row geometry of a band-capable layer, or None if `op` cannot run in bands."""
    if op.op not in BAND_OPS or len(op.outputs) != 1:
        return None
    h = handler(op.op)
    x, y = op.inputs[0], op.outputs[0]
    if x is None or x.is_const or x.dtype != "int8" or y.dtype != "int8" or h.scheme(op) != "s8":
        return None
    if op.attrs.get("weight_only"):
        return None
    try:
        n, ih, iw, ic = nhwc(x.shape)
        _, oh, ow, oc = nhwc(y.shape)
    except ValueError:
        return None
    if n != 1:
        return None
    o = op.options
    if op.op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        k, s, d = o["filter_height"], o["stride_h"], 1
        macs = ow * oc * o["filter_height"] * o["filter_width"]
    else:
        f = op.inputs[1].shape
        k, s, d = f[1], o.get("stride_h", 1), o.get("dilation_h_factor", 1)
        macs = ow * oc * f[1] * f[2] * (1 if op.op == "DEPTHWISE_CONV_2D" else ic)
    return Rows(ih, oh, k, s, d, same_padding(ih, k, s, d, oh), iw * ic, ow * oc, ow, macs)


def chains(graph: Graph) -> list[tuple[int, int]]:
    """Maximal runs [a, b] (steps, inclusive) of band-capable layers, each feeding only the next."""
    readers: dict[int, int] = {}
    for op in graph.operators:
        for t in op.inputs:
            if t is not None:
                readers[id(t.root())] = readers.get(id(t.root()), 0) + 1
    outputs = {id(t.root()) for t in graph.outputs}
    ops = graph.operators
    ok = [layer_rows(op) is not None for op in ops]

    def links(i: int) -> bool:  # op i's output is op i+1's input 0 and nothing else's
        y = ops[i].outputs[0]
        nxt = ops[i + 1]
        return (y.root() is y and not y.is_variable and id(y) not in outputs and readers.get(id(y), 0) == 1
                and nxt.inputs[0] is y and sum(t is y for t in nxt.inputs if t is not None) == 1)

    runs, i = [], 0
    while i < len(ops):
        if not ok[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(ops) and ok[j + 1] and links(j):
            j += 1
        if j > i:
            runs.append((i, j))
        i = j + 1
    return runs


@dataclass
class BandChain:
    """One fused chain: steps [first, last], `height` output rows of the last layer per band."""
    first: int
    last: int
    height: int
    rows: list[Rows]
    table: list[list[int]] = field(default_factory=list)        # per call: layer, then ENTRY
    capacity: list[int] = field(default_factory=list)           # rows of each line buffer (all but the last layer)
    moved_bytes: int = 0                                        # bytes the line-buffer shifts copy per invoke
    recomputed_macs: int = 0                                    # line buffers: none

    @property
    def steps(self) -> range:
        return range(self.first, self.last + 1)

    @property
    def bands(self) -> int:
        """Bands of the chain's output (calls of its last layer)."""
        return sum(1 for e in self.table if e[0] == len(self.rows) - 1)

    @property
    def calls(self) -> int:
        return len(self.table)

    def buffer_bytes(self, i: int) -> int:
        """Bytes of the line buffer of the chain's i-th layer (i < last)."""
        return self.capacity[i] * self.rows[i].out_row

    def describe(self, ops: list[Operator]) -> dict:
        return {
            "steps": [self.first, self.last], "height": self.height, "bands": self.bands, "calls": self.calls,
            "layers": [{"step": self.first + i, "op": ops[self.first + i].op, "out_rows": r.out_h,
                        "buffer_rows": self.capacity[i] if i < len(self.capacity) else r.out_h,
                        "buffer_bytes": self.buffer_bytes(i) if i < len(self.capacity) else r.out_h * r.out_row,
                        "full_bytes": r.out_h * r.out_row}
                       for i, r in enumerate(self.rows)],
            "recomputed_macs": 0, "shifted_bytes": self.moved_bytes,
        }


def band_chain(rows: list[Rows], first: int, height: int) -> BandChain:
    """The call schedule of the layers `rows` (steps first..): demand-driven, each call computes up to
    `height` new rows of one layer, after its producer has computed the rows of the call's window; a
    layer's line buffer drops (shifts out) the rows its consumer will never read again before the layer
    writes new rows into it. Entries: the layer, then ENTRY (see there)."""
    import sys
    m = len(rows)
    held = [[0, 0] for _ in range(m)]   # rows [start, end) in each layer's line buffer
    need_lo = [0] * m                   # the lowest row of layer l its consumer still reads
    cap = [0] * m
    table: list[list[int]] = []
    moved = 0

    def ensure(l: int, r1: int) -> None:
        nonlocal moved
        while held[l][1] < r1:
            o0 = held[l][1]
            o1 = min(o0 + height, rows[l].out_h)
            w0, w1 = rows[l].window(o0, o1)
            if l > 0:
                need_lo[l - 1] = max(need_lo[l - 1], w0)
                ensure(l - 1, w1)
            e = dict.fromkeys(ENTRY, 0)
            if l < m - 1:  # drop what the consumer no longer reads, then write after what it keeps
                s, end = held[l]
                lo = min(need_lo[l], end)
                if lo > s:
                    if end > lo:
                        e["shift_from"], e["shift_bytes"] = (lo - s) * rows[l].out_row, (end - lo) * rows[l].out_row
                        moved += (end - lo) * rows[l].out_row
                    held[l][0] = lo
                e["out_offset"] = (o0 - held[l][0]) * rows[l].out_row
            else:
                e["out_offset"] = o0 * rows[l].out_row
            held[l][1] = o1
            cap[l] = max(cap[l], o1 - held[l][0])
            e["in_h"], e["pad_top"], e["out_h"] = w1 - w0, rows[l].view_pad(o0, w0), o1 - o0
            if l == 0:
                e["in_offset"] = w0 * rows[0].in_row
            else:
                assert held[l - 1][0] <= w0 and held[l - 1][1] >= w1, (l, held[l - 1], w0, w1)
                e["in_offset"] = (w0 - held[l - 1][0]) * rows[l - 1].out_row
            table.append([l] + [e[k] for k in ENTRY])

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100 + 4 * m))
    try:
        ensure(m - 1, rows[-1].out_h)
    finally:
        sys.setrecursionlimit(limit)
    return BandChain(first, first + m - 1, height, rows, table, cap[:m - 1], moved)


def computed_rows(chain: BandChain) -> list[int]:
    """Output rows each layer computes over all its calls."""
    k = 1 + ENTRY.index("out_h")
    return [sum(e[k] for e in chain.table if e[0] == l) for l in range(len(chain.rows))]


def apply_chain(buffers, graph: Graph, chain: BandChain) -> None:
    """Resize and re-time the buffers of a fused chain. Every buffer inside the chain (line buffers,
    scratch) lives over the whole chain, the input until its last step; the output is written only by
    the last layer's calls, so it is made to start at the last step: everything alive beside it during
    the chain is alive at that step too, which keeps the plan's checks (and the overlap below) exact."""
    ops = graph.operators
    by_tensor = {id(b.tensor): b for b in buffers if b.tensor is not None}
    x = by_tensor[id(ops[chain.first].inputs[0].root())]
    x.last = max(x.last, chain.last)
    y = by_tensor[id(ops[chain.last].outputs[0].root())]
    y.first = chain.last
    for i in range(chain.last - chain.first):
        b = by_tensor[id(ops[chain.first + i].outputs[0])]
        b.size = chain.buffer_bytes(i)
        b.first, b.last = chain.first, chain.last
        b.name = f"{b.name} (band buffer)"
    for b in buffers:  # (from its own step on: nothing that lives only before it is inside the chain)
        if b.scratch and chain.first <= b.first <= chain.last:
            b.last = chain.last


def chain_overlap(chain: BandChain, buffers, graph: Graph, align: int):
    """The chain's output may run over its input's rows that no later call reads: offset(input) -
    offset(output) >= d, d the most any output band's end runs past the next input window's start."""
    from .analysis import Overlap
    ops = graph.operators
    xt, yt = ops[chain.first].inputs[0].root(), ops[chain.last].outputs[0].root()
    if xt.is_variable or any(t.root() is xt for t in graph.outputs):
        return None
    if sum(1 for op in ops for t in op.inputs if t is not None and t.root() is xt) != 1:
        return None
    by_tensor = {id(b.tensor): b for b in buffers if b.tensor is not None}
    x, y = by_tensor[id(xt)], by_tensor[id(yt)]
    if x.last != chain.last or y.first != chain.last:
        return None
    m, k_in, k_out, k_h = len(chain.rows), 1 + ENTRY.index("in_offset"), 1 + ENTRY.index("out_offset"), 1 + ENTRY.index("out_h")
    d = 0
    for i, e in enumerate(chain.table):
        if e[0] != m - 1:
            continue
        end = e[k_out] + e[k_h] * chain.rows[-1].out_row
        nxt = next((f[k_in] for f in chain.table[i + 1:] if f[0] == 0), None)
        if nxt is not None:
            d = max(d, end - nxt)
    d = -(-d // align) * align
    return Overlap(x, y, d, chain.last)


@dataclass
class BandChoice:
    chain: BandChain | None
    plan: object                 # the Plan with the chain (or today's plan when no chain helps)
    baseline: object             # today's plan (no fusion)
    tried: list[dict] = field(default_factory=list)


def plan_with_bands(graph: Graph, scratch: list[int], rules, align: int, max_recompute: float = 0.10,
                    force: list[int] | None = None) -> BandChoice:
    """Today's plan, and the least arena over every fusable chain (each sub-run of a maximal run, of
    two or more layers) and band height; a candidate is kept only if its recomputed MACs stay within
    `max_recompute` of the model's MACs (the line buffers recompute nothing) and it beats today's arena."""
    from .analysis import analyse, liveness_lower_bound, overlaps
    from .apply import plan_arena

    def plan(chain: BandChain | None):
        buffers = analyse(graph, scratch)
        pairs = overlaps(graph, buffers, rules, align)
        if chain is not None:
            apply_chain(buffers, graph, chain)
            pairs = [p for p in pairs if p.step not in chain.steps]
            o = chain_overlap(chain, buffers, graph, align)
            if o is not None:
                pairs.append(o)
        return plan_arena(buffers, pairs, align)

    base = plan(None)
    best = BandChoice(None, base, base)
    if force is not None:  # tests: this chain and height
        a, b, height = force
        chain = band_chain([layer_rows(op) for op in graph.operators[a:b + 1]], a, height)
        if any(r is None for r in chain.rows) or not any(a <= a0 and b <= b0 for a0, b0 in chains(graph)):
            raise ValueError(f"steps {a}-{b} cannot be fused")
        best.chain, best.plan = chain, plan(chain)
        return best
    total = sum(handler(op.op).macs(op) for op in graph.operators) or 1
    candidates = []
    for a, b in chains(graph):
        rows_all = [layer_rows(op) for op in graph.operators[a:b + 1]]
        for j in range(1, len(rows_all)):
            for height in _heights(rows_all[j].out_h):
                chain = band_chain(rows_all[:j + 1], a, height)
                if chain.recomputed_macs > max_recompute * total:
                    continue
                buffers = analyse(graph, scratch)
                apply_chain(buffers, graph, chain)
                candidates.append((liveness_lower_bound(buffers), chain.calls, len(candidates), chain))
    # planning is the costly part: plan the most promising candidates by their liveness bound
    for bound, _, _, chain in sorted(candidates, key=lambda c: c[:3])[:MAX_PLANNED]:
        p = plan(chain)
        best.tried.append({"steps": [chain.first, chain.last], "height": chain.height, "bands": chain.bands,
                           "calls": chain.calls, "bound": bound, "arena": p.arena_size})
        if p.arena_size < best.plan.arena_size or (
                p.arena_size == best.plan.arena_size and best.chain is not None and chain.calls < best.chain.calls):
            best.chain, best.plan = chain, p
    return best


def _heights(out_h: int, most: int = 6) -> list[int]:
    """The smallest band heights giving distinct band counts (1, 2, ... rows per band): more rows per
    band only add line-buffer rows, and fewer bands only save kernel calls."""
    seen, out = set(), []
    for h in range(1, out_h + 1):
        if len(out) == most:
            break
        n = -(-out_h // h)
        if n not in seen:
            seen.add(n)
            out.append(h)
    return out
