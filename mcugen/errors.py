"""One exception hierarchy; every user-facing failure is a subclass of McugenError.

Each class carries the process exit code the CLI returns for it. The codes are
documented in README.md ("Exit codes") and must not change meaning.
"""


class McugenError(Exception):
    """Base of every error mcugen reports to a user (never shown as a traceback)."""

    exit_code = 1
    title = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ModelReadError(McugenError):
    """The file is missing, truncated, corrupt or not a TFLite flatbuffer."""

    exit_code = 3
    title = "cannot read model"


class UnsupportedModelError(McugenError):
    """The model uses operators or tensor types mcugen cannot compile."""

    exit_code = 4
    title = "unsupported model"


class BudgetError(McugenError):
    """The model does not fit the board's RAM or flash."""

    exit_code = 5
    title = "model does not fit the board"


class InfeasibleError(BudgetError):
    """`quantize --weights mixed`: no per-layer precision meets the limits given (flash, RAM, SQNR)."""

    exit_code = 5


class OutputDirError(McugenError):
    """The output directory holds files mcugen did not write."""

    exit_code = 6
    title = "refusing to overwrite"


class ToolchainError(McugenError):
    """A compiler or emulator is missing, or the generated code failed to build."""

    exit_code = 7
    title = "build failed"


class MissingToolError(ToolchainError):
    """A program or Python package a command needs is not installed (the message says how to install it)."""

    exit_code = 7
    title = "missing tool"


class RunError(McugenError):
    """The generated program failed or hung at run time."""

    exit_code = 8
    title = "run failed"


class MismatchError(McugenError):
    """`mcugen verify` found outputs that differ from the reference interpreter."""

    exit_code = 1
    title = "outputs differ from TFLM"


class UsageError(McugenError):
    """A command-line argument or input file is wrong (shape, dtype, count, unknown board)."""

    exit_code = 2
    title = "bad usage"


class InternalError(McugenError):
    """An invariant of mcugen itself was broken (a bug: please report it)."""

    exit_code = 70
    title = "internal error"


class HandlerError(UnsupportedModelError):
    """An operator handler failed on a model that passed validation: the operator is reported, by node,
    as not compilable (exit 4), with the handler's error. A bug to report: the handler lacks a rule."""

    title = "unsupported model (operator handler failed)"


def _handler_error(op, doing: str, e: BaseException) -> HandlerError:
    return HandlerError(
        f"node {op.index} ({op.op}): mcugen's {op.op} handler failed while {doing} "
        f"({type(e).__name__}: {e}). The operator's parameters are outside what mcugen's support rules check; "
        "please report this with the model (rerun with MCUGEN_DEBUG=1 for a traceback).")


def guarded_call(op, doing: str, fn, *args):
    """fn(*args); an exception that is not a McugenError becomes a HandlerError naming `op`'s node."""
    try:
        return fn(*args)
    except McugenError:
        raise
    except Exception as e:
        import os
        if os.environ.get("MCUGEN_DEBUG"):
            raise
        raise _handler_error(op, doing, e) from None


class guarded:
    """`with guarded("planning the arena"):` an exception that is not a McugenError becomes an
    InternalError saying which stage failed (never a bare numpy/Jinja exception)."""

    def __init__(self, doing: str):
        self.doing = doing

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        import os
        if e is None or isinstance(e, McugenError) or not isinstance(e, Exception) or os.environ.get("MCUGEN_DEBUG"):
            return False
        raise InternalError(f"{self.doing} failed ({type(e).__name__}: {e}). This is a bug in mcugen; "
                            "rerun with MCUGEN_DEBUG=1 for a traceback and report it.") from None
