"""Writing an export file: whole or not at all, private, never through a planted symlink.

An export holds everything a scope stores, so it gets the store file's permission
bits (0600 when there is no file yet), never the umask's 0644. It is written
through `core.atomic.atomic_write`: a temp file in the same directory, then a
rename, which replaces a symlink at the destination instead of writing through
it. A file already there is given the export's mode first, since the atomic
write keeps the mode of the file it replaces; one with other (hard-linked) names
is unlinked instead, so that nothing else changes mode.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from axon_scopes.core.files.atomic import NEW_FILE_MODE, atomic_write


def export_mode(store_path: Path) -> int:
    """The store file's permission bits, or 0600 when it does not exist (yet)."""
    try:
        return stat.S_IMODE(os.stat(store_path).st_mode)
    except OSError:
        return NEW_FILE_MODE


def write_export(path: Path, text: str, mode: int) -> None:
    """Replace `path` with `text` (UTF-8) as one new file with `mode`."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        pass
    else:
        if stat.S_ISLNK(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_nlink > 1):
            # The name only: what a symlink points to, or the file's other names, keep
            # their bytes and mode.
            os.unlink(path)
        elif stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) != mode:
            os.chmod(path, mode)
    atomic_write(path, text.encode("utf-8"))
