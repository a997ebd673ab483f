"""`serve`: AxonServer's session API over one base of any source, until SIGINT or SIGTERM.

aiohttp and `axon_scopes.server` are imported only when the command runs, so the
other commands start no slower for it.
"""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import click

from .errors import FAILED, NOT_FOUND, USAGE, CliError, reported
from .sources import SOURCE, open_source, source_options

if TYPE_CHECKING:
    from axon_scopes.core import ScopeSource

#: The base AxonServer writes (`ScopedSessionManager::new("axon-server")`).
DEFAULT_BASE = "axon-server"


def with_base(url: str, base: str) -> str:
    """A Redis URL narrowed to one base (`?base=NAME`), its other parts kept."""
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query) if name != "base"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("base", base)])))


def choose_base(
    target: str, base: str | None, read_only: bool, max_file_size: int | None
) -> tuple[ScopeSource, str]:
    """The source narrowed to the one base served, and that base's id."""
    if base is not None and (base in ("", ".", "..") or "/" in base or os.sep in base):
        raise CliError(f"--base {base!r} is not a base name", USAGE)
    src = open_source(target, read_only=read_only, max_file_size=max_file_size)
    services = src.services()
    labels = {src.label(found): found for found in services}
    if len(services) == 1 and (base is None or base in labels):
        return src, next(iter(services))
    directory = getattr(src, "directory_mode", False)
    src.close()
    if base is None and not services and directory:
        base = DEFAULT_BASE  # An empty directory: where AxonServer itself would write.
    if base is None:
        if not services:
            raise CliError(f"no stores in {src.where} ({src.describe_empty()})", NOT_FOUND)
        names = ", ".join(sorted(labels))
        raise CliError(
            f"{src.where} holds the stores of several bases ({names}): choose one with --base NAME",
            USAGE,
        )
    if src.kind == "redis":
        narrowed = with_base(target, base)
    elif directory:
        narrowed = os.path.join(target, base)
    else:
        names = ", ".join(sorted(labels))
        raise CliError(f"{target} is the base {names}, not {base!r}", USAGE)
    src = open_source(narrowed, read_only=read_only, max_file_size=max_file_size)
    return src, next(iter(src.services()))


@click.command("serve")
@click.argument("source", type=SOURCE)
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", type=click.IntRange(0, 65535), default=8420, show_default=True, help="port")
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    metavar="FILE",
    help="bearer keys, one 'read KEY' or 'write KEY' per line (mode 600)",
)
@click.option("--base", default=None, metavar="NAME", help="the base to serve, in a directory")
@source_options
def serve_command(
    source: str,
    host: str,
    port: int,
    keys_file: str | None,
    base: str | None,
    read_only: bool,
    max_file_size: int | None,
) -> None:
    """Serve SOURCE's scopes over AxonServer's session API (HTTP).

    The same routes, answers and status codes as AxonServer's /v1/session and
    /v1/events, with read and write keys from --keys FILE or $AXON_SCOPES_READ_KEYS
    and $AXON_SCOPES_WRITE_KEYS (comma-separated). Without keys everything is open,
    so only a loopback address may be bound. Stops cleanly on Ctrl-C or SIGTERM.
    """
    gc.enable()  # Runs for long (see `axon_scopes.cli`).
    from axon_scopes.server.auth import Keys, KeysError
    from axon_scopes.server.run import ServeError, check_host, run

    try:
        keys = Keys.load(keys_file, os.environ)
        check_host(host, keys)
    except (KeysError, ServeError) as exc:
        raise CliError(str(exc), USAGE) from None
    src, served = choose_base(source, base, read_only, max_file_size)
    shown = src.location if src.kind == "redis" else source
    label = src.label(served)

    def announce(url: str) -> None:
        click.echo(f"serving {shown} (base {label}) on {url}", err=True)

    try:
        with reported():
            run(src, served, keys, host, port, announce)
    except ServeError as exc:
        raise CliError(str(exc), FAILED) from None
    finally:
        src.close()
