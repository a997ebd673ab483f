"""`axon-scopes web SOURCE`: the app in a browser, one app process per browser tab.

Served by textual-serve (imported only when this command runs, like the app).
The server has no authentication of its own, so it listens on 127.0.0.1 unless
told otherwise, and another address needs `--read-only` or `--public-writable`.
"""

from __future__ import annotations

import errno
import os
import socket

import click

from .errors import FAILED, USAGE, CliError, one_line
from .main import app_options
from .sources import SOURCE, given_token, open_source


def refusal(host: str, port: int) -> str:
    """Why a writable server is not started on a non-loopback address."""
    return (
        f"refusing to serve writes on {host}: the web server has no authentication, so "
        f"anyone who can reach {host}:{port} could change the stores; add --read-only, or "
        "--public-writable on a network you trust (or keep 127.0.0.1 and use an SSH tunnel)"
    )


def check_port(host: str, port: int) -> None:
    """A port in use (or an address not of this machine) is one line, before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"port {port} on {host} is in use; choose another with --port") from None
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def page_url(host: str, port: int) -> str:
    """Where to point the browser."""
    from axon_scopes.web.hosts import url_host

    if host in {"0.0.0.0", "::", ""}:
        host = socket.gethostname()  # Every address: name the machine.
    return f"http://{url_host(host)}:{port}/"


@click.command("web")
@click.argument("source", type=SOURCE, envvar="AXON_SCOPES_SOURCE")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port"
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="address to listen on; one that is not loopback needs --read-only or --public-writable",
)
@click.option(
    "--public-writable",
    is_flag=True,
    help="allow writes on a non-loopback --host: anyone who reaches it can change the stores",
)
@app_options
def web_command(
    source: str,
    port: int,
    host: str,
    public_writable: bool,
    read_only: bool,
    theme: str | None,
    no_watch: bool,
    max_file_size: int | None,
    config: str | None,
    poll: float | None,
) -> None:
    """Serve the app on SOURCE to web browsers (textual-serve), each tab its own app.

    \b
    It listens on 127.0.0.1: from elsewhere, use an SSH tunnel:
      ssh -N -L 8000:127.0.0.1:8000 HOST   then open http://127.0.0.1:8000/
    A URL source (it may hold a password) can come from $AXON_SCOPES_SOURCE;
    each app gets it from its environment, never on its command line.
    """
    from axon_scopes.web import app_command, is_loopback

    if not is_loopback(host) and not (read_only or public_writable):
        raise CliError(refusal(host, port), USAGE)
    if theme is not None:
        from textual.theme import BUILTIN_THEMES

        if theme not in BUILTIN_THEMES:
            raise click.UsageError(
                f"unknown theme {theme!r}; choose from: {', '.join(sorted(BUILTIN_THEMES))}"
            )
    checked = open_source(source, read_only=read_only, max_file_size=max_file_size)
    where = checked.where
    checked.close()
    check_port(host, port)
    command = app_command(
        source,
        read_only=read_only,
        theme=theme,
        config=config,
        max_file_size=max_file_size,
        watch=not no_watch,
        poll=poll,
    )
    token = given_token()
    if token:  # Each app reads it from its environment, never from its command line.
        os.environ["AXON_TOKEN"] = token
    os.environ.update(command.env)  # textual-serve hands its environment to every app.
    mode = "read-only" if read_only else "writable"
    banner = (
        f"axon-scopes web: serving {one_line(where)} ({mode}) at {page_url(host, port)}"
        " (Ctrl-C stops)"
    )
    import gc

    gc.enable()  # The console script turns it off for short commands; this one runs long.
    from axon_scopes.web.server import ScopesServer

    try:
        ScopesServer(command.shell, host, port, banner=banner).run()
    except OSError as exc:  # The port was taken between the check and the start.
        raise CliError(f"cannot serve on {host}:{port}: {exc.strerror or exc}", FAILED) from None
