"""One Redis database as a URL names it: the client, a location safe to show, and errors.

`connect(url)` parses the URL, connects, checks that a Redis server answers (and
takes the password and the database), and tells a cluster from a single server.
Every failure becomes `SourceUnavailableError` with a reason people can act on;
no message, location or `repr` ever holds the password.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import redis
import redis.exceptions as rex
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from ..errors import SourceUnavailableError
from ..source import REDIS_SCHEMES

T = TypeVar("T")

DEFAULT_BASE = "axon-server"
#: A published memory layer lives this long past the last sign of life of its process.
DEFAULT_MEMORY_TTL_S = 30.0
#: How often a source that cannot use the change feed polls the scopes' versions.
DEFAULT_POLL_S = 1.0
DEFAULT_TIMEOUT_S = 10.0

#: Our query parameters; every other one goes to redis-py (`socket_timeout=`, …).
_OURS = {"base", "cluster", "memory_ttl", "live", "poll"}


@dataclass(frozen=True, slots=True)
class RedisOptions:
    """What the URL's own parameters set (see the README's Redis section)."""

    base: str | None = None
    #: True / False, or None: ask the server (`INFO cluster`).
    cluster: bool | None = None
    memory_ttl: float = DEFAULT_MEMORY_TTL_S
    #: "stream" (the change feed, polling if it cannot be read) or "poll".
    live: str = "stream"
    poll: float = DEFAULT_POLL_S


def _flag(value: str, name: str) -> bool | None:
    lowered = value.lower()
    if lowered in {"1", "yes", "true", "on"}:
        return True
    if lowered in {"0", "no", "false", "off"}:
        return False
    if lowered == "auto":
        return None
    raise ValueError(f"{name}={value!r}: expected 1, 0 or auto")


def _positive(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a number of seconds") from None
    if not number > 0:
        raise ValueError(f"{name}={value!r}: expected a positive number of seconds")
    return number


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """A URL split into what redis-py takes, what we take, and what may be shown."""

    client_url: str
    options: RedisOptions
    location: str
    password: str | None
    db: int


def parse_url(url: str) -> ParsedUrl:
    """Split our parameters off a `redis://`, `rediss://` or `unix://` URL.

    `location` is the URL without its password (user, host, port, database and
    our parameters kept), for every message and `repr`.
    """
    if not url.startswith(REDIS_SCHEMES):
        raise ValueError("a Redis URL starts with redis://, rediss:// or unix://")
    parts = urlsplit(url)
    ours: dict[str, str] = {}
    theirs: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        (ours.__setitem__(name, value) if name in _OURS else theirs.append((name, value)))
    live = ours.get("live", "stream")
    if live not in {"stream", "poll"}:
        raise ValueError(f"live={live!r}: expected stream or poll")
    options = RedisOptions(
        base=ours.get("base") or None,
        cluster=_flag(ours["cluster"], "cluster") if "cluster" in ours else None,
        memory_ttl=_positive(ours["memory_ttl"], "memory_ttl")
        if "memory_ttl" in ours
        else DEFAULT_MEMORY_TTL_S,
        live=live,
        poll=_positive(ours["poll"], "poll") if "poll" in ours else DEFAULT_POLL_S,
    )
    password = unquote(parts.password) if parts.password is not None else None
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    if parts.username:
        netloc = f"{quote(unquote(parts.username), safe='')}@{netloc}"
    shown_query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    shown_query = [(k, v) for k, v in shown_query if k not in {"password"}]
    location = _join(parts.scheme, netloc, parts.path, urlencode(shown_query))
    if parts.scheme == "unix":
        db_text = dict(theirs).get("db", "0")
    else:
        db_text = parts.path.lstrip("/") or "0"
    try:
        db = int(db_text)
    except ValueError:
        raise ValueError(f"database {db_text!r} is not a number") from None
    if any(k == "password" for k, _v in theirs):
        password = dict(theirs)["password"]
    client_url = _join(parts.scheme, parts.netloc, parts.path, urlencode(theirs))
    return ParsedUrl(client_url, options, location, password, db)


def _join(scheme: str, netloc: str, path: str, query: str) -> str:
    """A URL from its parts; `unix://` keeps its two slashes with an empty host."""
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _clean(text: str, password: str | None) -> str:
    """A server's or library's message, safe to show: one line, no password, not too long."""
    if password:
        text = text.replace(password, "***")
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    return text if len(text) <= 200 else text[:197] + "..."


def reason_for(exc: BaseException, password: str | None, db: int) -> str:
    """Why the server cannot be used, in words, for `SourceUnavailableError` and `FlushError`."""
    message = _clean(str(exc), password)
    upper = message.upper()
    asks_auth = "NOAUTH" in upper or "AUTHENTICATION REQUIRED" in upper or "AUTHENTICATED" in upper
    if asks_auth and password is None:
        return "the server requires a password and the URL gives none"
    if (
        isinstance(exc, rex.AuthenticationError)
        or "WRONGPASS" in upper
        or "INVALID PASSWORD" in upper
    ):
        return "the server refused the user name or password"
    if isinstance(exc, rex.NoPermissionError) or "NOPERM" in upper:
        return f"the server refused a command to this user ({message})"
    if "DB INDEX IS OUT OF RANGE" in upper or "SELECT IS NOT ALLOWED IN CLUSTER" in upper:
        return f"database {db} does not exist on the server ({message})"
    if isinstance(exc, rex.TimeoutError):
        return f"the server did not answer in time; is it a Redis server? ({message})"
    if isinstance(exc, rex.InvalidResponse) or "PROTOCOL ERROR" in upper:
        return f"the server does not speak the Redis protocol ({message})"
    if isinstance(exc, rex.BusyLoadingError):
        return "the server is loading its data set; try again shortly"
    if isinstance(exc, rex.ConnectionError):
        return f"cannot reach the server ({message})"
    if isinstance(exc, rex.RedisError):
        return f"the server refused the request ({message})"
    return f"{type(exc).__name__}: {message}"


#: What a lost server raises; the caller turns it into a typed error.
SERVER_ERRORS = (rex.ConnectionError, rex.TimeoutError, rex.InvalidResponse, OSError)


class Connection:
    """A client for one database, shared by every base stored there; thread-safe."""

    def __init__(self, parsed: ParsedUrl, client: Any, cluster: bool) -> None:
        self.client = client
        self.cluster = cluster
        self.options = parsed.options
        self.location = parsed.location
        self.db = parsed.db
        self._password = parsed.password
        self._scripts: dict[str, Any] = {}

    def __repr__(self) -> str:
        kind = "cluster" if self.cluster else "server"
        return f"<redis {kind} {self.location}>"

    def reason(self, exc: BaseException) -> str:
        return reason_for(exc, self._password, self.db)

    def unavailable(self, exc: BaseException) -> SourceUnavailableError:
        return SourceUnavailableError(self.location, self.reason(exc))

    def run(self, call: Callable[[], T]) -> T:
        """Run `call`; a lost, refusing or non-Redis server raises `SourceUnavailableError`."""
        try:
            return call()
        except SourceUnavailableError:
            raise
        except (*SERVER_ERRORS, rex.AuthenticationError, rex.NoPermissionError) as exc:
            raise self.unavailable(exc) from None
        except rex.ResponseError as exc:
            text = str(exc).upper()
            if any(word in text for word in ("NOAUTH", "WRONGPASS", "LOADING", "DB INDEX")):
                raise self.unavailable(exc) from None
            raise

    def script(self, source: str) -> Any:
        """A registered Lua script (loaded again by redis-py when a server lost it)."""
        found = self._scripts.get(source)
        if found is None:
            found = self._scripts[source] = self.client.register_script(source)
        return found

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


def _client_kwargs() -> dict[str, Any]:
    # A command is retried once, at once, on a broken connection (a restarted server);
    # every write is a script made idempotent by its commit id, so a retry cannot apply
    # twice. Timeouts are not retried: a server that hangs is reported, not waited on.
    return {
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
        "retry_on_error": [rex.ConnectionError],
        "socket_timeout": DEFAULT_TIMEOUT_S,
        "socket_connect_timeout": DEFAULT_TIMEOUT_S,
    }


def _scan_reply(response: Any, **_options: Any) -> tuple[int, list[bytes]]:
    cursor, items = response
    return int(cursor), items


def keep_flat(client: Any) -> None:
    """HSCAN answers its field, value, field, value… list as it came: a big scope is read
    in chunks of these, and a dict per chunk would only be taken apart again."""
    client.set_response_callback("HSCAN", _scan_reply)


def connect(url: str) -> Connection:
    """Connect and check the server; raises `SourceUnavailableError` (`ValueError`: bad URL)."""
    parsed = parse_url(url)
    kwargs = _client_kwargs()
    # URL parameters (`?socket_timeout=2`) win over our defaults.
    for name, _value in parse_qsl(urlsplit(parsed.client_url).query):
        kwargs.pop(name, None)
    single = redis.Redis.from_url(parsed.client_url, **kwargs)
    try:
        cluster = parsed.options.cluster
        info = single.info("cluster") if cluster is None else None
        if cluster is None:
            cluster = bool(info and info.get("cluster_enabled"))
        if not cluster:
            single.ping()
            keep_flat(single)
            return Connection(parsed, single, False)
        single.close()
        if parsed.db != 0:
            raise SourceUnavailableError(
                parsed.location, f"database {parsed.db} does not exist: a cluster has only 0"
            )
        from redis.cluster import RedisCluster

        kwargs.pop("retry_on_error", None)
        client = RedisCluster.from_url(parsed.client_url, **kwargs)
        client.ping()
        keep_flat(client)
        return Connection(parsed, client, True)
    except SourceUnavailableError:
        single.close()
        raise
    except Exception as exc:
        single.close()
        if isinstance(exc, (ValueError, TypeError)) and not isinstance(exc, rex.RedisError):
            raise
        raise SourceUnavailableError(
            parsed.location, reason_for(exc, parsed.password, parsed.db)
        ) from None
