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
    table: list[list[list[int]]] = field(default_factory=list)  # [band][layer][ENTRY]
    capacity: list[int] = field(default_factory=list)           # rows of each line buffer (all but the last layer)
    moved_bytes: int = 0                                        # bytes the line-buffer shifts copy per invoke
    recomputed_macs: int = 0                                    # line buffers: none

    @property
    def steps(self) -> range:
        return range(self.first, self.last + 1)

    @property
    def bands(self) -> int:
        return len(self.table)

    def buffer_bytes(self, i: int) -> int:
        """Bytes of the line buffer of the chain's i-th layer (i < last)."""
        return self.capacity[i] * self.rows[i].out_row

    def describe(self, ops: list[Operator]) -> dict:
        return {
            "steps": [self.first, self.last], "height": self.height, "bands": self.bands,
            "layers": [{"step": self.first + i, "op": ops[self.first + i].op, "out_rows": r.out_h,
                        "buffer_rows": self.capacity[i] if i < len(self.capacity) else r.out_h,
                        "buffer_bytes": self.buffer_bytes(i) if i < len(self.capacity) else r.out_h * r.out_row,
                        "full_bytes": r.out_h * r.out_row}
                       for i, r in enumerate(self.rows)],
            "recomputed_macs": 0, "shifted_bytes": self.moved_bytes,
        }


def band_chain(rows: list[Rows], first: int, height: int) -> BandChain:
    """The band schedule of the layers `rows` (steps first..) with `height` final rows per band."""
    m = len(rows)
    last_out = rows[-1].out_h
    held = [[0, 0] for _ in range(m)]   # rows [start, end) in each layer's line buffer
    cap = [0] * m
    moved = 0
    table = []
    for y0 in range(0, last_out, height):
        y1 = min(y0 + height, last_out)
        # backwards: the new rows each layer computes, and the window its consumer needs of them
        new = [None] * m
        need = [None] * m  # rows of layer l's output the consumer (l+1) reads in this band
        new[m - 1] = (y0, y1)
        for l in range(m - 1, 0, -1):
            r0, r1 = rows[l].window(*new[l])
            if new[l][1] <= new[l][0]:
                need[l - 1] = None
                new[l - 1] = (held[l - 1][1], held[l - 1][1])
                continue
            need[l - 1] = (r0, r1)
            start = max(held[l - 1][1], r0)
            new[l - 1] = (start, max(start, r1))
        entries = []
        for l in range(m):
            e = dict.fromkeys(ENTRY, 0)
            o0, o1 = new[l]
            if l < m - 1:
                s, end = held[l]
                if need[l] is not None:
                    r0 = need[l][0]
                    if r0 < s:
                        raise AssertionError("band windows must move forwards")
                    keep = max(end - r0, 0)
                    if r0 > s and keep:
                        e["shift_from"] = (r0 - s) * rows[l].out_row
                        e["shift_bytes"] = keep * rows[l].out_row
                        moved += keep * rows[l].out_row
                    if end < r0:
                        end = r0
                    held[l] = [r0, max(end, o1)]
                    e["out_offset"] = (o0 - r0) * rows[l].out_row
                cap[l] = max(cap[l], held[l][1] - held[l][0])
            else:
                e["out_offset"] = o0 * rows[l].out_row
            if o1 > o0:
                r0, r1 = rows[l].window(o0, o1)
                e["in_h"], e["pad_top"], e["out_h"] = r1 - r0, rows[l].view_pad(o0, r0), o1 - o0
                if l == 0:
                    e["in_offset"] = r0 * rows[0].in_row
                else:  # the producer's line buffer starts at row r0 (its shift above put it there)
                    assert held[l - 1][0] == r0 and held[l - 1][1] >= r1, (l, held[l - 1], r0, r1)
            entries.append([e[k] for k in ENTRY])
        table.append(entries)
    return BandChain(first, first + m - 1, height, rows, table, cap[:m - 1], moved)


def computed_rows(chain: BandChain) -> list[int]:
    """Output rows each layer computes over all bands (equal to its height: nothing is recomputed)."""
    k = ENTRY.index("out_h")
    return [sum(band[l][k] for band in chain.table) for l in range(len(chain.rows))]


def apply_chain(buffers, graph: Graph, chain: BandChain) -> None:
    """Resize and re-time the buffers of a fused chain (see the module docstring)."""
    ops = graph.operators
    by_tensor = {id(b.tensor): b for b in buffers if b.tensor is not None}
    x = by_tensor[id(ops[chain.first].inputs[0].root())]
    x.last = max(x.last, chain.last)
    y = by_tensor[id(ops[chain.last].outputs[0].root())]
    y.first = min(y.first, chain.first)
    for i in range(chain.last - chain.first):
        b = by_tensor[id(ops[chain.first + i].outputs[0])]
        b.size = chain.buffer_bytes(i)
        b.first, b.last = chain.first, chain.last
        b.name = f"{b.name} (band buffer)"


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
    for a, b in chains(graph):
        rows_all = [layer_rows(op) for op in graph.operators[a:b + 1]]
        for j in range(1, len(rows_all)):
            rows = rows_all[:j + 1]
            for height in _heights(rows[-1].out_h):
                chain = band_chain(rows, a, height)
                if chain.recomputed_macs > max_recompute * total:
                    continue
                buffers = analyse(graph, scratch)
                apply_chain(buffers, graph, chain)
                if liveness_lower_bound(buffers) >= best.plan.arena_size + chain_bound_slack(buffers):
                    continue
                p = plan(chain)
                best.tried.append({"steps": [chain.first, chain.last], "height": height, "bands": chain.bands,
                                   "arena": p.arena_size})
                if p.arena_size < best.plan.arena_size or (
                        p.arena_size == best.plan.arena_size and best.chain is not None
                        and chain.bands < best.chain.bands):
                    best.chain, best.plan = chain, p
    return best


def chain_bound_slack(buffers) -> int:
    """How far below the liveness bound in-place pairs can bring an arena (the largest buffer): a
    candidate whose bound exceeds the best arena by more cannot win."""
    return max((b.size for b in buffers), default=0)


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
