"""One small exception hierarchy; the CLI turns any of these into a one-line message and exit code."""


def first_line(exc: BaseException) -> str:
    """An exception's message in one line for an error of ours: its first non-blank line, else its type."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class FpgaNnError(Exception):
    """Base class of every error fpga-nn raises on purpose."""

    exit_code = 1


class UserInputError(FpgaNnError):
    """Bad input from the user: a malformed part, a missing file, an existing directory."""

    exit_code = 2


class UnsupportedModelError(UserInputError):
    """The model holds a layer or quantizer the firmware flow cannot reproduce."""


class ToolError(FpgaNnError):
    """An external tool (g++, vitis_hls, yosys, ...) is missing or failed."""

    exit_code = 3


class VerificationError(FpgaNnError):
    """The firmware does not reproduce the offline model bit for bit."""

    exit_code = 4


class Terminated(SystemExit):
    """SIGTERM (``kill``, ``timeout``, a batch system) raised as an exception, so that every ``finally``
    runs: children ended, staging and temporary folders removed, an existing project untouched."""

    def __init__(self) -> None:
        super().__init__(143)


class InputsDiffer(FpgaNnError):
    """``fpga-nn compare``: two input sets of the same events differ beyond the tolerance."""

    exit_code = 5
