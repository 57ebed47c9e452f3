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
