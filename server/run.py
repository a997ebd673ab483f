"""Serving until told to stop: bind, say where, stop cleanly on SIGINT or SIGTERM.

No keys means everything is open, so a server without keys binds only a loopback
address: anyone who can reach the port could read and change every scope.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import signal
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from axon_scopes.core import ScopeSource

from .app import make_app
from .auth import Keys
from .events import EventBus
from .session import Session
from .tracking import Tracker

#: Threads for core calls (each may wait up to the lock timeout on a busy scope).
WORKERS = 32


class ServeError(Exception):
    """Serving cannot start; the message says why, for one line on stderr."""


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is a loopback address."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    addresses = {info[4][0] for info in found}
    return bool(addresses) and all(
        ipaddress.ip_address(str(address).split("%")[0]).is_loopback for address in addresses
    )


def check_host(host: str, keys: Keys) -> None:
    if not keys.enabled and not is_loopback(host):
        raise ServeError(
            f"refusing to serve on {host} without keys: anyone who reaches it could read and "
            "change every scope; give --keys FILE (or AXON_SCOPES_WRITE_KEYS / "
            "AXON_SCOPES_READ_KEYS), or bind a loopback address such as 127.0.0.1"
        )


def name_rule(source: ScopeSource, base: str) -> Callable[[str], object]:
    """The store's scope-name rule, for names the service has not seen."""
    if source.kind == "redis":
        from axon_scopes.core.redis.layout import validate_scope_name

        return validate_scope_name
    from axon_scopes.core import validate_scope_name as valid_file_name

    return lambda scope: valid_file_name(scope, base)


def build_session(source: ScopeSource, base: str) -> Session:
    service = source.services()[base]
    bus = EventBus()
    return Session(service, source, base, bus, Tracker(service, bus), name_rule(source, base))


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


async def serve(
    app: web.Application,
    host: str,
    port: int,
    announce: Callable[[str], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Serve `app` until SIGINT, SIGTERM or `stop`; `announce` gets the URL once listening."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    # Core calls run in threads; a few scopes waiting on their locks must not hold them all.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="serve"))
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:  # From the start: a signal while starting stops once started.
        loop.add_signal_handler(number, stop.set)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(f"port {port} on {host} is taken by another program") from None
            raise ServeError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
        bound = runner.addresses[0][1] if runner.addresses else port
        announce(url_of(host, bound))
        await stop.wait()
    finally:
        await runner.cleanup()
        for number in signals:
            loop.remove_signal_handler(number)


def run(
    source: ScopeSource,
    base: str,
    keys: Keys,
    host: str,
    port: int,
    announce: Callable[[str], None],
) -> None:
    """Serve `base` of `source` until a signal; the caller closes the source."""
    check_host(host, keys)
    app = make_app(build_session(source, base), keys)
    asyncio.run(serve(app, host, port, announce))
