"""The http:// source against AxonServer's exact answers (`axon_replay`): reads, writes, faults.

Every test runs the real client over real HTTP against a replay server that answers
as AxonServer does: memory-only export, `found: false`, empty 401/403/429 bodies,
scope creation on read, no `Axon-Scopes-Features` header.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from axon_scopes.core import (
    Change,
    MemoryEntry,
    SourceOptions,
    SourceUnavailableError,
    WriteConflictError,
    open_source,
)
from axon_scopes.core.errors import (
    InvalidEntryError,
    StoreUnreadableError,
    TokenRequiredError,
    UnsupportedWriteError,
    WriteForbiddenError,
)
from axon_scopes.core.http.client import RateLimitedError
from axon_scopes.core.http.service import HttpService
from axon_scopes.core.http.source import HttpSource
from tests.axon_replay import AxonReplay

TOKEN = "tok-3f9a-never-shown"


def attach(axon: AxonReplay, **extra: object) -> tuple[HttpSource, HttpService]:
    options = SourceOptions(
        max_file_bytes=extra.pop("max_file_bytes", None),  # type: ignore[arg-type]
        extra=extra,
    )
    source = open_source(axon.url, options)
    assert isinstance(source, HttpSource)
    source.discover()
    service = source.service(axon.url)
    assert isinstance(service, HttpService)
    return source, service


def seeded(axon: AxonReplay) -> None:
    axon.put("global", "memory", "plan", "draft", "think")
    axon.put("global", "store", "motd", "hello", "boot")
    axon.put("flow:analyze", "store", "result", "42", "step2")


def test_both_layers_of_every_listed_scope_are_read(axon: AxonReplay) -> None:
    seeded(axon)
    source, service = attach(axon)
    assert source.label(source.location) == f"127.0.0.1:{axon.port}"
    listed = {s.scope: (s.memory_count, s.store_count) for s in service.scopes()}
    assert listed == {"flow:analyze": (0, 1), "global": (1, 1)}
    snapshot = service.snapshot("global")
    assert [e.key for e in snapshot.memory] == ["plan"]  # From the (memory-only) export.
    assert [e.key for e in snapshot.store] == ["motd"]  # From an empty query.
    assert service.get("flow:analyze", "result") == snapshot_entry(axon, "flow:analyze", "result")
    assert service.get("global", "plan", layer="memory").value == "draft"  # type: ignore[union-attr]
    assert service.get("global", "nope") is None  # `found: false`.
    assert [(e.layer, e.key) for e in service.entries("global")] == [
        ("memory", "plan"),
        ("store", "motd"),
    ]
    source.close()


def snapshot_entry(axon: AxonReplay, scope: str, key: str) -> MemoryEntry:
    raw = axon.scopes[scope].store[key]
    return MemoryEntry(raw["key"], raw["value"], raw["timestamp"], raw["source_step"])


def test_a_scope_the_listing_does_not_name_is_never_read(axon: AxonReplay) -> None:
    """Reading a scope creates it on an AxonServer: an unlisted one reads as empty, unasked."""
    seeded(axon)
    source, service = attach(axon)
    assert service.snapshot("flow:ghost").store == []
    assert service.get("flow:ghost", "k") is None
    assert service.get("flow:ghost", "k", layer="memory") is None
    assert service.entries("flow:ghost") == []
    service.refresh()
    assert "flow:ghost" not in axon.read_scopes()
    assert "flow:ghost" not in axon.scopes
    source.close()


def test_writes_go_through_the_servers_endpoints(axon: AxonReplay) -> None:
    seeded(axon)
    source, service = attach(axon)
    written = service.put("global", "motd", "changed", "op")
    assert written.value == "changed" and written.source_step == "op"
    assert axon.scopes["global"].store["motd"]["value"] == "changed"
    service.put("flow:new", "note", "fresh", "op")  # A write may create a scope.
    assert service.get("flow:new", "note").value == "fresh"  # type: ignore[union-attr]
    service.put("global", "scratch", "m", "op", layer="memory")
    assert axon.scopes["global"].memory["scratch"]["value"] == "m"
    assert service.delete("global", "motd") is True
    assert "motd" not in axon.scopes["global"].store
    assert service.delete("global", "motd") is False
    paths = [path for _m, path, _s, _a in axon.requests]
    for endpoint in ("persist", "remember", "purge"):
        assert f"/v1/session/{endpoint}" in paths
    source.close()


def test_a_memory_entry_cannot_be_deleted_and_says_so_before_asking(axon: AxonReplay) -> None:
    seeded(axon)
    source, service = attach(axon)
    caps = service.capabilities
    assert caps.can_delete_memory is False and caps.checked_writes == "reread"
    assert caps.has_compare_and_set and not caps.read_only
    before = len(axon.requests)
    entry = service.get("global", "plan", layer="memory")
    for attempt in (
        lambda: service.delete("global", "plan", layer="memory"),
        lambda: service.purge_if("global", "plan", entry, layer="memory"),
        lambda: service.commit("global", [Change("plan", entry, None, "memory")]),
    ):
        with pytest.raises(UnsupportedWriteError, match="no endpoint to delete a memory entry"):
            attempt()
    assert len(axon.requests) == before + 1  # Only the recall above.
    assert "plan" in axon.scopes["global"].memory
    source.close()


def test_a_checked_write_re_reads_first_and_a_changed_entry_is_a_conflict(
    axon: AxonReplay,
) -> None:
    seeded(axon)
    source, service = attach(axon)
    seen = service.get("global", "motd")
    assert seen is not None
    axon.put("global", "store", "motd", "theirs", "agent")  # Another writer, no event.
    with pytest.raises(WriteConflictError) as caught:
        service.compare_and_set("global", "motd", seen, "mine", "op")
    assert caught.value.actual is not None and caught.value.actual.value == "theirs"
    assert axon.scopes["global"].store["motd"]["value"] == "theirs"  # Nothing written.
    with pytest.raises(WriteConflictError):
        service.purge_if("global", "motd", seen)
    with pytest.raises(WriteConflictError):
        service.compare_and_set("global", "motd", None, "mine", "op")  # Expected absent.
    now = service.get("global", "motd")
    assert service.compare_and_set("global", "motd", now, "mine", "op").value == "mine"
    # A commit checks every key before writing any.
    other = service.get("flow:analyze", "result")
    axon.put("global", "store", "motd", "again", "agent")
    with pytest.raises(WriteConflictError):
        service.commit(
            "global",
            [Change("motd", now, None), Change("absent", None, MemoryEntry("absent", "x", 0, "o"))],
        )
    assert "absent" not in axon.scopes["global"].store
    service.purge_if("flow:analyze", "result", other)
    assert "result" not in axon.scopes["flow:analyze"].store
    source.close()


def test_a_store_entry_removed_between_the_check_and_the_write_is_not_recreated(
    axon: AxonReplay,
) -> None:
    """An entry expected to exist is written with `mutate`, which the server refuses if gone."""
    seeded(axon)
    source, service = attach(axon)
    seen = service.get("global", "motd")
    original = service.get

    def get_then_vanish(scope: str, key: str, *, layer: str = "store") -> MemoryEntry | None:
        found = original(scope, key, layer=layer)  # type: ignore[arg-type]
        axon.remove("global", "store", "motd")  # Another writer, right after our re-read.
        return found

    service.get = get_then_vanish  # type: ignore[method-assign]
    with pytest.raises(WriteConflictError):
        service.compare_and_set("global", "motd", seen, "mine", "op")
    assert "motd" not in axon.scopes["global"].store
    source.close()


def test_a_server_wanting_a_token_says_so_and_takes_one(axon: AxonReplay) -> None:
    seeded(axon)
    axon.keys = {TOKEN: "write", "reader": "read"}
    source = open_source(axon.url)
    with pytest.raises(TokenRequiredError, match="needs a token"):
        source.discover()
    source.close()
    wrong = open_source(axon.url, SourceOptions(extra={"token": "wrong"}))
    with pytest.raises(TokenRequiredError, match="refused"):
        wrong.discover()
    wrong.set_token(TOKEN)
    wrong.discover()
    assert wrong.service(axon.url).get("global", "motd") is not None
    wrong.close()
    assert {a for *_x, a in axon.requests} >= {None, "Bearer wrong", f"Bearer {TOKEN}"}


def test_a_403_on_a_write_turns_the_service_read_only_with_the_reason(axon: AxonReplay) -> None:
    seeded(axon)
    axon.keys = {"reader": "read"}
    source, service = attach(axon, token="reader")
    assert service.get("global", "motd") is not None  # Reading is allowed.
    with pytest.raises(WriteForbiddenError, match=r"refused a write with this token \(403\)"):
        service.put("global", "motd", "x", "op")
    caps = service.capabilities
    assert caps.read_only and "403" in caps.read_only_reason
    before = len(axon.requests)
    with pytest.raises(WriteForbiddenError):
        service.put("global", "motd", "x", "op")
    assert len(axon.requests) == before  # Refused here, not asked again.
    source.close()


def test_429_backs_off_as_told_and_then_succeeds(axon: AxonReplay) -> None:
    seeded(axon)
    source, service = attach(axon)
    axon.retry_after = "0.05"
    axon.limit_next = 2
    assert service.get("global", "motd") is not None
    axon.retry_after = None  # AxonServer itself sends no Retry-After: waits double instead.
    axon.limit_next = 1
    assert service.get("global", "motd") is not None
    axon.retry_after = "0.01"
    axon.limit_next = 10
    with pytest.raises(RateLimitedError, match="rate limited"):
        service.get("global", "motd")
    source.close()


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("html", "is not an AxonServer: GET /v1/session answered an HTML page"),
        ("redirect", "redirects to http://example.invalid/login; redirects are not followed"),
        ("huge", "answered more than 1,000,000 bytes"),
        ("malformed", "is not an AxonServer: GET /v1/session answered"),
    ],
)
def test_what_is_not_an_axonserver_answer_is_refused_clearly(
    axon: AxonReplay, mode: str, said: str
) -> None:
    axon.mode = mode
    source = open_source(axon.url, SourceOptions(max_file_bytes=1_000_000))
    with pytest.raises(SourceUnavailableError) as caught:
        source.discover()
    assert said in str(caught.value)
    assert source.services() == {}  # Nothing applied.
    source.close()


def test_a_503_is_an_outage_unless_a_scope_endpoint_says_the_scope_is_unreadable(
    axon: AxonReplay,
) -> None:
    """AxonServer (or a proxy before it) answers 503 when it cannot serve: an outage.
    Our server's `store_unreadable` names one scope's data: only a scope's endpoint may
    say that; the listing saying it is still an outage, not a scope to mark."""
    seeded(axon)
    source, service = attach(axon)
    axon.mode = "503"
    with pytest.raises(SourceUnavailableError, match="failed: HTTP 503"):
        service.summary()
    axon.mode = "unreadable"
    with pytest.raises(SourceUnavailableError, match="failed: store_unreadable"):
        service.summary()
    snapshot = service.snapshot("global")  # The last good entries (none read yet), and why.
    assert (snapshot.memory, snapshot.store) == ([], [])
    assert snapshot.error == "\x1b[2Jbroken"  # Shown through the one safe path, as data.
    assert service.error("global") == "\x1b[2Jbroken"
    with pytest.raises(StoreUnreadableError):
        service.get("global", "motd")
    axon.mode = ""
    assert [e.key for e in service.snapshot("global").store] == ["motd"]
    assert service.error("global") is None
    source.close()


def test_a_scope_readable_again_is_told_even_after_a_plain_read(axon: AxonReplay) -> None:
    """What the listeners were told decides what is news: a scope said unreadable and then
    read fine by a view's own load is still told readable again on the next refresh."""
    seeded(axon)
    source, service = attach(axon)
    listed = service.summary()
    service.refresh_scopes(["global"], listed)  # Read once: nothing to tell.
    axon.mode = "unreadable"
    [turned] = service.refresh_scopes(["global"], listed)
    assert turned.error == "\x1b[2Jbroken"
    assert service.refresh_scopes(["global"], listed) == []  # Said already.
    axon.mode = ""
    assert service.snapshot("global").error is None  # The shown scope, loaded by the view.
    [back] = service.refresh_scopes(["global"], service.summary())
    assert back.error is None
    source.close()


def test_an_answer_about_another_scope_or_key_is_refused(axon: AxonReplay) -> None:
    """A server (or a cache before it) that answers a read with another scope's data must
    not have it shown under the scope asked for."""
    seeded(axon)
    source, service = attach(axon)
    axon.mode = "mixed"
    with pytest.raises(SourceUnavailableError, match="answered for scope 'flow:analyze'"):
        service.snapshot("global")
    with pytest.raises(SourceUnavailableError, match="answered for scope 'flow:analyze'"):
        service.get("global", "motd")
    axon.mode = ""
    assert [e.key for e in service.snapshot("global").store] == ["motd"]
    source.close()


def test_a_bad_url_and_a_server_that_is_down_are_one_line_errors() -> None:
    with pytest.raises(SourceUnavailableError, match="not a server URL"):
        open_source("http://")
    from tests.axon_replay import free_port

    source = open_source(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(SourceUnavailableError, match="cannot connect"):
        source.discover()
    source.close()


def test_a_value_over_the_limit_is_refused_before_it_is_sent(axon: AxonReplay) -> None:
    source = open_source(axon.url, SourceOptions(max_value_bytes=10))
    source.discover()
    before = len(axon.requests)
    with pytest.raises(InvalidEntryError):
        source.service(axon.url).put("global", "k", "x" * 11, "op")
    assert len(axon.requests) == before
    source.close()


def test_the_token_is_never_in_a_message_repr_location_or_log_line(
    axon: AxonReplay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seeded(axon)
    axon.keys = {TOKEN: "read"}
    url = f"http://user:{TOKEN}@127.0.0.1:{axon.port}/"
    source = open_source(url)
    source.discover()  # The URL's password is the token.
    service = source.service(source.location)
    said: list[str] = [repr(source), source.location, source.where, repr(service)]
    said.append(repr(SourceOptions(extra={"token": TOKEN})))
    said.append(service.where("global"))
    with pytest.raises(WriteForbiddenError) as caught:
        service.put("global", "k", "v", "op")
    said.append(str(caught.value))
    said.append(service.capabilities.read_only_reason)
    source.set_token("wrong")
    with pytest.raises(TokenRequiredError) as refused:
        source.discover()
    said.append(str(refused.value))
    said.extend(record.getMessage() for record in caplog.records)
    assert all(TOKEN not in text and "user:" not in text for text in said), said
    source.close()


def test_a_server_advertising_compare_and_set_checks_the_writes_itself(axon: AxonReplay) -> None:
    """Our server's extensions: `expected` goes with the write, a 409 is the conflict."""
    seeded(axon)
    axon.checked = True
    source, service = attach(axon)
    assert service.capabilities.checked_writes == "atomic"
    seen = service.get("global", "motd")
    axon.put("global", "store", "motd", "theirs", "agent")
    before = len(axon.requests)
    with pytest.raises(WriteConflictError) as caught:
        service.compare_and_set("global", "motd", seen, "mine", "op")
    assert caught.value.actual is not None and caught.value.actual.value == "theirs"
    assert [path for _m, path, _s, _a in axon.requests[before:]] == ["/v1/session/persist"]
    assert axon.scopes["global"].store["motd"]["value"] == "theirs"
    now = service.get("global", "motd")
    before = len(axon.requests)
    written = service.compare_and_set("global", "motd", now, "mine", "op")
    assert written.value == "mine"  # The answer's `entry`: no read after the write.
    assert len(axon.requests) == before + 1
    with pytest.raises(WriteConflictError):
        service.compare_and_set("global", "fresh", now, "x", "op", layer="memory")
    with pytest.raises(WriteConflictError):
        service.purge_if("global", "motd", now)
    service.purge_if("global", "motd", written)
    assert "motd" not in axon.scopes["global"].store
    source.close()


def test_httpx_loads_only_when_a_server_is_opened(tmp_path: Path) -> None:
    """`import axon_scopes.core` and a command on files stay as fast as before."""
    program = (
        "import sys\n"
        "import axon_scopes.core\n"
        "from axon_scopes.cli.main import main\n"
        f"main(['ls', {str(tmp_path)!r}])\n"
        "print('httpx' in sys.modules, 'textual' in sys.modules)\n"
        "axon_scopes.core.open_source('http://127.0.0.1:1')\n"
        "print('httpx' in sys.modules, 'textual' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30
    )
    assert result.stdout.split()[-4:] == ["False", "False", "True", "False"], result.stderr


class _Stalling:
    """A loopback port that takes requests and answers them badly: `silent` never answers;
    `trickle` sends an answer's head, then its body a byte at a time (each byte in time
    for the read timeout, the whole never), for at most 5 s."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            if self.mode == "trickle":
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000\r\n\r\n"
                )
                for _ in range(50):
                    if self.done.wait(0.1):
                        return
                    try:
                        conn.sendall(b" ")
                    except OSError:
                        return
            self.done.wait(5)

    def close(self) -> None:
        self.done.set()
        self.sock.close()


@pytest.mark.parametrize(
    ("mode", "said"),
    [("silent", "no answer in time"), ("trickle", "answered too slowly")],
)
def test_a_server_too_slow_to_answer_is_given_up_on_clearly(mode: str, said: str) -> None:
    """A read timeout bounds one wait; a body that comes a byte at a time is bounded too."""
    server = _Stalling(mode)
    try:
        source = open_source(server.url, SourceOptions(extra={"timeout_s": 0.5}))
        with pytest.raises(SourceUnavailableError) as caught:
            source.discover()
        assert said in str(caught.value)
        assert source.services() == {}  # Nothing applied.
        source.close()
    finally:
        server.close()
