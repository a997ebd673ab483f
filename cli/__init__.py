"""The `axon-scopes` command line: the interactive app, and scripting commands over any source.

`axon-scopes SOURCE` opens the app; `axon-scopes ls|get|set|rm|entries|export|
import|copy|tail ...` are for scripts. The scripting commands never import
Textual: they start in a fraction of the app's time and run where no terminal is.
"""

from __future__ import annotations

from collections.abc import Sequence


def run(argv: Sequence[str] | None = None) -> int:
    """The console script: a short-lived process, started and ended without needless work.

    The cyclic garbage collector is off while it starts: it would only spend
    start-up time (dozens of passes while click and the core load) freeing memory
    the process is about to return anyway; `tail` and the app, which run for
    long, turn it back on. A command that returns has written and closed
    everything it wrote (stores are flushed, fsynced and renamed before it
    returns), so once stdout and stderr are flushed the process ends at once,
    without freeing a big scope's entries one by one (tens of milliseconds at
    100,000 entries). The app ends through `SystemExit`, the usual way.
    Importing `axon_scopes.cli.main` (as the tests do) changes none of this.
    """
    import gc
    import os
    import sys

    gc.disable()
    from .main import main

    code = main(argv)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # The reader went away: nothing more to say.
        pass
    os._exit(code)
