"""axon-scopes: Axon's scoped session state as a Python library and a terminal app.

The installed package maps the repository's folders: `axon_scopes.core` is `core/`
(pure Python, never imports Textual) and `axon_scopes.tui` is `tui/`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("axon-scopes")
except PackageNotFoundError:  # Run from a source tree that was never installed.
    __version__ = "0+unknown"

__all__ = ["__version__"]
