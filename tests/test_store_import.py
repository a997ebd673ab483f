"""`axon_scopes.core` stays usable without Textual: importing it must not import it."""

from __future__ import annotations

import ast
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


def test_the_app_reaches_files_only_through_the_core() -> None:
    """`tui/` codes against the core's public modules, never the file backend's.

    One import is still allowed: the live view starts the directory watcher itself
    until changes reach it through the scope service's subscription.
    """
    root = Path(__file__).resolve().parent.parent
    allowed = {("tui/screens/live_updates.py", "axon_scopes.core.files.watching")}
    found = set()
    for path in sorted((root / "tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("axon_scopes.core.files"):
                    found.add((str(path.relative_to(root)), name))
    assert found <= allowed, sorted(found - allowed)
