"""`axon-scopes [PATH]` and `axon-scopes demo`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

DESCRIPTION = """\
Browse and edit the scoped session state of an Axon server.

PATH is either a base path or a directory:
  axon-scopes                    the store AxonServer writes in this directory
                                 (files ./.axon-server__*.session.json)
  axon-scopes srv/axon-server    files srv/.axon-server__*.session.json
  axon-scopes srv/               every store in srv/ (each base name is a tree root)
  axon-scopes demo               a generated demo store in a temporary directory
                                 (use ./demo to open a directory called demo)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axon-scopes",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "path",
        nargs="?",
        default="axon-server",
        help="base path or directory of the stores (default: axon-server)",
    )
    parser.add_argument("--read-only", action="store_true", help="disable every write action")
    parser.add_argument("--theme", default=None, help="Textual theme, e.g. textual-light")
    parser.add_argument(
        "--no-watch", action="store_true", help="do not reload when other processes write"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Textual draws at most this many frames a second (read when it is imported). At
    # its default of 60, a key pressed just after a frame waits up to 17 ms for the
    # next; at 120 a keystroke is on screen within about 10 ms. Idle costs nothing
    # more: no frame is drawn when nothing changed.
    os.environ.setdefault("TEXTUAL_FPS", "120")
    from textual.theme import BUILTIN_THEMES

    from .app import make_app

    if args.theme is not None and args.theme not in BUILTIN_THEMES:
        parser.error(
            f"unknown theme {args.theme!r}; choose from: {', '.join(sorted(BUILTIN_THEMES))}"
        )

    if args.path == "demo":
        from .demo import run_demo

        return run_demo(read_only=args.read_only, theme=args.theme, watch=not args.no_watch)
    app = make_app(args.path, read_only=args.read_only, watch=not args.no_watch, theme=args.theme)
    app.freeze_gc = True
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
