"""ctrl+e in the edit and add dialogs: the value in the operator's own editor, read back after.

The value goes into a private temporary file (0600, in a directory only this user can
read), `$VISUAL` or `$EDITOR` (else `vi`) runs on it in the terminal while the app
is suspended, and what the file holds when it quits comes back into the dialog,
which still needs ctrl+s to save it. Any editor, at any size.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App, SuspendNotSupported


def editor_command() -> list[str]:
    """The operator's editor, as a command line (`code --wait` works too)."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            return shlex.split(value)
    return ["vi"]


class EditorFailed(Exception):
    """The editor could not run, or quit with an error: the dialog keeps its text."""


def edit_in_editor(app: App[object], text: str, *, suffix: str = ".txt") -> str:
    """Run the editor on `text`; returns the text it left. Raises `EditorFailed`."""
    command = editor_command()
    with tempfile.TemporaryDirectory(prefix="axon-scopes-") as directory:
        path = Path(directory) / f"value{suffix}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        try:
            with app.suspend():
                done = subprocess.run([*command, str(path)], check=False)
        except SuspendNotSupported:
            raise EditorFailed("this terminal cannot hand over to an editor") from None
        except OSError as exc:
            raise EditorFailed(f"{command[0]}: {exc.strerror or exc}") from None
        if done.returncode != 0:
            raise EditorFailed(f"{shlex.join(command)} quit with status {done.returncode}")
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                edited = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise EditorFailed(f"could not read the edited value back: {exc}") from None
    # Editors end the file with a newline: drop it if the value had none.
    if edited.endswith("\n") and not text.endswith("\n"):
        edited = edited[:-1]
    return edited
