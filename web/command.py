"""The command each browser connection runs: the app itself, safe to hand to a shell.

textual-serve starts every app with `asyncio.create_subprocess_shell`, so the command
is one string for `/bin/sh`: every word is quoted with `shlex.quote` (a source path
such as `a b;$(touch x)` stays one argument and runs nothing), and `exec` replaces
the shell with the app so that signals and exit codes reach the app directly.

A command line is visible to every local user (`ps`), so secrets never go on it: a
URL source (which may hold a Redis password) goes to the app in its environment,
as `AXON_SCOPES_SOURCE`, which `axon-scopes open` reads when no SOURCE is given.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field

from axon_scopes.core.source import HTTP_SCHEMES, REDIS_SCHEMES

#: The environment variable `axon-scopes open` (and `web`) read the source from.
SOURCE_ENV = "AXON_SCOPES_SOURCE"
#: The server's pid, for each app: an app ends when that process does, even by SIGKILL.
PARENT_ENV = "AXON_SCOPES_END_WITH"


@dataclass(frozen=True, slots=True)
class AppCommand:
    """A shell command and the environment it needs on top of the server's own."""

    shell: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def argv(self) -> list[str]:
        """The app's arguments as the shell will pass them (without the `exec`)."""
        return shlex.split(self.shell)[1:]


def carries_secret(source: str) -> bool:
    """Whether `source` may hold a password: every URL source is treated as one."""
    return source.startswith((*REDIS_SCHEMES, *HTTP_SCHEMES))


def app_command(
    source: str,
    *,
    read_only: bool = False,
    theme: str | None = None,
    config: str | None = None,
    max_file_size: int | None = None,
    watch: bool = True,
    poll: float | None = None,
    python: str = sys.executable,
) -> AppCommand:
    """The app on `source` with the same options `axon-scopes open` takes."""
    words = [python, "-m", "axon_scopes", "open"]
    if read_only:
        words.append("--read-only")
    if theme is not None:
        words += ["--theme", theme]
    if config is not None:
        words += ["--config", config]
    if max_file_size is not None:
        words += ["--max-file-size", str(max_file_size)]
    if not watch:
        words.append("--no-watch")
    if poll is not None:
        words += ["--poll", str(poll)]
    env: dict[str, str] = {PARENT_ENV: str(os.getpid())}
    if carries_secret(source):
        env[SOURCE_ENV] = source
    else:
        words += ["--", source]  # After `--`, a source that starts with `-` is still one.
    return AppCommand("exec " + shlex.join(words), env)
