"""The `mcugen` command. Every McugenError becomes a one-paragraph message and its exit code.

Exit codes: 0 ok; 1 verify found differences; 2 bad usage or input files;
3 model unreadable or inconsistent (a validation check failed: docs/validation.md);
4 unsupported model (also: an operator handler failed on the node it names);
5 does not fit the board; 6 output folder holds files mcugen did not write;
7 a tool is missing (named, with how to install it) or the generated code failed to build;
8 the generated program failed or hung; 70 internal error (a bug).
"""
from __future__ import annotations

import json
import sys
from functools import wraps

import click

from .errors import InternalError, McugenError
from .version import __version__


def _friendly(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            sys.stdout.flush()  # here, so that a closed pipe is caught below
            return result
        except BrokenPipeError:  # `mcugen boards | head -1`: the reader left; stop quietly, like a SIGPIPE
            import os
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except McugenError as e:
            click.echo(f"mcugen: {e.title}: {e.message}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("mcugen: interrupted", err=True)
            sys.exit(130)
        except Exception as e:  # a bug: still no traceback for the user, but say how to get one
            import os
            if os.environ.get("MCUGEN_DEBUG"):
                raise
            click.echo(f"mcugen: {InternalError.title}: {type(e).__name__}: {e}. This is a bug in mcugen; "
                       "rerun with MCUGEN_DEBUG=1 for a traceback and report it.", err=True)
            sys.exit(InternalError.exit_code)
    return wrapper


board_option = click.option("--board", default="host", show_default=True,
                            help="Board name (see `mcugen boards`) or path to your own board .toml file.")
timeout_option = click.option("--timeout", default=600.0, show_default=True,
                              help="Seconds one run may take (QEMU runs are stopped after it).")
name_option = click.option("--name", default=None, help="C prefix of the model (default: the file name).")
optimize_option = click.option(
    "--optimize", default="balanced", show_default=True, type=click.Choice(["speed", "size", "balanced"]),
    help="speed: int16 weight copies where the DSP kernels gain from them; size: weights stay int8, no layout "
         "that costs extra flash; balanced: per layer, by instructions saved per byte, within the board's flash "
         "(speed when all of it fits).")



def memory_options(f):
    """--memory and --max-recompute (mcugen.compiler.with_memory, mcugen/planner/bands.py)."""
    f = click.option("--max-recompute", "max_recompute", default="10%", show_default=True, metavar="PCT",
                     help="With --memory min: the most MACs a band schedule may compute twice, as a share of the "
                          "model's (e.g. 10% or 0.1). Line buffers compute no row twice; the fast 1x1/im2col kernels "
                          "repeat a pixel per call when a row is not a multiple of their pixel block.")(f)
    return click.option("--memory", default="default", show_default=True,
                        type=click.Choice(["default", "min", "stream"]),
                        help="min: run groups of early convolution/depthwise/pooling/element-wise/pad layers by "
                             "row bands with line buffers, where that lowers the arena (bit-exact; groups and band "
                             "heights are chosen by planning the candidates; docs/row-bands.md). stream: min, and "
                             "the image inputs are not kept in the arena: invoke asks a callback of yours for their "
                             "rows as the bands need them (NAME_set_input_rows). default: today's plan.")(f)


def _recompute(text):
    from .compiler import parse_recompute
    return parse_recompute(text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcugen")
def main():
    """Compile int8 TensorFlow Lite models into self-contained C for Arm Cortex-M."""


@main.command("inspect")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_friendly
def inspect_cmd(model, as_json):
    """List the operators of MODEL, their cost and whether mcugen supports them."""
    from .inspect_model import format_inspect, inspect
    info = inspect(model)
    click.echo(json.dumps(info, indent=1, sort_keys=True) if as_json else format_inspect(info))


@main.command()
@click.argument("models", nargs=-1, required=True, type=click.Path(dir_okay=False), metavar="MODEL...")
@board_option
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@name_option
@click.option("--force", is_flag=True, help="Overwrite files in the output folder that mcugen did not write.")
@click.option("--ignore-budget", is_flag=True, help="Build even if the model does not fit the board's memory.")
@optimize_option
@memory_options
@click.option("--runtime-name", default=None, metavar="PREFIX",
              help="With several models: the C prefix of the one kernel library they share (default mcugen_rt).")
@click.option("--calibration", "calibration", multiple=True, type=click.Path(dir_okay=False),
              help="Quantize the float32 MODEL first (as `mcugen quantize`), from these calibration samples (one "
                   ".npy per input, or one .npz), then build the quantized model; it and its quantization report "
                   "are written into the output folder (MODEL_int8.tflite or MODEL_16x8.tflite).")
@click.option("--method", default="auto", show_default=True,
              type=click.Choice(["minmax", "percentile", "entropy", "mse", "auto"]),
              help="With --calibration: the activation range calibrator (see `mcugen quantize --help`).")
@click.option("--activations", default="int8", show_default=True, type=click.Choice(["int8", "int16"]),
              help="With --calibration: int8 or int16 (16x8) activations.")
@_friendly
def build(models, board, out, name, force, ignore_budget, optimize, memory, max_recompute, runtime_name, calibration,
          method, activations):
    """Generate the C project of MODEL for a board in the output folder.

    Several models (`mcugen build a.tflite b.tflite ...`) go into one project with one copy of the kernels
    they use (prefix --runtime-name); each model keeps its own API prefix, from its file name.

    With --calibration, MODEL is a float32 model that is quantized first (exit codes as `mcugen quantize`:
    2 bad calibration data, 4 a model that is already quantized or not quantizable)."""
    from . import api
    from .errors import UsageError
    from .support import float_warning
    if len(models) > 1:
        if calibration:
            raise UsageError("--calibration quantizes one model; quantize each with `mcugen quantize` first, "
                             "then build them together.")
        if name is not None:
            raise UsageError("--name names one model; with several models each takes its prefix from its file "
                             "name (rename the files to choose).")
        sb = api.build_shared(list(models), out, board=board, force=force, ignore_budget=ignore_budget,
                              optimize=optimize, runtime=runtime_name or api.SHARED_RUNTIME)
        for c in sb.models:
            _build_summary(out, c)
            warning = float_warning(c.graph, c.board)
            if warning:
                click.echo(f"warning: {c.project.name}: {warning}", err=True)
        kernels = len({f for c in sb.models for f in c.project.kernel_files if f.endswith(".c")})
        click.echo(f"  one kernel library '{sb.runtime}' for {len(sb.models)} models: {kernels} kernel files, "
                   f"build/lib{sb.runtime}.a")
        if sb.footprint is not None:
            fp, b = sb.footprint, sb.models[0].board
            how = "measured" if fp.measured else "estimated"
            click.echo(f"  on {b.name} ({how}): flash {fp.flash:,} of {b.flash.size:,} bytes, "
                       f"RAM {fp.ram:,} of {b.ram.size:,} bytes")
            if sb.separate_flash:
                total = sum(sb.separate_flash)
                click.echo(f"  as separate builds: flash {' + '.join(f'{f:,}' for f in sb.separate_flash)} = "
                           f"{total:,} bytes; shared saves {total - fp.flash:,} bytes "
                           f"({100.0 * (total - fp.flash) / total:.1f}%)")
        return
    if runtime_name is not None:
        raise UsageError("--runtime-name applies to several models built together.")
    model = models[0]
    extra, quantized = {}, None
    if calibration:
        import tempfile
        from pathlib import Path
        stem = Path(model).stem
        stem = stem[:-len("_float")] if stem.endswith("_float") else stem
        qname = f"{stem}_{'16x8' if activations == 'int16' else 'int8'}.tflite"
        with tempfile.TemporaryDirectory(prefix="mcugen-quant-") as tmp:
            qpath = Path(tmp) / qname
            quantized = api.quantize(model, calibration_files=list(calibration), method=method,
                                     activations=activations, output=qpath, progress=True)
            # the quantized model and its report go into the project (the manifest covers them)
            extra = {p.name: p.read_bytes() for p in [qpath, *(quantized.report_files or ())]}
            c = api.build(str(qpath), out, board=board, name=name or stem, force=force,
                          ignore_budget=ignore_budget, optimize=optimize, extra_files=extra, memory=memory,
                          max_recompute=_recompute(max_recompute))
        o = quantized.report["outputs"][0] if quantized.report else None
        click.echo(f"{Path(out) / qname}: quantized ({activations}, {method}, {quantized.samples} calibration "
                   "samples" + (f"; output SQNR {o['sqnr_db']:.2f} dB on held-back samples" if o else "") + ")")
    else:
        c = api.build(model, out, board=board, name=name, force=force, ignore_budget=ignore_budget,
                      optimize=optimize, memory=memory, max_recompute=_recompute(max_recompute))
    _build_summary(out, c)
    warning = float_warning(c.graph, c.board)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if c.footprint is not None:
        fp, b = c.footprint, c.board
        how = "measured" if fp.measured else "estimated"
        click.echo(f"  on {b.name} ({how}): flash {fp.flash:,} of {b.flash.size:,} bytes, "
                   f"RAM {fp.ram:,} of {b.ram.size:,} bytes")


def _build_summary(out, c) -> None:
    r = c.project.report
    lb = r["liveness_lower_bound"]
    below = f", {100.0 * (1 - r['arena_bytes'] / lb):.1f}% below it" if lb and r["arena_bytes"] < lb else ""
    click.echo(f"{out}: model '{c.project.name}', {len(r['layers'])} layers, {r['total_macs']:,} MACs")
    click.echo(f"  arena {r['arena_bytes']:,} bytes (liveness lower bound {lb:,}{below}), "
               f"constants {r['weight_bytes']:,} bytes")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@board_option
@click.option("--input", "inputs", multiple=True, required=True, type=click.Path(dir_okay=False),
              help=".npy file per model input (its shape, or N samples along a new first axis).")
@click.option("--output", "outputs", multiple=True, required=True, type=click.Path(dir_okay=False),
              help=".npy file per model output.")
@name_option
@timeout_option
@optimize_option
@memory_options
@_friendly
def run(model, board, inputs, outputs, name, timeout, optimize, memory, max_recompute):
    """Run the generated code of MODEL on .npy inputs and save its outputs (host, or the board in QEMU)."""
    from . import api
    api.run(model, list(inputs), list(outputs), board=board, name=name, timeout=timeout, optimize=optimize,
            progress=sys.stderr.isatty(), memory=memory, max_recompute=_recompute(max_recompute))


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@board_option
@click.option("--input", "inputs", multiple=True, type=click.Path(dir_okay=False),
              help="Your recorded samples: one .npy per model input (in input order), N samples along the first "
                   "axis, in the input's dtype. Without --count only these are run.")
@click.option("--count", default=None, type=int,
              help="Random inputs (the first two: all min, all max)  [default: 20, or 0 with --input]")
@click.option("--seed", default=0, show_default=True)
@click.option("--sanitize", is_flag=True, help="Build the host code with AddressSanitizer and UBSan.")
@name_option
@timeout_option
@optimize_option
@memory_options
@_friendly
def verify(model, board, inputs, count, seed, sanitize, name, timeout, optimize, memory, max_recompute):
    """Compare the generated code with the TFLM interpreter: integer outputs byte for byte, float outputs
    within 1e-5 of the output's range (max absolute and relative error reported). On a difference, name
    the first layer whose output differs (exit 1)."""
    from . import api
    from .errors import MismatchError
    if count is not None and count < (0 if inputs else 1):
        from .errors import UsageError
        raise UsageError("--count must be at least 1." if not inputs else "--count must not be negative.")
    r = api.verify(model, board=board, count=count, seed=seed, name=name, sanitize=sanitize, timeout=timeout,
                   inputs=list(inputs) or None, optimize=optimize, progress=sys.stderr.isatty(), memory=memory,
                   max_recompute=_recompute(max_recompute))
    errors = r.errors or [None] * len(r.mismatches)
    over = (f"{r.count} inputs ({r.recorded} recorded" + (f", {r.count - r.recorded} random)" if r.count > r.recorded
                                                          else ")")) if r.recorded else f"{r.count} inputs"
    for i, (m, n, e) in enumerate(zip(r.mismatches, r.sizes, errors)):
        if e is not None:
            click.echo(f"output {i} (float): {e.describe()} over {over}")
        else:
            click.echo(f"output {i}: {m} of {n} bytes differ over {over}")
    if r.ok:
        if any(e is not None for e in errors):
            click.echo(f"matches {r.reference} on {over} (integer outputs bit-exact, float outputs within tolerance)")
        else:
            click.echo(f"bit-exact with {r.reference} on {over}")
        return
    b = r.first_bad_layer or {}
    where = (f"first differing layer: step {b['step']} (node {b['node']}, {b['op']})" + (
        f": {b['differing']} of {b['size']} values differ, max |diff| {b['max_abs_diff']:g}" if "differing" in b
        else f": {b.get('error', '')}") if b.get("step") is not None else b.get("note", ""))
    if b.get("sample") is not None:
        where += (f" (first differing sample: {'recorded' if b.get('recorded') else 'random'} sample "
                  f"{b['sample'] if b.get('recorded') else b['sample'] - r.recorded})")
    raise MismatchError(f"outputs differ from {r.reference} on {sum(1 for m in r.mismatches if m)} output(s); {where}.")


@main.command("bench")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--board", default="cortex-m4", show_default=True,
              help="Board with a QEMU machine (see `mcugen boards`) or path to your own board .toml file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@name_option
@timeout_option
@optimize_option
@memory_options
@click.option("--compare", is_flag=True,
              help="Also measure the other --optimize choices and show instructions, constants and flash of each.")
@click.option("--mix", is_flag=True,
              help="Also count the instruction mix per layer: loads, stores, multiply-accumulates (scalar and "
                   "vector), other vector/FPU instructions, branches, the rest (to estimate cycles).")
@_friendly
def bench_cmd(model, board, as_json, name, timeout, optimize, memory, max_recompute, compare, mix):
    """Count the instructions of one inference of MODEL (and of each layer) in QEMU, with flash and RAM.

    Exact and deterministic: a QEMU plugin counts every executed instruction of the second of two
    inferences on a fixed input. Instructions, not cycles.
    """
    from . import api
    from .bench import format_bench
    from .compiler import OPTIMIZE
    mem = {"memory": memory, "max_recompute": _recompute(max_recompute)}
    r = api.bench(model, board=board, name=name, timeout=timeout, optimize=optimize, mix=mix, **mem)
    if compare:
        others = {o: (r if o == optimize else api.bench(model, board=board, name=name, timeout=timeout, optimize=o,
                                                        **mem))
                  for o in OPTIMIZE}
        r["compare"] = {o: {"instructions": x["instructions"], "constants_bytes": x["weight_arrays_bytes"],
                            "flash_bytes": x["flash_bytes"], "ram_bytes": x["ram_bytes"]} for o, x in others.items()}
    if as_json:
        click.echo(json.dumps(r, indent=1, sort_keys=True))
        return
    click.echo(format_bench(r))
    if compare:
        click.echo("")
        click.echo(f"{'--optimize':<11} {'instructions':>13} {'constants':>10} {'flash':>10} {'RAM':>10}")
        for o, x in r["compare"].items():
            click.echo(f"{o:<11} {x['instructions']:>13,} {x['constants_bytes']:>10,} {x['flash_bytes']:>10,} "
                       f"{x['ram_bytes']:>10,}")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@board_option
@click.option("-o", "--output", "out", default="report", show_default=True, type=click.Path(file_okay=False),
              help="Folder for NAME_report.md and NAME_arena.svg.")
@name_option
@memory_options
@_friendly
def report(model, board, out, name, memory, max_recompute):
    """Write a Markdown memory report of MODEL with a picture of its arena over time."""
    from .boards import load_board
    from .compiler import compile_model, with_memory
    from .report import write_report
    c = compile_model(model, name, with_memory(load_board(board), memory, _recompute(max_recompute)))
    for p in write_report(c, out):
        click.echo(str(p))


def _check_output_file(out) -> None:
    """Before any work: the output file's folder exists and the path is not a folder (exit 2)."""
    from pathlib import Path

    from .errors import UsageError
    p = Path(out)
    if p.is_dir():
        raise UsageError(f"-o {out}: is a folder; give the .tflite file to write.")
    if not p.parent.is_dir():
        raise UsageError(f"-o {out}: the folder {p.parent} does not exist; create it first.")


@main.command("quantize")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--calibration", "calibration", multiple=True, type=click.Path(dir_okay=False),
              help="Calibration samples: one .npy per model input (in input order), N samples along the first "
                   "axis, float32 in the model's input space; or one .npz keyed by input name.")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="The int8 .tflite.")
@click.option("--method", default="minmax", show_default=True,
              type=click.Choice(["minmax", "percentile", "entropy", "mse", "auto"]),
              help="Activation range calibrator: minmax (global min/max over all samples), percentile (the "
                   "--percentile of a 2048-bin histogram), entropy (KL-divergence threshold, TensorRT-style), "
                   "mse (least expected quantization error) or auto (per tensor, the one that least harms the "
                   "model output on the calibration samples).")
@click.option("--percentile", "pct", default=99.99, show_default=True, type=float,
              help="The percentile of --method percentile (also a candidate of auto).")
@click.option("--activations", default="int8", show_default=True, type=click.Choice(["int8", "int16", "mixed"]),
              help="Activation type: int8, int16 (TFLM's 16x8 scheme: int16 symmetric activations, int8 "
                   "weights, int64 bias), or mixed (int8 or int16 per group of nodes by measured benefit, within "
                   "--min-sqnr / --max-ram / --board).")
@click.option("--per-tensor", is_flag=True, help="One weight scale per tensor instead of per output channel.")
@click.option("--bias-correction/--no-bias-correction", default=None,
              help="Correct each output channel's mean shift caused by weight quantization (measured on the "
                   "calibration samples). Default: off, except that --method auto decides by "
                   "the output error (with int4 weights it works against the sequential rounding: "
                   "docs/quantization.md).")
@click.option("--io", "io", default="int8", show_default=True, type=click.Choice(["int8", "float"]),
              help="Model inputs/outputs: integer (of the activation type), or float with QUANTIZE/DEQUANTIZE "
                   "at the edges.")
@click.option("--eval", "eval_files", multiple=True, type=click.Path(dir_okay=False),
              help="Samples for the quantization report (as --calibration); default: every 5th calibration "
                   "sample is held back (with at least 10 samples).")
@click.option("--mode", default="static", show_default=True, type=click.Choice(["static", "dynamic", "weight-only"]),
              help="static: int8/16x8 activations from --calibration (required); dynamic: int8 weights, float "
                   "activations quantized at run time (the converter's dynamic-range mode); weight-only: int8 "
                   "weights behind DEQUANTIZE, float layers. dynamic and weight-only use no calibration data "
                   "(--calibration is refused). See mcugen/quantize/dynamic.py.")
@click.option("--min-weights", "min_weights", type=int, default=None,
              help="dynamic / weight-only: weight tensors with fewer values stay float (default: 1024 for dynamic, "
                   "as the converter; 0 for weight-only).")
@click.option("--symmetric-inputs", is_flag=True,
              help="dynamic: FULLY_CONNECTED quantizes its input symmetrically (asymmetric_quantize_inputs false; "
                   "default true, as the converter).")
@click.option("--labels", "labels", default=None, type=click.Path(dir_okay=False),
              help="Class labels (.npy: (N,) class indices or (N, classes) one-hot) of the --eval samples, or of "
                   "the --calibration samples without --eval: the report gives the float and quantized accuracy.")
@click.option("--keep-float", "keep_float", multiple=True, metavar="OP_OR_NODE",
              help="Leave these operators in float (an operator name such as SOFTMAX: all of them, or a node "
                   "index; repeat or separate with commas): a mixed model, DEQUANTIZE before and QUANTIZE after "
                   "each, that mcugen builds with its float kernels.")
@click.option("--weights", "weights", default="int8", show_default=True, type=click.Choice(["int8", "int4", "mixed"]),
              help="int8; int4 (every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: per-channel, per-tensor for "
                   "FULLY_CONNECTED as TFLM runs it, rounded by GPTQ on the calibration data); mixed (per layer int8 "
                   "or int4 by measured sensitivity, within --max-flash / --min-sqnr / --board).")
@click.option("--max-flash", "max_flash", default=None, metavar="BYTES",
              help="mixed: the most bytes the weights and biases may take (200000, 200K, 1.5M, or 60%% of the "
                   "all-int8 model's).")
@click.option("--max-ram", "max_ram", default=None, metavar="BYTES",
              help="The most arena bytes: the limit of --activations mixed, checked for --weights mixed.")
@click.option("--min-sqnr", "min_sqnr", default=None, type=float, metavar="DB",
              help="mixed weights or activations: the least output SQNR against the float model (dB, on the "
                   "calibration samples).")
@click.option("--board", "qboard", default=None, metavar="BOARD",
              help="mixed: fit this board's flash and RAM (a name from `mcugen boards` or a board .toml).")
@_friendly
def quantize_cmd(model, calibration, out, method, pct, activations, per_tensor, bias_correction, io, eval_files,
                 mode, min_weights, symmetric_inputs, labels, keep_float, weights, max_flash, max_ram, min_sqnr,
                 qboard):
    """Quantize a float32 MODEL to int8 or 16x8 (static post-training quantization, no TensorFlow needed).

    Writes the model and, beside it, the quantization report (OUT.quantization.md and .json: per layer the
    range, its calibrator, the clipped fraction and the SQNR against the float model; the worst layers).

    Exit codes: 2 bad calibration data or labels, or an unknown --keep-float operator or node, 3 unreadable
    model, 4 a model that is already quantized, has no float tensors, or holds operators the quantizer cannot
    quantize (listed; --keep-float leaves them in float, if mcugen has their float kernel), 5 no per-layer
    precision meets --max-flash / --max-ram / --min-sqnr / --board (the message says which and by how much),
    7 LiteRT missing.
    """
    from . import api
    _check_output_file(out)
    if mode != "static":
        from .quantize.dynamic import cli_quantize_dynamic
        cli_quantize_dynamic(model, out, mode, calibration, eval_files, per_tensor, min_weights, symmetric_inputs,
                             bias_correction)
        return
    if not calibration:
        from .errors import UsageError
        raise UsageError("--calibration is required with --mode static (dynamic and weight-only need no data)")
    r = api.quantize(model, calibration_files=list(calibration), method=method, percentile=pct,
                     activations=activations, per_tensor=per_tensor, bias_correction=bias_correction, io=io,
                     eval_files=list(eval_files) or None, output=out, progress=True, labels=labels,
                     keep_float=[k for v in keep_float for k in v.split(",") if k.strip()] or None,
                     weights=weights, max_flash=max_flash, max_ram=max_ram, min_sqnr=min_sqnr, board=qboard)
    click.echo(f"{out}: {activations}, {len(r.graph.operators)} operators, {method} ranges from {r.samples} "
               f"samples, {'per-tensor' if per_tensor else 'per-channel'} weights, {io} I/O"
               + (", bias correction" if r.bias_corrected is not None else "")
               + (f", int4 weights in {len(r.int4_layers)} layers" if r.int4_layers else ""))
    if r.activation_precision is not None:
        a = r.activation_precision
        click.echo(f"activations: int16 nodes {a['int16_nodes'] or 'none'}; SQNR on the calibration samples "
                   f"{a['sqnr_db']:.2f} dB (all-int8 {a['int8_sqnr_db']:.2f})"
                   + (f"; arena {a['arena_bytes']:,} bytes (all-int8 {a['int8_arena_bytes']:,})"
                      if a.get("arena_bytes") is not None else ""))
    if r.precision is not None:
        p = r.precision
        click.echo(f"precision: {len(p['int4'])} of {len(p['layers'])} layers int4; weights and biases "
                   f"{p['weight_bytes']:,} bytes (all-int8 {p['int8_weight_bytes']:,}); SQNR on the calibration samples "
                   f"{p['sqnr_db']:.2f} dB (all-int8 {p['int8_sqnr_db']:.2f}); search {p['seconds']['search']:.3f} s "
                   f"after {p['seconds']['sensitivity']:.1f} s of sensitivity runs")
    if r.report is not None:
        for o in r.report["outputs"]:
            agree = f", top-1 agreement {o['top1_agreement']:.3f}" if "top1_agreement" in o else ""
            acc = (f", accuracy {o['accuracy']:.3f} (float {o['float_accuracy']:.3f})" if "accuracy" in o else "")
            click.echo(f"output {o['tensor']}: SQNR {o['sqnr_db']:.2f} dB{agree}{acc} ({r.report['evaluation']})")
        worst = ", ".join(f"node {w['node']} {w['op']} {w['sqnr_db']:.1f} dB" for w in r.report["worst_layers"])
        click.echo(f"worst layers: {worst}")
        if r.report_files:
            click.echo(f"report: {r.report_files[0]}, {r.report_files[1]}")


@main.command()
@_friendly
def boards():
    """List the boards mcugen knows, with their CPU, memory and emulator."""
    from .boards import all_boards
    click.echo(f"{'board':<12} {'cpu':<11} {'flash':>10} {'RAM':>10}  {'features':<12} {'QEMU machine':<14} description")
    for b in all_boards():
        flash = f"{b.flash.size // 1024:,} KB" if b.flash else "-"
        ram = f"{b.ram.size // 1024:,} KB" if b.ram else "-"
        click.echo(f"{b.name:<12} {b.cpu:<11} {flash:>10} {ram:>10}  {','.join(b.features) or '-':<12} "
                   f"{b.qemu_machine or '-':<14} {b.description}")
    click.echo("Your own board: --board path/to/board.toml (format: boards/stm32f746-example.toml).")


if __name__ == "__main__":
    main()
