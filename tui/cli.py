"""The app's side of the command line: `axon-scopes SOURCE`, `open` and `demo` run it.

The command line itself is `axon_scopes.cli` (click); this module is imported only
when the app is wanted, so scripting commands never load Textual.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def run_app(
    target: str | None,
    read_only: bool = False,
    theme: str | None = None,
    watch: bool = True,
    max_file_size: int | None = None,
    *,
    redis: bool = False,
    config: str | None = None,
    token: str | None = None,
    poll: float | None = None,
) -> int:
    """Open the app on `target` (None: the demo, over Redis with `redis`); its exit code.

    `config` is the settings file (None: the platform's config directory's). `token`
    and `poll` are an AxonServer's bearer key and poll interval (`http://` sources).
    """
    import gc

    import click

    _end_with_parent()
    from axon_scopes.cli.sources import build_source
    from axon_scopes.core import DEFAULT_MAX_FILE_BYTES, SourceOptions

    gc.enable()  # The console script turns it off for its short-lived commands.
    max_file_bytes = max_file_size or DEFAULT_MAX_FILE_BYTES
    # What cannot be a source is refused before Textual loads; the app finds the bases.
    extra: dict[str, object] = {}
    if token:
        extra["token"] = token
    if poll is not None:
        extra["poll_s"] = poll
    options = SourceOptions(read_only=read_only, max_file_bytes=max_file_bytes, extra=extra)
    source = build_source(target, options) if target is not None else None
    if source is not None:
        # Read while Textual loads: a big scope's first frame comes that much sooner.
        source.prefetch()
    # Textual draws at most this many frames a second (read when it is imported). At
    # its default of 60, a key pressed just after a frame waits up to 17 ms for the
    # next; at 120 a keystroke is on screen within about 10 ms. Idle costs nothing
    # more: no frame is drawn when nothing changed.
    os.environ.setdefault("TEXTUAL_FPS", "120")
    from textual.theme import BUILTIN_THEMES

    if theme is not None and theme not in BUILTIN_THEMES:
        raise click.UsageError(
            f"unknown theme {theme!r}; choose from: {', '.join(sorted(BUILTIN_THEMES))}"
        )
    from .settings import default_path

    settings_path = config or default_path()
    if source is None:
        from .demo import run_demo

        return run_demo(
            read_only=read_only, theme=theme, watch=watch, redis=redis, settings_path=settings_path
        )
    from .app import make_app

    app = make_app(
        source,
        read_only=read_only,
        watch=watch,
        theme=theme,
        max_file_bytes=max_file_bytes,
        settings_path=settings_path,
    )
    app.freeze_gc = True
    try:
        app.run()
    finally:
        source.close()  # Connections, and a Redis base's published memory.
    return app.return_code or 0


def build_parser() -> argparse.ArgumentParser:
    """The app's options parsed as the command line parses them (for callers that want them)."""
    return _AppParser(prog="axon-scopes")


class _AppParser(argparse.ArgumentParser):
    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: object = None
    ) -> argparse.Namespace:
        from axon_scopes.cli.main import open_command

        ctx = open_command.make_context("axon-scopes", list(args or []))
        params = dict(ctx.params)
        params["path"] = params.pop("source")
        return argparse.Namespace(**params)


def main(argv: Sequence[str] | None = None) -> int:
    """The `axon-scopes` command (see `axon_scopes.cli.main`)."""
    from axon_scopes.cli.main import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())


def _end_with_parent() -> None:
    """Under `axon-scopes web`: end when the server ends, even when it is killed outright.

    The server ends its apps when it stops; one killed by SIGKILL cannot, and an app
    would then run on with no one to see it. Linux's parent-death signal covers that.
    """
    parent = os.environ.pop("AXON_SCOPES_END_WITH", "")
    if not parent.isdigit() or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != int(parent):  # It was gone before the signal was asked for.
        os.kill(os.getpid(), signal.SIGTERM)
