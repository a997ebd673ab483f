"""`axon-scopes [PATH]` and `axon-scopes demo`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from axon_scopes.core import DEFAULT_MAX_FILE_BYTES
from axon_scopes.core.sizes import parse_size, size_text

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


def _size_option(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Version(argparse.Action):
    """`--version`, looked up only when asked (package metadata is slow to read)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        from axon_scopes import __version__

        print(f"axon-scopes {__version__}")
        parser.exit()


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
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--read-only", action="store_true", help="disable every write action")
    parser.add_argument("--theme", default=None, help="Textual theme, e.g. textual-light")
    parser.add_argument(
        "--no-watch", action="store_true", help="do not reload when other processes write"
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="settings file (theme, mute, tree); default: axon-scopes/settings.json in the "
        "platform's config directory, or $AXON_SCOPES_CONFIG",
    )
    parser.add_argument(
        "--max-file-size",
        type=_size_option,
        default=DEFAULT_MAX_FILE_BYTES,
        metavar="SIZE",
        help=f"leave bigger store files unread, marked unreadable (default: "
        f"{size_text(DEFAULT_MAX_FILE_BYTES)}; e.g. 512MiB, 4GiB)",
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
    from .settings import default_path

    app = make_app(
        args.path,
        read_only=args.read_only,
        watch=not args.no_watch,
        theme=args.theme,
        max_file_bytes=args.max_file_size,
        settings_path=args.config or default_path(),
    )
    app.freeze_gc = True
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
