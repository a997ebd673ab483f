"""axon-scopes: Axon's scoped session state as a Python library, a terminal app and a command line.

The installed package maps the repository's folders: `axon_scopes.core` is `core/`
(pure Python, never imports Textual), `axon_scopes.tui` is `tui/` and `axon_scopes.cli`
is `cli/`.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """`__version__`, read from the package metadata only when asked (the read is slow)."""
    if name != "__version__":
        raise AttributeError(f"module 'axon_scopes' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("axon-scopes")
    except PackageNotFoundError:  # Run from a source tree that was never installed.
        return "0+unknown"
