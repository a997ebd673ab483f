"""Exit codes scripts branch on, and the one-line messages every failure becomes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

#: Success.
OK = 0
#: Anything else that failed (a write the filesystem refused, a lock not free in time).
FAILED = 1
#: Bad usage or input: unknown option, invalid scope name, value over the size limit,
#: a file to import that does not parse, a write refused by `--read-only`.
USAGE = 2
#: The scope or key is not there.
NOT_FOUND = 3
#: A checked write (`--expect`, `--absent`) found something else; nothing was written.
CONFLICT = 4
#: The scope's stored data cannot be read (corrupt, too big); it is left untouched.
UNREADABLE = 5
#: The source cannot be reached: a missing directory, a path through a file, a server down.
UNREACHABLE = 6

EXIT_CODES = {
    OK: "success",
    FAILED: "failed (a write the system refused, a lock not free in time)",
    USAGE: "invalid usage or input: option, scope name, value too large, read-only",
    NOT_FOUND: "scope or key not found",
    CONFLICT: "conflict: the entry is not what --expect/--absent said; nothing written",
    UNREADABLE: "the scope's stored data is unreadable",
    UNREACHABLE: "the source cannot be reached (missing directory, server down, token wanted)",
}


class CliError(click.ClickException):
    """A failure with its exit code, shown as one line on stderr."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.exit_code = code

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"axon-scopes: {one_line(self.format_message())}", err=True)


def one_line(text: str) -> str:
    """Messages quote stored text, paths and names: one line, nothing that steers a terminal."""
    from .output import safe

    return safe(" ".join(str(text).split()))


def code_for(exc: BaseException) -> int:
    """The exit code of a core error (see the table above)."""
    from axon_scopes.core import errors as e

    if isinstance(exc, e.WriteConflictError):
        return CONFLICT
    if isinstance(exc, e.ScopeReadOnlyError | e.StoreUnreadableError):
        return UNREADABLE
    if isinstance(exc, e.SourceUnavailableError | ConnectionError):
        return UNREACHABLE
    if isinstance(
        exc,
        e.InvalidScopeNameError
        | e.InvalidEntryError
        | e.ReadOnlyServiceError
        | e.UnsupportedWriteError,
    ):
        return USAGE
    return FAILED


@contextmanager
def reported() -> Iterator[None]:
    """Turn the core's errors (and the system's) into a one-line `CliError`."""
    from axon_scopes.core import ScopeError
    from axon_scopes.core.errors import TokenRequiredError

    try:
        yield
    except (CliError, BrokenPipeError):
        raise
    except TokenRequiredError as exc:
        raise CliError(f"{exc}: pass --token or set AXON_TOKEN", UNREACHABLE) from None
    except (ScopeError, OSError) as exc:
        raise CliError(str(exc), code_for(exc)) from None
