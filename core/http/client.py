"""One place for every request to an AxonServer: base URL, bearer token, limits, errors.

Redirects are never followed (a token must not travel to another host), a body is
read in chunks and refused past `max_body_bytes`, and each status becomes one of the
core's errors: 401 (and 403 on a read) `TokenRequiredError`, 403 on a write
`WriteForbiddenError`, 429 a wait (Retry-After, else doubling) and a retry, anything
unexpected `SourceUnavailableError`. No message, `repr` or log line holds the token.

Over https the server's certificate is checked against the system's CA store, which
OpenSSL lets `SSL_CERT_FILE` / `SSL_CERT_DIR` replace (a private CA). Proxy settings
and `.netrc` from the environment are not used: the token goes to the named host only.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from ..errors import (
    InvalidEntryError,
    SourceUnavailableError,
    StoreUnreadableError,
    TokenRequiredError,
    WriteForbiddenError,
)
from .shapes import error_reason, failure_of, unreadable_reason

_E = TypeVar("_E", bound=BaseException)

#: How long one request may take to connect, and to answer.
TIMEOUT_S = (2.0, 10.0)
#: 429: at most this many tries of one request, and at most this long a wait between two.
RATE_LIMIT_TRIES = 4
RATE_LIMIT_WAIT_S = 2.0
#: An answer slower than this on average (past one read timeout) is given up: a server that
#: trickles its body a byte at a time never trips the timeout of a single read.
MIN_BYTES_PER_S = 64 * 1024
#: Statuses a caller handles itself: 409 is a checked write's conflict.
PASSED = frozenset({200, 409})


@dataclass(frozen=True, slots=True)
class Answer:
    """A response read whole: status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class RateLimitedError(SourceUnavailableError):
    """429 after every retry: the caller backs off for `retry_after` seconds."""

    def __init__(self, location: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(location, f"rate limited (429); backing off {retry_after:g} s")


def split_url(url: str) -> tuple[str, str | None]:
    """`url` without `user:pass@` (the password, if any, is returned as the token) or a
    trailing slash; raises `SourceUnavailableError` for what is not an http(s) URL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise SourceUnavailableError(_shown(url), f"not a server URL: {exc}") from None
    if scheme not in ("http", "https") or not host:
        raise SourceUnavailableError(_shown(url), "not a server URL: expected http://HOST:PORT")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    clean = urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))
    return clean, parts.password or None


def _shown(url: str) -> str:
    """A URL for messages: anything before `@` in its authority is dropped."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def segment(text: str) -> str:
    """A scope or key as one path segment (`flow:a/b` → `flow%3Aa%2Fb`)."""
    return quote(text, safe="")


class HttpClient:
    """Requests to one server; thread-safe (httpx's pool), one per source."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        max_body_bytes: int,
        timeout: tuple[float, float] = TIMEOUT_S,
        rate_limit_wait_s: float = RATE_LIMIT_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url, from_url = split_url(url)
        self._token = token or from_url
        self.max_body_bytes = max_body_bytes
        self.rate_limit_wait_s = rate_limit_wait_s
        self._sleep = sleep
        self._lock = threading.Lock()
        connect, read = timeout
        self._read_timeout = read
        self._http = httpx.Client(
            follow_redirects=False,
            timeout=httpx.Timeout(read, connect=connect),
            trust_env=False,
            verify=ssl.create_default_context(),
        )
        #: The `Axon-Scopes-Features` the server last advertised (lower case).
        self.features: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"<HttpClient {self.url}>"

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    def set_token(self, token: str | None) -> None:
        with self._lock:
            self._token = token or None

    def close(self) -> None:
        self._http.close()

    # ── requests ───────────────────────────────────────────────────────────

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Answer:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any], *, write: bool = True) -> Answer:
        return self.request("POST", path, json=body, write=write)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        write: bool = False,
    ) -> Answer:
        """One request, retried on 429; a 200 or 409 answer, else one of the core's errors."""
        wait = 0.2
        for attempt in range(RATE_LIMIT_TRIES):
            answer = self._once(method, path, params, json)
            if answer.status != 429:
                return self._checked(method, path, answer, write)
            wait = _retry_after(answer.headers, wait)
            if attempt + 1 < RATE_LIMIT_TRIES:
                self._sleep(min(wait, self.rate_limit_wait_s))
                wait *= 2
        raise RateLimitedError(self.url, min(wait, self.rate_limit_wait_s))

    def _once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Mapping[str, Any] | None,
    ) -> Answer:
        headers = {
            "Accept": "application/json, text/event-stream",
            "Accept-Encoding": "gzip, deflate",
        }
        with self._lock:
            token = self._token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            with self._http.stream(
                method, self.url + path, params=params, json=json, headers=headers
            ) as response:
                body = bytearray()
                started = time.monotonic()
                for chunk in response.iter_raw():
                    body += chunk
                    if len(body) > self.max_body_bytes:
                        raise SourceUnavailableError(
                            self.url,
                            f"{method} {path} answered more than {self.max_body_bytes:,} "
                            "bytes; nothing was read",
                        )
                    taken = time.monotonic() - started
                    if taken > self._read_timeout + len(body) / MIN_BYTES_PER_S:
                        raise SourceUnavailableError(
                            self.url,
                            f"{method} {path} answered too slowly ({len(body):,} bytes in "
                            f"{taken:.0f} s); nothing was read",
                        )
                encoding = response.headers.get("content-encoding", "")
                data = _decoded(bytes(body), encoding, self.max_body_bytes, self.url)
                return Answer(response.status_code, _lower(response.headers), data)
        except httpx.HTTPError as exc:
            raise SourceUnavailableError(self.url, _transport_reason(exc)) from None

    def _checked(self, method: str, path: str, answer: Answer, write: bool) -> Answer:
        status = answer.status
        if status in PASSED:
            return answer
        if 300 <= status < 400:
            target = answer.headers.get("location", "")
            where = _shown(target) if target else "elsewhere"
            raise SourceUnavailableError(
                self.url, f"{method} {path} redirects to {where}; redirects are not followed"
            )
        failure = failure_of(answer.body)
        reason = error_reason(failure) or f"HTTP {status}"
        if status == 401:
            said = "refused the token (401)" if self.has_token else "needs a token"
            raise TokenRequiredError(self.url, said)
        if status == 403:
            if write:
                raise WriteForbiddenError(
                    "", "read-only: the server refused a write with this token (403)"
                )
            said = "refused the token (403)" if self.has_token else "needs a token"
            raise TokenRequiredError(self.url, said)
        if status in (400, 413, 422):
            raise InvalidEntryError(f"{self.url} refused {method} {path}: {reason}")
        if status == 404:
            raise SourceUnavailableError(
                self.url, f"is not an AxonServer: {method} {path} answered 404"
            )
        # One scope's data, not the server: it is still there. Only a scope's own
        # endpoints may say so (the listing and the events are the server's).
        scoped = status == 503 and path.startswith("/v1/session/")
        unreadable = unreadable_reason(failure) if scoped else None
        if unreadable is not None:
            raise StoreUnreadableError(self.url, unreadable)
        raise SourceUnavailableError(self.url, f"{method} {path} failed: {reason}")


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _decoded(body: bytes, encoding: str, limit: int, url: str) -> bytes:
    """The body as sent, inflated (gzip, deflate) at most to `limit` bytes."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise SourceUnavailableError(url, f"answered in an unknown encoding {encoding!r}")
    import zlib

    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise SourceUnavailableError(url, f"answered a body that does not inflate: {exc}") from None
    if len(data) > limit:
        raise SourceUnavailableError(url, f"answered more than {limit:,} bytes; nothing was read")
    return data


def _retry_after(headers: Mapping[str, str], fallback: float) -> float:
    """Retry-After in seconds (a date is not used), else `fallback`."""
    try:
        return max(0.0, float(headers.get("retry-after", "")))
    except ValueError:
        return fallback


def _transport_reason(exc: httpx.HTTPError) -> str:
    """A connection failure in words; httpx's own text may be long or empty."""
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    certificate = _certificate_problem(exc)
    if certificate is not None:
        return (
            f"its certificate is not trusted ({certificate}); if a private CA signed it, "
            "point SSL_CERT_FILE at that CA's certificate"
        )
    if isinstance(exc, httpx.ConnectError):
        if _cause(exc, ssl.SSLError) is not None:
            return "the TLS handshake failed (is it an https server?)"
        return "cannot connect (is the server running?)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection broke off (not an HTTP server?)"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"request failed: {text}"


def _cause(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of `kind` in `exc`'s chain of causes."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _certificate_problem(exc: BaseException) -> str | None:
    """OpenSSL's words for a certificate that failed the check, if that is what failed."""
    failed = _cause(exc, ssl.SSLCertVerificationError)
    if failed is None:
        return None
    return str(failed.verify_message or failed.reason or "verification failed")
