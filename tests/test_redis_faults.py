"""Faults against real servers: a server that stops and comes back, a wrong password or
database, a port that is not Redis. Each gives a clear error, loses nothing, writes nothing."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from axon_scopes.core import (
    FlushError,
    ScopedSessionManager,
    ScopeError,
    SourceUnavailableError,
    open_source,
)
from axon_scopes.core.redis import RedisStorage
from tests.redis_servers import RedisServer

PASSWORD = "pa55-w0rd-never-shown"


def test_a_stopped_server_keeps_reads_and_refuses_writes_until_it_is_back(
    own_redis: RedisServer,
) -> None:
    m = ScopedSessionManager(own_redis.url)
    m.persist("global", "kept", "1", "s")
    m.flush("global")
    own_redis.stop()
    assert m.retrieve("global", "kept").value == "1"  # type: ignore[union-attr]
    assert [s.store_count for s in m.scopes()] == [1]
    m.persist("global", "pending", "2", "s")
    with pytest.raises(FlushError) as caught:
        m.flush("global")
    message = str(caught.value)
    assert "cannot reach the server" in message and "wait for the next flush" in message
    assert str(caught.value.path).startswith("redis://127.0.0.1:")
    assert m.store("global").dirty  # Nothing lost.
    with pytest.raises(SourceUnavailableError):
        m.refresh("global")
    assert m.retrieve("global", "kept").value == "1"  # type: ignore[union-attr]
    own_redis.start()
    assert m.flush("global") and not m.store("global").dirty
    fresh = ScopedSessionManager(own_redis.url)
    assert {e.key for e in fresh.store("global").store_entries()} == {"kept", "pending"}
    m.close()
    fresh.close()


def test_a_wrong_password_is_a_clear_error_that_never_shows_it(own_redis: RedisServer) -> None:
    own_redis.stop()
    own_redis.password = PASSWORD
    own_redis.start()
    port = own_redis.port
    for url, words in [
        (f"redis://:wrong-{PASSWORD}@127.0.0.1:{port}/0", "refused the user name or password"),
        (f"redis://someone:{PASSWORD}@127.0.0.1:{port}/0", "refused the user name or password"),
        (f"redis://127.0.0.1:{port}/0", "requires a password"),
    ]:
        for opener in (ScopedSessionManager, RedisStorage.from_url, open_source):
            with pytest.raises(SourceUnavailableError) as caught:
                opener(url)  # type: ignore[operator]
            text = f"{caught.value} {caught.value.location} {caught.value!r}"
            assert words in text and PASSWORD not in text, text
            assert caught.value.__traceback__ is not None
            assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert own_redis.client().dbsize() == 0  # Nothing written.


def test_a_database_that_does_not_exist_is_a_clear_error(redis_url: str) -> None:
    url = redis_url.rsplit("/", 1)[0] + "/99"
    with pytest.raises(SourceUnavailableError, match="database 99 does not exist"):
        ScopedSessionManager(url)


class Garbage:
    """A TCP server that is not Redis: it answers every connection with `reply`."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.recv(4096)
                    if self.reply is not None:
                        conn.sendall(self.reply)
                        conn.recv(4096)
                    else:
                        conn.recv(4096)  # Silent: never answers.
                except OSError:
                    pass

    def close(self) -> None:
        self.stopped = True
        self.sock.close()


@pytest.fixture
def garbage() -> Iterator[Garbage]:
    server = Garbage(b"\x00\xff\xfe this is not RESP \x1b[31m\r\n")
    yield server
    server.close()


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_port_that_writes_garbage_is_not_taken_for_redis(garbage: Garbage) -> None:
    with pytest.raises(SourceUnavailableError) as caught:
        ScopedSessionManager(f"redis://127.0.0.1:{garbage.port}/0")
    assert "protocol" in caught.value.reason or "cannot reach" in caught.value.reason
    assert "\x1b" not in str(caught.value)  # The garbage never reaches a terminal raw.


def test_an_http_server_is_not_taken_for_redis(http_port: int) -> None:
    with pytest.raises(SourceUnavailableError) as caught:
        open_source(f"redis://127.0.0.1:{http_port}/0?socket_timeout=2")
    assert caught.value.location == f"redis://127.0.0.1:{http_port}/0?socket_timeout=2"


def test_a_port_that_never_answers_times_out_clearly() -> None:
    silent = Garbage(None)
    try:
        with pytest.raises(SourceUnavailableError, match="did not answer in time"):
            ScopedSessionManager(f"redis://127.0.0.1:{silent.port}/0?socket_timeout=0.5")
    finally:
        silent.close()


def test_tls_works_and_an_untrusted_certificate_is_refused() -> None:
    server = RedisServer(tls=True, password=PASSWORD)
    try:
        server.start()
        m = ScopedSessionManager(server.url)
        m.persist("global", "k", "v", "s")
        m.flush("global")
        assert PASSWORD not in m.location and m.location.startswith("rediss://127.0.0.1:")
        assert ScopedSessionManager(server.url).retrieve("global", "k").value == "v"  # type: ignore[union-attr]
        m.close()
        untrusted = f"rediss://:{PASSWORD}@127.0.0.1:{server.port}/0"
        with pytest.raises(SourceUnavailableError, match="cannot reach the server") as caught:
            ScopedSessionManager(untrusted)
        assert "certificate" in str(caught.value) and PASSWORD not in str(caught.value)
    finally:
        server.close()


def test_a_scope_recreated_after_its_data_was_lost_is_never_taken_for_the_old_one() -> None:
    server = RedisServer()  # No persistence: a restart loses everything.
    try:
        server.start()
        old = ScopedSessionManager(server.url)
        old.persist("global", "k", "before the restart", "s")
        old.flush("global")
        partial = ScopedSessionManager(server.url)
        server.stop()
        server.start()
        new = ScopedSessionManager(server.url)
        new.persist("global", "k", "after the restart", "s")
        new.flush("global")  # The same commit count as before: only the incarnation differs.
        old.refresh("global")
        assert old.retrieve("global", "k").value == "after the restart"  # type: ignore[union-attr]
        partial.refresh("global", keys=["k"])
        assert partial.retrieve("global", "k").value == "after the restart"  # type: ignore[union-attr]
    finally:
        server.close()


def test_a_scope_over_the_size_limit_is_left_unread_and_untouched(redis_url: str) -> None:
    writer = ScopedSessionManager(redis_url)
    store = writer.store("flow:big")
    for n in range(3000):
        store.persist(f"key.{n:05d}", "x" * 100, "s")
    writer.flush("flow:big")
    writer.close()
    viewer = ScopedSessionManager(redis_url, max_file_bytes=64 * 1024)  # type: ignore[arg-type]
    viewer.refresh()
    error = viewer.scope_error("flow:big")
    assert error is not None and "more than the 64 KiB limit" in error.reason
    assert viewer.retrieve("flow:big", "key.00001") is None
    with pytest.raises(ScopeError):
        viewer.persist("flow:big", "key.00001", "overwritten", "s")
        viewer.flush("flow:big")
    check = ScopedSessionManager(redis_url)
    assert check.store_count("flow:big") == 3000
    assert check.retrieve("flow:big", "key.00001").value == "x" * 100  # type: ignore[union-attr]
    check.close()
    viewer.close()


def test_a_scope_of_many_chunks_reads_whole_or_stops_at_the_limit(redis_url: str) -> None:
    """Read chunk by chunk with the next one asked for ahead: every entry arrives, and a
    scope past the limit stops the read, leaving no reader behind."""
    writer = ScopedSessionManager(redis_url)
    store = writer.store("flow:many")
    for n in range(25_000):
        store.persist(f"key.{n:05d}", f"value {n}", "s")
    writer.flush("flow:many")
    writer.close()
    threads = threading.active_count()
    reader = ScopedSessionManager(redis_url)
    entries = {e.key: e.value for e in reader.query("flow:many", "")}
    assert entries == {f"key.{n:05d}": f"value {n}" for n in range(25_000)}
    reader.close()
    viewer = ScopedSessionManager(redis_url, max_file_bytes=1024 * 1024)  # type: ignore[arg-type]
    error = viewer.scope_error("flow:many")
    assert error is not None and "more than the 1 MiB limit" in error.reason
    viewer.close()
    assert threading.active_count() == threads
