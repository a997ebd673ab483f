"""The `axon-scopes` command line: the interactive app, and scripting commands over any source.

`axon-scopes SOURCE` opens the app; `axon-scopes ls|get|set|rm|entries|export|
import|copy|tail ...` are for scripts. The scripting commands never import
Textual: they start in a fraction of the app's time and run where no terminal is.
"""

from __future__ import annotations

from collections.abc import Sequence


def run(argv: Sequence[str] | None = None) -> int:
    """The console script, with the cyclic garbage collector off while it starts.

    A scripting command is a short-lived process: the collector would only spend
    its start-up time (dozens of passes while click and the core load) freeing
    memory the process is about to return anyway. `tail` and the app, which run
    for long, turn it back on. Importing `axon_scopes.cli.main` leaves it alone.
    """
    import gc

    gc.disable()
    from .main import main

    return main(argv)
