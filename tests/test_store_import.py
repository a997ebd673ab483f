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
    """`tui/` codes against the core's sources and services, never a backend's modules.

    Changes made elsewhere reach it through `ScopeSource.watch`; nothing in `tui/`
    watches files or knows where a scope is kept.
    """
    root = Path(__file__).resolve().parent.parent
    allowed: set[tuple[str, str]] = set()
    found = set()
    for path in sorted((root / "tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith(("axon_scopes.core.files", "axon_scopes.core.redis")):
                    found.add((str(path.relative_to(root)), name))
    assert found <= allowed, sorted(found - allowed)
