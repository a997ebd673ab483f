"""Opening what the user named, and finding the one service a scope command works on.

Only `open_source`, `ScopeSource` and `ScopeService` are used, so every command
works on any source: a base path, a directory of stores, a Redis URL, a server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import NOT_FOUND, UNREACHABLE, UNREADABLE, USAGE, CliError, reported

if TYPE_CHECKING:
    from axon_scopes.core import (
        ScopeService,
        ScopeSnapshot,
        ScopeSource,
        ScopeStatus,
        SourceOptions,
    )

F = TypeVar("F", bound=Callable[..., Any])


class SizeType(click.ParamType):
    """`64MiB`, `2GiB`, `1500`: sizes in bytes."""

    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        from axon_scopes.core.sizes import parse_size

        try:
            return parse_size(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


#: A source argument: a path (completed as one by the shell) or a URL.
SOURCE = click.Path(path_type=str)


#: Where `--token` (or AXON_TOKEN) is kept for the command that opens the source.
TOKEN_KEY = "axon_scopes.token"


def _keep_token(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta[TOKEN_KEY] = value


def given_token() -> str | None:
    """The bearer token given with `--token` or AXON_TOKEN, if any (never printed)."""
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get(TOKEN_KEY)


def source_options(func: F) -> F:
    """Options every command that opens a source takes."""
    func = click.option(
        "--token",
        envvar="AXON_TOKEN",
        default=None,
        metavar="KEY",
        expose_value=False,
        callback=_keep_token,
        help="bearer key of an AxonServer (http:// sources); or set AXON_TOKEN",
    )(func)
    func = click.option(
        "--max-file-size",
        type=SizeType(),
        default=None,
        metavar="SIZE",
        help="leave bigger store files unread, marked unreadable (default: 1 GiB; "
        "e.g. 512MiB, 4GiB)",
    )(func)
    return click.option("--read-only", is_flag=True, help="refuse every write")(func)


def build_source(target: str, options: SourceOptions) -> ScopeSource:
    """The source behind `target`, nothing read yet; what cannot be one exits 6."""
    from axon_scopes.core import open_source as open_any

    with reported():
        try:
            return open_any(target, options)
        except ImportError as exc:  # A kind of source this installation lacks (a driver).
            raise CliError(
                f"{target}: cannot open this kind of source here: {exc}", UNREACHABLE
            ) from None


def open_source(
    target: str,
    *,
    read_only: bool = False,
    max_file_size: int | None = None,
    max_value_size: int | None = None,
) -> ScopeSource:
    """The source behind `target`, its bases found; unreachable ones exit 6."""
    from axon_scopes.core import SourceOptions

    token = given_token()
    options = SourceOptions(
        read_only=read_only,
        max_file_bytes=max_file_size,
        max_value_bytes=max_value_size,
        extra={"token": token} if token else {},
    )
    source = build_source(target, options)
    with reported():
        source.discover()
    return source


def only_service(source: ScopeSource) -> tuple[str, ScopeService]:
    """The source's one base: a scope command needs exactly one."""
    services = source.services()
    if len(services) == 1:
        return next(iter(services.items()))
    if not services:
        raise CliError(
            f"no stores in {source.where} ({source.describe_empty()}); name a base path "
            "such as DIR/axon-server to create one",
            NOT_FOUND,
        )
    names = ", ".join(source.label(base) for base in services)
    raise CliError(
        f"{source.where} holds the stores of several bases ({names}): name one, as DIR/<base>",
        USAGE,
    )


def check_name(scope: str) -> None:
    """Refuse a scope name no store could hold, before looking for it."""
    from axon_scopes.core import validate_scope_name

    with reported():
        validate_scope_name(scope)


def existing(service: ScopeService, scope: str, *, readable: bool = True) -> ScopeStatus:
    """The scope's status; exits 3 if it is not there and 5 if it cannot be read."""
    with reported():
        status = service.status(scope)
    if status is None:
        check_name(scope)  # A name no store could hold is bad usage, not a missing scope.
        raise CliError(f"no scope {scope!r}", NOT_FOUND)
    if readable and status.error is not None:
        raise CliError(f"scope {scope!r} is unreadable: {status.error}", UNREADABLE)
    return status


def readable_snapshot(service: ScopeService, scope: str) -> ScopeSnapshot:
    """The scope now; exits 5 if its stored data cannot be read (its bytes stay untouched)."""
    with reported():
        snapshot = service.snapshot(scope)
    if snapshot.error is not None:
        raise CliError(f"scope {scope!r} is unreadable: {snapshot.error}", UNREADABLE)
    return snapshot
