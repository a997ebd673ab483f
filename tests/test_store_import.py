"""`axon_scopes.core` stays usable without Textual: importing it must not import it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_core_does_not_import_textual() -> None:
    code = (
        "import sys; from axon_scopes.core import ScopedSessionManager;"
        " print('textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
