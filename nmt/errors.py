"""The one error family of `nmt`: every refusal derives from `NmtError`.

A refusal means "your input, options or setup are wrong": the command line reports it as one
line on stderr (`nmt: error: MESSAGE`) and exits with the error's `exit_code`, never with a
traceback. Bugs are not refusals and keep their tracebacks.

Contract: `str(err)` is the complete, user-facing message (it names the file, option or bundle at
fault); `exit_code` is the process exit status the command line returns for it. Subclasses keep
their historic built-in base (ValueError, RuntimeError) beside `NmtError`, so callers that catch
those still do.
"""

from __future__ import annotations

# Exit status of a refusal (argparse's usage errors also exit 2).
EXIT_REFUSED = 2


class NmtError(Exception):
    """A refusal: a message for the user and the exit status that goes with it."""

    exit_code: int = EXIT_REFUSED


class UsageError(NmtError, ValueError):
    """A bad command-line option or option combination; the message names the option."""
