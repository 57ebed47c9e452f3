"""Fused row-band execution of groups of early layers (`--memory min`).

A group is a run of consecutive int8 layers CONV_2D / DEPTHWISE_CONV_2D / AVERAGE_POOL_2D / MAX_POOL_2D
and same-shape ADD / SUB / MUL whose tensors, except the last layer's output, are read only inside the
group (a chain, or a block with a residual connection). The group runs row by row: each kernel call
computes up to `height` new rows of one layer, demand-driven from the last layer's output, once its
inputs hold the rows of the call's window. Every tensor inside the group lives in a *line buffer* that
holds only the rows its consumers still read; rows that later windows share stay in the buffer, shifted
to its front, so nothing is computed twice (no recomputation: the MACs are those of the unfused layers).

A kernel computing output rows [o0, o1) of a layer runs on a *view*: the input pointer at the first input
row needed, in_h the rows present, pad_top adjusted (0 unless the window touches the top border), out_h
the rows computed. Rows outside the view are exactly the rows outside the real image (the view is the
window clipped to the image), so the kernel's own bounds checks treat them as padding: each output element
is computed by the same arithmetic as unfused, only the order of the rows changes, so the result is
bit-exact. An element-wise layer's view is just its rows.

For the planner the group is ordinary buffers: its inputs live until the group's last step, each line
buffer (its size the most rows it ever holds) over the whole group, each layer's scratch from its own step
to the group's last (scratch holds nothing from one call to the next), the group's output from its last
step (only that step's calls write it; everything alive beside it during the group is alive then too).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ir import Graph, Operator
from ..ops.base import handler, nhwc, same_padding

BAND_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")
ELEMENTWISE_OPS = ("ADD", "SUB", "MUL")
PAD_OPS = ("PAD", "PADV2")
#: a streamed input's rows from the caller (passes/stream_input.py): a source, rows map to rows
SOURCE_OPS = ("MCU_INPUT_ROWS",)
#: the fields of each band entry of the generated table (int32, bytes for offsets)
#: how many candidate groups (those with the least liveness bound) plan_with_bands places
MAX_PLANNED = 10
ENTRY = ("shift_from", "shift_bytes", "in_offset", "in_offset2", "in_h", "pad_top", "out_offset", "out_h", "first_row")


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
    accumulate: bool = False  # a global average pool fed row by row (its rows: its input's; output at the end)
    block: int = 1            # output pixels the kernel computes at once (a short last block repeats its last
                              # pixel: mcu_conv_1x1_s8.c, mcu_conv_im2col_s8.c)
    macs_per_pixel: int = 0

    def window(self, o0: int, o1: int) -> tuple[int, int]:
        """Input rows [r0, r1) that output rows [o0, o1) read, clipped to the image."""
        if o1 <= o0:
            return 0, 0
        lo = o0 * self.stride - self.pad
        hi = (o1 - 1) * self.stride - self.pad + self.dilation * (self.k - 1) + 1
        r0 = min(max(lo, 0), self.in_h)
        return r0, max(min(hi, self.in_h), r0)

    def view_pad(self, o0: int, r0: int) -> int:
        return self.pad - o0 * self.stride + r0


def layer_rows(op: Operator) -> Rows | None:
    """The row geometry of a band-capable layer, or None if `op` cannot run in bands."""
    if op.op in ELEMENTWISE_OPS:
        return _elementwise_rows(op)
    if op.op in PAD_OPS:
        return _pad_rows(op)
    if op.op in SOURCE_OPS:  # int8 only: the band offsets are added to the layers' int8_t pointers
        if op.outputs[0].dtype != "int8":
            return None
        _, h, w, c = (int(d) for d in op.outputs[0].shape)
        return Rows(h, h, 1, 1, 1, 0, w * c, w * c, w, 0)
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
    if (op.op == "AVERAGE_POOL_2D" and (oh, ow) == (1, 1) and (o["filter_height"], o["filter_width"]) == (ih, iw)
            and ih > 1):
        # a global average: accumulated over the rows as they come (mcu_avgpool_rows_s8.c)
        return Rows(ih, ih, 1, 1, 1, 0, iw * ic, 0, 1, iw * ic, accumulate=True)
    if op.op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        k, s, d = o["filter_height"], o["stride_h"], 1
        macs = ow * oc * o["filter_height"] * o["filter_width"]
    else:
        f = op.inputs[1].shape
        k, s, d = f[1], o.get("stride_h", 1), o.get("dilation_h_factor", 1)
        macs = ow * oc * f[1] * f[2] * (1 if op.op == "DEPTHWISE_CONV_2D" else ic)
    return Rows(ih, oh, k, s, d, same_padding(ih, k, s, d, oh), iw * ic, ow * oc, ow, macs)


def _elementwise_rows(op: Operator) -> Rows | None:
    """ADD / SUB / MUL of two int8 NHWC tensors of the output's shape (no broadcasting): rows map to rows."""
    if len(op.inputs) != 2 or len(op.outputs) != 1 or handler(op.op).scheme(op) != "s8":
        return None
    x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
    if any(t is None or t.is_const or t.dtype != "int8" or tuple(t.shape) != tuple(y.shape) for t in (x1, x2, y)):
        return None
    if x1.root() is x2.root() or len(y.shape) != 4 or y.shape[0] != 1:
        return None
    _, h, w, c = (int(d) for d in y.shape)
    return Rows(h, h, 1, 1, 1, 0, w * c, w * c, w, 0)


def _pad_rows(op: Operator) -> Rows | None:
    """PAD / PADV2 of an int8 NHWC tensor with constant padding on height and width only (the kernel's
    merged dimensions start with the rows): output rows map to input rows minus the top padding."""
    from ..ops.pad import _paddings, merge_pad_dims
    x, y = op.inputs[0], op.outputs[0]
    if x is None or x.is_const or x.dtype != "int8" or y.dtype != "int8" or len(x.shape) != 4 or x.shape[0] != 1:
        return None
    if len(op.inputs) > 2 and op.inputs[2] is not None and not op.inputs[2].is_const:
        return None
    pads = _paddings(op)
    if pads.shape != (4, 2) or pads[0].any() or pads[3].any() or (pads < 0).any():
        return None
    _, h, w, c = (int(d) for d in x.shape)
    ins, before, _ = merge_pad_dims(x.shape, pads[:, 0], pads[:, 1])
    if len(ins) != 2 or ins[0] != h or h < 2:
        return None
    _, oh, ow, _ = (int(d) for d in y.shape)
    return Rows(h, oh, 1, 1, 1, int(pads[1][0]), w * c, ow * c, ow, 0)


def activation_inputs(op: Operator) -> list:
    """The activation (non-constant) inputs a band layer reads, in argument order."""
    if op.op in SOURCE_OPS:
        return []
    return [op.inputs[0], op.inputs[1]] if op.op in ELEMENTWISE_OPS else [op.inputs[0]]


def group_inputs(graph: Graph, a: int, b: int) -> list[list[int | None]] | None:
    """For steps a..b as a group: per layer, per activation input, the producing layer's index in the
    group (None: produced outside, read as a whole tensor); None if a..b is not a valid group."""
    ops = graph.operators[a:b + 1]
    if any(layer_rows(op) is None for op in ops):
        return None
    made = {id(op.outputs[0]): i for i, op in enumerate(ops)}
    outputs = {id(t.root()) for t in graph.outputs}
    readers = _readers(graph)
    for i, op in enumerate(ops[:-1]):  # every tensor but the last output stays inside the group
        if layer_rows(op).accumulate:
            return None  # an accumulated pool's output exists only at the end: it ends its group
        y = op.outputs[0]
        r = readers.get(id(y), [])
        if y.root() is not y or y.is_variable or id(y) in outputs or not r or any(not a <= s <= b for s in r):
            return None
    y = ops[-1].outputs[0]
    if y.root() is not y or y.is_variable:
        return None
    out = []
    for op in ops:
        srcs = [made.get(id(t)) for t in activation_inputs(op)]
        if any(t.root() is not t and id(t.root()) in made for t in activation_inputs(op)):
            return None
        out.append(srcs)
    return out


def _readers(graph: Graph) -> dict[int, list[int]]:
    """Per tensor (root id), the steps that read it."""
    readers: dict[int, list[int]] = {}
    for step, op in enumerate(graph.operators):
        for t in op.inputs:
            if t is not None:
                readers.setdefault(id(t.root()), []).append(step)
    return readers


@dataclass
class BandChain:
    """One fused group: steps [first, last], calls of up to `height` rows of one layer."""
    first: int
    last: int
    height: int
    rows: list[Rows]
    inputs: list[list[int | None]]                              # per layer, per input: producer index or None
    table: list[list[int]] = field(default_factory=list)        # per call: layer, then ENTRY
    capacity: list[int] = field(default_factory=list)           # rows of each line buffer (all but the last layer)
    moved_bytes: int = 0                                        # bytes the line-buffer shifts copy per invoke
    recomputed_macs: int = 0                                    # short pixel blocks per call (repeated_macs)

    @property
    def steps(self) -> range:
        return range(self.first, self.last + 1)

    @property
    def bands(self) -> int:
        """Bands of the group's output (calls of its last layer)."""
        return sum(1 for e in self.table if e[0] == len(self.rows) - 1)

    @property
    def calls(self) -> int:
        return len(self.table)

    def buffer_bytes(self, i: int) -> int:
        """Bytes of the line buffer of the group's i-th layer (i < last)."""
        return self.capacity[i] * self.rows[i].out_row

    def describe(self, ops: list[Operator]) -> dict:
        return {
            "steps": [self.first, self.last], "height": self.height, "bands": self.bands, "calls": self.calls,
            "layers": [{"step": self.first + i, "op": ops[self.first + i].op, "out_rows": r.out_h,
                        "buffer_rows": self.capacity[i] if i < len(self.capacity) else r.out_h,
                        "buffer_bytes": self.buffer_bytes(i) if i < len(self.capacity) else r.out_h * r.out_row,
                        "full_bytes": r.out_h * r.out_row}
                       for i, r in enumerate(self.rows)],
            "recomputed_macs": self.recomputed_macs, "shifted_bytes": self.moved_bytes,
        }


def band_chain(rows: list[Rows], first: int, height: int, inputs: list[list[int | None]] | None = None) -> BandChain:
    """The call schedule of the layers `rows` (steps first..; `inputs` as group_inputs gives, default a
    chain): demand-driven, each call computes up to `height` new rows of one layer after its producers
    hold the rows of the call's window; a line buffer drops (shifts out) the rows none of its consumers
    will read again before its layer writes new rows into it. Entries: the layer, then ENTRY."""
    import sys
    m = len(rows)
    if inputs is None:
        inputs = [[None]] + [[i - 1] for i in range(1, m)]
    consumers = [[c for c in range(m) if i in inputs[c]] for i in range(m)]
    held = [[0, 0] for _ in range(m)]             # rows [start, end) in each layer's line buffer
    need = [dict.fromkeys(consumers[i], 0) for i in range(m)]  # per consumer, the lowest row it still reads
    cap = [0] * m
    table: list[list[int]] = []
    moved = 0
    offsets = ("in_offset", "in_offset2")

    def ensure(l: int, r1: int) -> None:
        nonlocal moved
        while held[l][1] < r1:
            o0 = held[l][1]
            o1 = min(o0 + height, rows[l].out_h)
            w0, w1 = rows[l].window(o0, o1)
            for p in inputs[l]:
                if p is not None:
                    need[p][l] = max(need[p][l], w0)
            for p in inputs[l]:
                if p is not None:
                    ensure(p, w1)
            e = dict.fromkeys(ENTRY, 0)
            if l < m - 1:  # drop what no consumer reads any more, then write after what they keep
                s, end = held[l]
                lo = min(min(need[l].values()), end)
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
            e["in_h"], e["pad_top"], e["out_h"], e["first_row"] = w1 - w0, rows[l].view_pad(o0, w0), o1 - o0, o0
            if w1 == w0:  # every row of the window is padding: an empty view
                e["pad_top"] = 0
            for k, p in zip(offsets, inputs[l]):
                if p is None:
                    e[k] = w0 * rows[l].in_row
                else:
                    assert held[p][0] <= w0 and held[p][1] >= w1, (l, p, held[p], w0, w1)
                    e[k] = (w0 - held[p][0]) * rows[p].out_row
            table.append([l] + [e[k] for k in ENTRY])

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 200 + 8 * m))
    try:
        ensure(m - 1, rows[-1].out_h)
    finally:
        sys.setrecursionlimit(limit)
    return BandChain(first, first + m - 1, height, rows, inputs, table, cap[:m - 1], moved,
                     repeated_macs(rows, table))


def repeated_macs(rows: list[Rows], table: list[list[int]]) -> int:
    """MACs the calls compute twice beyond the unfused layers: a kernel computing blocks of `block` pixels
    fills a short last block with its last pixel again, once per call instead of once per layer."""
    k = 1 + ENTRY.index("out_h")
    extra = 0
    for l, r in enumerate(rows):
        if r.block <= 1:
            continue
        calls = [e[k] * r.out_w for e in table if e[0] == l and e[k] > 0]
        extra += (sum(-p % r.block for p in calls) - (-(r.out_h * r.out_w) % r.block)) * r.macs_per_pixel
    return max(extra, 0)


def computed_rows(chain: BandChain) -> list[int]:
    """Output rows each layer computes over all its calls."""
    k = 1 + ENTRY.index("out_h")
    return [sum(e[k] for e in chain.table if e[0] == l) for l in range(len(chain.rows))]


def group_chain(graph: Graph, a: int, b: int, height: int, blocks: list[tuple[int, int]] | None = None
                ) -> BandChain | None:
    """The schedule of steps a..b as a group, or None if they are not one. blocks: per step, the kernel's
    pixels per block and MACs per pixel (kernel_blocks)."""
    import dataclasses
    inputs = group_inputs(graph, a, b)
    if inputs is None:
        return None
    rows = [layer_rows(op) for op in graph.operators[a:b + 1]]
    if blocks is not None:
        rows = [dataclasses.replace(r, block=blocks[a + i][0], macs_per_pixel=blocks[a + i][1])
                for i, r in enumerate(rows)]
    return band_chain(rows, a, height, inputs)


def kernel_blocks(graph: Graph, features: list[frozenset]) -> list[tuple[int, int]]:
    """Per step: (output pixels per block, MACs per output pixel) of the int8 CONV_2D fast kernels the
    layer lowers to on its features (1 for every other kernel: they compute each pixel once)."""
    out = []
    for op, f in zip(graph.operators, features):
        block = 1
        if op.op == "CONV_2D" and layer_rows(op) is not None:
            h = handler(op.op)
            fast = None if h.as_fully_connected(op, f) else h.fast(op, f)
            if fast is not None:
                block = fast.pixels
        y = op.outputs[0] if op.outputs else None
        pixels = max(int(np.prod(y.shape[:-1])), 1) if y is not None and len(y.shape) == 4 else 1
        out.append((block, handler(op.op).macs(op) // pixels if block > 1 else 0))
    return out


def external_inputs(graph: Graph, chain: BandChain) -> list:
    """The tensors (roots) the group reads from outside, in first-read order."""
    out = []
    for l, srcs in enumerate(chain.inputs):
        for t, p in zip(activation_inputs(graph.operators[chain.first + l]), srcs):
            if p is None and all(t.root() is not u for u in out):
                out.append(t.root())
    return out


def apply_chain(buffers, graph: Graph, chain: BandChain) -> None:
    """Resize and re-time the buffers of a fused group (see the module docstring)."""
    ops = graph.operators
    by_tensor = {id(b.tensor): b for b in buffers if b.tensor is not None}
    for t in external_inputs(graph, chain):
        x = by_tensor[id(t)]
        x.last = max(x.last, chain.last)
    y = by_tensor[id(ops[chain.last].outputs[0].root())]
    y.first = chain.last
    for i in range(chain.last - chain.first):
        b = by_tensor[id(ops[chain.first + i].outputs[0])]
        b.size = chain.buffer_bytes(i)
        b.first, b.last = chain.first, chain.last
        b.name = f"{b.name} (band buffer)"
    if chain.rows[-1].accumulate:  # the sums of a global average pool, kept from its first call to its last
        from .analysis import Buffer
        buffers.append(Buffer(accumulator_name(chain), 4 * ops[chain.last].outputs[0].shape[-1], chain.last,
                              chain.last, align=4))
    # the group's kernels run one at a time and their scratch holds nothing between calls: one scratch
    # buffer (the first one's, from its step on; nothing that lives only before it is inside the group)
    # of the largest size serves them all; the others become empty and take its offset after planning
    inside = [b for b in buffers if b.scratch and chain.first <= b.first <= chain.last and b.size]
    if inside:
        shared = min(inside, key=lambda b: b.first)
        shared.size, shared.last = max(b.size for b in inside), chain.last
        shared.align = max(b.align for b in inside)
        for b in inside:
            if b is not shared:
                b.size = 0


def accumulator_name(chain: BandChain) -> str:
    return f"band{chain.first}_sums"


def share_scratch(buffers, chain: BandChain) -> None:
    """After planning: the emptied scratch buffers of the group point at the shared one."""
    inside = [b for b in buffers if b.scratch and chain.first <= b.first <= chain.last]
    shared = [b for b in inside if b.size]
    for b in inside:
        if not b.size and shared:
            b.offset = shared[0].offset


def chain_overlap(chain: BandChain, buffers, graph: Graph, align: int):
    """The group's output may run over an input that dies in the group, over the rows no later call
    reads: offset(input) - offset(output) >= d, d the most any output band's end runs past the start of
    the next window read from that input. The first such input of the group gets the pair."""
    from .analysis import Overlap
    ops = graph.operators
    yt = ops[chain.last].outputs[0].root()
    by_tensor = {id(b.tensor): b for b in buffers if b.tensor is not None}
    y = by_tensor[id(yt)]
    if y.first != chain.last:
        return None
    outs = {id(t.root()) for t in graph.outputs}
    m, k_out, k_h = len(chain.rows), 1 + ENTRY.index("out_offset"), 1 + ENTRY.index("out_h")
    for xt in external_inputs(graph, chain):
        if xt.is_variable or id(xt) in outs or by_tensor[id(xt)].last != chain.last:
            continue
        reads = [(l, 1 + ENTRY.index(k)) for l, srcs in enumerate(chain.inputs)
                 for k, t, p in zip(("in_offset", "in_offset2"), activation_inputs(ops[chain.first + l]), srcs)
                 if p is None and t.root() is xt]
        if sum(1 for op in ops for t in op.inputs if t is not None and t.root() is xt) != len(reads):
            continue  # read by another layer too (or twice by one)
        d = 0
        for i, e in enumerate(chain.table):
            if e[0] != m - 1:
                continue
            end = e[k_out] + e[k_h] * chain.rows[-1].out_row
            nxt = [f[k] for f in chain.table[i + 1:] for l, k in reads if f[0] == l]
            if nxt:
                d = max(d, end - min(nxt))
        return Overlap(by_tensor[id(xt)], y, -(-d // align) * align, chain.last)
    return None


@dataclass
class BandChoice:
    chains: list[BandChain]      # the fused groups, in step order (empty when none lowers the arena)
    plan: object                 # the Plan with them (or today's plan)
    baseline: object             # today's plan (no fusion)
    tried: list[dict] = field(default_factory=list)
    max_recompute: float = 0.0
    total_macs: int = 0

    @property
    def chain(self) -> BandChain | None:
        return self.chains[0] if self.chains else None


def all_groups(graph: Graph) -> list[tuple[int, int]]:
    """Every valid group [a, b] (b > a) inside the runs of band-capable layers."""
    ops = graph.operators
    out, i = [], 0
    while i < len(ops):
        if layer_rows(ops[i]) is None:
            i += 1
            continue
        j = i
        while j + 1 < len(ops) and layer_rows(ops[j + 1]) is not None:
            j += 1
        out += [(a, b) for a in range(i, j + 1) for b in range(a + 1, min(j, a + MAX_LAYERS - 1) + 1)
                if group_inputs(graph, a, b) is not None]
        i = j + 1
    return out


#: the most layers of one group
MAX_LAYERS = 32
#: how many groups plan_with_bands fuses at most (one search round each)
MAX_GROUPS = 4


def plan_with_bands(graph: Graph, scratch: list[int], rules, align: int, max_recompute: float = 0.10,
                    force: list[int] | None = None, features: list[frozenset] | None = None) -> BandChoice:
    """Today's plan, and the least arena found by fusing groups one at a time: each round tries every
    valid group that does not meet the groups already chosen, with each band height (`_heights`), plans
    the MAX_PLANNED of least liveness bound and keeps the best if it lowers the arena. A candidate is
    kept only if its recomputed MACs stay within `max_recompute` of the model's MACs (the line buffers
    recompute none)."""
    from .analysis import analyse, liveness_lower_bound, overlaps
    from .apply import plan_arena
    from .verify import verify_plan

    import dataclasses
    fresh = analyse(graph, scratch)

    def buffers_with(groups: list[BandChain]):
        buffers = [dataclasses.replace(b) for b in fresh]
        for chain in groups:
            apply_chain(buffers, graph, chain)
        return buffers

    schedules: dict[tuple[int, int, int], BandChain | None] = {}
    blocks = kernel_blocks(graph, features or [frozenset()] * len(graph.operators))

    def schedule(a: int, b: int, height: int) -> BandChain | None:
        if (a, b, height) not in schedules:
            schedules[(a, b, height)] = group_chain(graph, a, b, height, blocks)
        return schedules[(a, b, height)]

    def setup(groups: list[BandChain]):
        """Today's buffers and overlap pairs, with `groups` applied (their own pairs replace the layers')."""
        buffers = analyse(graph, scratch)
        pairs = overlaps(graph, buffers, rules, align)
        for chain in groups:
            apply_chain(buffers, graph, chain)
            pairs = [p for p in pairs if p.step not in chain.steps]
        for chain in groups:
            o = chain_overlap(chain, buffers, graph, align)
            if o is not None:
                pairs.append(o)
        return buffers, pairs

    def plan(groups: list[BandChain]):
        buffers, pairs = setup(groups)
        p = plan_arena(buffers, pairs, align)
        if groups:
            for chain in groups:
                share_scratch(p.buffers, chain)
            verify_plan(p.buffers, max(b.offset + b.size for b in p.buffers), align, p.overlaps)
        return p

    base = plan([])
    total = sum(handler(op.op).macs(op) for op in graph.operators) or 1
    best = BandChoice([], base, base, max_recompute=max_recompute, total_macs=total)
    if force is not None:  # tests: this group and height
        a, b, height = force
        chain = group_chain(graph, a, b, height, blocks)
        if chain is None:
            raise ValueError(f"steps {a}-{b} cannot be fused")
        best.chains, best.plan = [chain], plan([chain])
        return best
    groups = all_groups(graph)
    for _ in range(3):
        _add_groups(best, graph, groups, plan, buffers_with, total, max_recompute, liveness_lower_bound,
                    schedule)
        if not _split_groups(best, graph, plan, buffers_with, liveness_lower_bound, schedule, max_recompute * total
                             - sum(c.recomputed_macs for c in best.chains)):
            break
    return best


def _split_groups(best: BandChoice, graph: Graph, plan, buffers_with, bound_of, schedule, limit: float) -> bool:
    """Try each chosen group split in two at every step (two shorter groups can hold fewer line buffers
    at once than one long one); keep the best split if it lowers the arena. limit: the repeated MACs
    still allowed beside the chosen groups'."""
    found, trials = None, []
    for chain in best.chains:
        for m in range(chain.first + 1, chain.last - 1):
            left = schedule(chain.first, m, chain.height)
            right = schedule(m + 1, chain.last, chain.height)
            if left is None or right is None or (
                    left.recomputed_macs + right.recomputed_macs - chain.recomputed_macs > limit):
                continue
            trial = sorted([c for c in best.chains if c is not chain] + [left, right], key=lambda c: c.first)
            trials.append((bound_of(buffers_with(trial)), len(trials), trial))
    for _, _, trial in sorted(trials, key=lambda t: t[:2])[:MAX_PLANNED]:
        p = plan(trial)
        best.tried.append({"groups": [[c.first, c.last, c.height] for c in trial], "arena": p.arena_size})
        if p.arena_size < (found[1].arena_size if found else best.plan.arena_size):
            found = (trial, p)
    if found is None or len(found[0]) > MAX_GROUPS:
        return False
    best.chains, best.plan = found
    return True


def _add_groups(best: BandChoice, graph: Graph, groups, plan, buffers_with, total, max_recompute, bound_of,
                schedule) -> None:
    """Greedy rounds: add the group (and band height) that lowers the arena most, until none does."""
    while len(best.chains) < MAX_GROUPS:
        taken = {s for c in best.chains for s in c.steps}
        candidates = []
        for a, b in groups:
            if any(s in taken for s in range(a, b + 1)):
                continue
            # a long group: its line buffers dominate, and they grow with the height
            for height in _heights(layer_rows(graph.operators[b]).out_h, 4 if b - a < 6 else 1):
                chain = schedule(a, b, height)
                if chain.recomputed_macs + sum(c.recomputed_macs for c in best.chains) > max_recompute * total:
                    continue
                bound = bound_of(buffers_with(best.chains + [chain]))
                candidates.append((bound, chain.calls, len(candidates), chain))
        found = None
        # planning is the costly part: plan the MAX_PLANNED candidates of least liveness bound
        for _, _, _, chain in sorted(candidates, key=lambda c: c[:3])[:MAX_PLANNED]:
            trial = sorted(best.chains + [chain], key=lambda c: c.first)
            p = plan(trial)
            best.tried.append({"groups": [[c.first, c.last, c.height] for c in trial], "arena": p.arena_size})
            if p.arena_size < (found[1].arena_size if found else best.plan.arena_size):
                found = (trial, p)
        if found is None:
            break
        best.chains, best.plan = found


def _heights(out_h: int, most: int = 4) -> list[int]:
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
