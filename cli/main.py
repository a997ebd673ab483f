"""`axon-scopes`: the app (`axon-scopes SOURCE`, `open`, `demo`) and the scripting commands.

A first argument that is not a command is the app's SOURCE, so `axon-scopes srv/`
opens the app as it always has; `axon-scopes open ls` opens a directory called
`ls`. Only the app's commands import the app (and Textual), when they run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from .errors import EXIT_CODES, one_line
from .sources import source_options

HELP = """\
Browse and edit the scoped session state of an Axon server, or script it.

\b
The app:
  axon-scopes                    the store AxonServer writes in this directory
                                 (files ./.axon-server__*.session.json)
  axon-scopes srv/axon-server    files srv/.axon-server__*.session.json
  axon-scopes srv/               every store in srv/ (each base name is a tree root)
  axon-scopes redis://host/0     a Redis source
  axon-scopes http://host:8420   a running AxonServer (--token KEY or AXON_TOKEN)
  axon-scopes demo               a generated demo store in a temporary directory
  axon-scopes open DIR           DIR even when its name is a command (or use ./DIR)
  app options: --read-only, --theme NAME, --no-watch, --max-file-size SIZE,
               --token KEY, --poll SECONDS

\b
Scripting (each command has --help):
  axon-scopes ls srv/                       scopes, counts and status
  axon-scopes get srv/axon-server global k  the raw value (--json: the entry)
  axon-scopes set srv/axon-server global k v --expect old
  axon-scopes export srv/axon-server global | axon-scopes import b/axon-server global -
  axon-scopes tail srv/                     changes as JSON lines
  axon-scopes serve srv/axon-server         AxonServer's session API over HTTP

\b
In a browser (listens on 127.0.0.1; see the README for an SSH tunnel):
  axon-scopes web srv/ --port 8000          the app, one process per browser tab
"""

#: The app's options that take a value: their value is not the SOURCE.
_VALUE_OPTIONS = frozenset({"--theme", "--max-file-size", "--token", "--poll", "--config"})
_GROUP_ONLY = frozenset({"--help", "-h", "--version"})


def _epilog() -> str:
    codes = "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())
    return f"\b\nExit codes:\n{codes}"


#: The scripting commands, by name, and the module of each: loaded only when run (or
#: listed), so a command starts without importing the others.
LAZY_COMMANDS = {
    "ls": "commands",
    "get": "commands",
    "set": "commands",
    "rm": "commands",
    "entries": "commands",
    "export": "commands",
    "import": "transfer",
    "copy": "transfer",
    "tail": "tail",
    "serve": "serve",
    "web": "web",
}


class AppGroup(click.Group):
    """A group whose first positional argument, if not a command, is the app's SOURCE."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            from importlib import import_module

            module = import_module(f"{__package__}.{LAZY_COMMANDS[cmd_name]}")
            self.add_command(getattr(module, f"{cmd_name}_command"))
        return self.commands.get(cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:  # Shell completion sees the words as typed.
            args = self.route(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # The reader went away (`| head`): not an error of ours.
            _quiet_stdout()
            raise click.exceptions.Exit(0) from None

    def route(self, args: list[str]) -> list[str]:
        index = 0
        while index < len(args):
            word = args[index]
            if word == "--":
                return ["open", *args]
            if word.startswith("-") and word != "-":
                index += 2 if word in _VALUE_OPTIONS else 1
                continue
            if word not in self.commands and word not in LAZY_COMMANDS:
                return ["open", *args]
            # A command after app-style options (`--read-only demo`): the options are its own.
            return args if index == 0 else [word, *args[:index], *args[index + 1 :]]
        if any(word in _GROUP_ONLY for word in args):
            return args
        return ["open", *args]


def app_options(func: Any) -> Any:
    """The interactive app's options, as `axon-scopes SOURCE` has always taken them."""
    func = click.option(
        "--no-watch", is_flag=True, help="do not reload when other processes write"
    )(func)
    func = click.option("--theme", default=None, help="Textual theme, e.g. textual-light")(func)
    func = click.option(
        "--poll",
        type=click.FloatRange(min=0.1),
        default=None,
        metavar="SECONDS",
        help="an AxonServer (http://): seconds between two polls for changes (default 1)",
    )(func)
    func = click.option(
        "--config",
        default=None,
        metavar="PATH",
        envvar="AXON_SCOPES_CONFIG",
        help="settings file (theme, mute, tree); default: axon-scopes/settings.json in the "
        "platform's config directory",
    )(func)
    return source_options(func)


@click.group(
    cls=AppGroup,
    help=HELP,
    epilog=_epilog(),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(
    package_name="axon-scopes", prog_name="axon-scopes", message="%(prog)s %(version)s"
)
def cli() -> None:
    """The group; the commands do the work."""


@cli.command("open")
@click.argument("source", default="axon-server", envvar="AXON_SCOPES_SOURCE")
@app_options
def open_command(
    source: str,
    read_only: bool,
    theme: str | None,
    no_watch: bool,
    max_file_size: int | None,
    config: str | None,
    poll: float | None,
) -> None:
    """Open the interactive app on SOURCE (a base path, a directory, a URL)."""
    from axon_scopes.tui.cli import run_app

    from .sources import given_token

    sys.exit(
        run_app(
            source,
            read_only,
            theme,
            not no_watch,
            max_file_size,
            config=config,
            token=given_token(),
            poll=poll,
        )
    )


@cli.command("demo")
@app_options
@click.option(
    "--redis", is_flag=True, help="keep the demo in a Redis server of its own (redis-server)"
)
def demo_command(
    read_only: bool,
    theme: str | None,
    no_watch: bool,
    max_file_size: int | None,
    config: str | None,
    poll: float | None,
    redis: bool,
) -> None:
    """Open the app on a generated demo store that a background writer keeps changing."""
    from axon_scopes.tui.cli import run_app

    sys.exit(
        run_app(None, read_only, theme, not no_watch, max_file_size, redis=redis, config=config)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The console script; every failure is one line on stderr and a documented exit code."""
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        result = cli.main(args=args, prog_name="axon-scopes", standalone_mode=False)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "axon-scopes"
        message = one_line(exc.format_message())
        click.echo(f"axon-scopes: {message} (see '{where} --help')", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("axon-scopes: interrupted", err=True)
        return 130
    except BrokenPipeError:  # The reader went away (`| head`): not an error of ours.
        _quiet_stdout()
        return 0
    return result if isinstance(result, int) else 0


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail loudly."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
