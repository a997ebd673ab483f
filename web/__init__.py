"""The app in a browser: `axon-scopes web SOURCE` serves it with textual-serve.

Each browser connection runs its own app process (`python -m axon_scopes open …`);
`command` builds that command line, `hosts` decides which addresses may serve
writes, `processes` finds and ends the app processes, and `server` wraps
textual-serve's server with the checks it lacks (Host and Origin, no framing) and
a shutdown that ends every app process it started. Only `server` imports
textual-serve, and only the `web` command imports `server`.
"""

from .command import SOURCE_ENV, AppCommand, app_command
from .hosts import is_loopback

__all__ = ["SOURCE_ENV", "AppCommand", "app_command", "is_loopback"]
