"""Bad input never loses data: corrupt files, failing disks, hostile names and values."""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import axon_scopes.core.files.backend as backend_module
import axon_scopes.core.files.reading as reading_module
from axon_scopes.core import (
    FlushError,
    InvalidEntryError,
    InvalidScopeNameError,
    ScopeCollisionError,
    ScopedSessionManager,
    ScopeReadOnlyError,
    StoreUnreadableError,
    ValueTooLargeError,
)
from axon_scopes.core.files.codec import cut_short

GOOD = b'[{"key": "k", "value": "v", "timestamp": 1, "source_step": "s"}]'
ENTRY = b'{"key": "k", "value": "v", "timestamp": 1, "source_step": "s"}'

CORRUPT: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty"),
    "whitespace": (b"  \n ", "empty"),
    "truncated": (GOOD[:30], "truncated"),
    "nul bytes": (b"\x00" * 64, "malformed"),
    "object not array": (ENTRY, "Expected `array`, got `object`"),
    "wrong value type": (GOOD.replace(b'"v"', b"1"), "$[0].value"),
    "string timestamp": (GOOD.replace(b"1,", b'"1",'), "$[0].timestamp"),
    "float timestamp": (GOOD.replace(b"1,", b"1.5,"), "$[0].timestamp"),
    "negative timestamp": (GOOD.replace(b"1,", b"-1,"), "$[0].timestamp"),
    "missing field": (b'[{"key": "k", "value": "v", "timestamp": 1}]', "source_step"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "$[0]"),
    "deep in extra field": (b'[{"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}]", "deep"),
    "5000-digit integer": (GOOD.replace(b"1,", b"9" * 5000 + b","), "$[0].timestamp"),
    "invalid utf-8": (GOOD.replace(b'"v"', b'"\xff\xfe"'), "UTF-8"),
    "NaN": (GOOD.replace(b"1,", b"NaN,"), "malformed"),
    "trailing garbage": (GOOD + b" ]", "trailing"),
    "lone surrogate": (GOOD.replace(b'"v"', b'"\\ud800"'), "surrogate"),
    "second entry wrong": (b"[" + ENTRY + b', {"key": 1}]', "$[1]"),
}


def open_bad(tmp_path: Path, raw: bytes) -> tuple[ScopedSessionManager, Path]:
    path = tmp_path / ".axon-server__flow_bad.session.json"
    path.write_bytes(raw)
    return ScopedSessionManager(tmp_path / "axon-server", retry_budget=0.05), path


@pytest.mark.parametrize("case", list(CORRUPT), ids=list(CORRUPT))
def test_corrupt_file_is_a_typed_error_and_is_never_touched(tmp_path: Path, case: str) -> None:
    raw, reason = CORRUPT[case]
    mgr, path = open_bad(tmp_path, raw)
    error = mgr.scope_error("flow:bad")
    assert isinstance(error, StoreUnreadableError)
    assert error.path == path and str(path) in str(error)
    assert reason.lower() in error.reason.lower()
    assert mgr.store_count("flow:bad") == 0
    for attempt in (
        lambda: mgr.persist("flow:bad", "k", "new", "s"),
        lambda: mgr.purge("flow:bad", "k"),
        lambda: mgr.mutate("flow:bad", "k", "x", "s"),
        lambda: mgr.purge_query("flow:bad", "k"),
        lambda: mgr.flush("flow:bad"),
    ):
        with pytest.raises(ScopeReadOnlyError, match="unreadable"):
            attempt()
    assert [s for s, e in mgr.flush_all() if e is not None] == ["flow:bad"]
    assert path.read_bytes() == raw
    # every other scope keeps working
    mgr.persist("global", "fine", "yes", "s")
    mgr.flush("global")
    entry = ScopedSessionManager(tmp_path / "axon-server").retrieve("global", "fine")
    assert entry is not None


def test_a_directory_in_place_of_the_file(tmp_path: Path) -> None:
    (tmp_path / ".axon-server__flow_dir.session.json").mkdir()
    mgr = ScopedSessionManager(tmp_path / "axon-server", retry_budget=0.05)
    error = mgr.scope_error("flow:dir")
    assert error is not None and "directory" in error.reason


def test_memory_still_works_in_an_unreadable_scope(tmp_path: Path) -> None:
    mgr, _ = open_bad(tmp_path, b"{")
    mgr.remember("flow:bad", "note", "fine", "s")
    assert mgr.recall("flow:bad", "note") is not None


def test_a_half_written_file_is_retried_and_never_loads_empty(tmp_path: Path) -> None:
    path = tmp_path / ".axon-server__global.session.json"
    path.write_bytes(b"")

    def finish_writing() -> None:
        time.sleep(0.2)
        path.write_bytes(GOOD)

    writer = threading.Thread(target=finish_writing)
    writer.start()
    mgr = ScopedSessionManager(tmp_path / "axon-server")  # default budget, about 1 s
    writer.join()
    assert mgr.scope_error("global") is None
    assert mgr.retrieve("global", "k") is not None


def test_a_file_caught_mid_write_is_not_decoded_until_it_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cut-off array is told from its two ends: the retries cost no decode of the part written."""
    path = tmp_path / ".axon-server__global.session.json"
    whole = b"[" + b", ".join([ENTRY] * 2000) + b"]"
    path.write_bytes(whole[: len(whole) // 2])
    decoded: list[int] = []
    real_decode = reading_module.decode_entries
    monkeypatch.setattr(
        reading_module, "decode_entries", lambda d: decoded.append(len(d)) or real_decode(d)
    )

    def finish_writing() -> None:
        time.sleep(0.2)
        path.write_bytes(whole)

    writer = threading.Thread(target=finish_writing)
    writer.start()
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    writer.join()
    assert mgr.scope_error("global") is None
    assert mgr.store_count("global") == 1
    assert decoded == [len(whole)]


def test_a_file_that_stays_cut_off_gets_the_decoders_reason(tmp_path: Path) -> None:
    mgr, _ = open_bad(tmp_path, b"[" + ENTRY + b",\n  " + ENTRY[:20])
    error = mgr.scope_error("flow:bad")
    assert error is not None and "truncated" in error.reason


@pytest.mark.parametrize(
    ("data", "cut"),
    [
        (GOOD, False),
        (GOOD + b"\n" * 200, False),
        (b" \n" * 100 + GOOD, False),
        (GOOD[:-1], True),
        (GOOD[:-1] + b" " * 200, True),
        (b"[", True),
        (b"", False),
        (b"   ", False),
        (ENTRY, False),
        (b"[] trailing", True),
    ],
)
def test_cut_short_looks_at_both_ends(data: bytes, cut: bool) -> None:
    assert cut_short(data) is cut


def test_an_unreadable_scope_recovers_on_reload(tmp_path: Path) -> None:
    mgr, path = open_bad(tmp_path, GOOD[:10])
    assert mgr.scope_error("flow:bad") is not None
    path.write_bytes(GOOD)
    assert mgr.reload("flow:bad") is True
    assert mgr.scope_error("flow:bad") is None
    mgr.persist("flow:bad", "k2", "v", "s")
    mgr.flush("flow:bad")


def test_reload_of_a_file_gone_bad_keeps_the_last_good_entries(tmp_path: Path) -> None:
    path = tmp_path / ".axon-server__global.session.json"
    path.write_bytes(GOOD)
    mgr = ScopedSessionManager(tmp_path / "axon-server", retry_budget=0.05)
    path.write_bytes(b"[{")
    with pytest.raises(StoreUnreadableError):
        mgr.reload("global")
    assert mgr.retrieve("global", "k") is not None
    with pytest.raises(ScopeReadOnlyError):
        mgr.persist("global", "x", "y", "s")
    assert path.read_bytes() == b"[{"


# ── I/O errors during flush ───────────────────────────────────────────────

FAILING = [("write", errno.ENOSPC), ("fsync", errno.EIO), ("replace", errno.EROFS)]


def fail_at(monkeypatch: pytest.MonkeyPatch, name: str, code: int, k: int) -> list[int]:
    """Make `os.<name>` raise OSError(code) on its k-th call from now on (1-based)."""
    real: Callable[..., Any] = getattr(os, name)
    calls = [0]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == k:
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, flaky)
    return calls


def temp_files(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(("name", "code"), FAILING, ids=[n for n, _ in FAILING])
def test_flush_failing_at_every_call_leaves_the_file_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, code: int
) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    for i in range(300):
        mgr.persist("global", f"key{i:04d}", "x" * 100, "s")
    mgr.flush("global")
    path = tmp_path / ".axon-server__global.session.json"
    original = path.read_bytes()
    mgr.persist("global", "new", "value", "s")
    k = 1
    while True:
        with monkeypatch.context() as patch:
            calls = fail_at(patch, name, code, k)
            try:
                mgr.flush("global")
            except FlushError as exc:
                assert exc.errno == code and str(path) in str(exc)
                assert path.read_bytes() == original
                assert temp_files(tmp_path) == []
                assert mgr.store("global").dirty
            else:
                # Through: either the failure came after the data was in place (the
                # directory fsync is best effort) or it was never reached.
                assert calls[0] >= 1
                break
        k += 1
        assert k < 10_000
    assert k > 1
    fresh = ScopedSessionManager(tmp_path / "axon-server")
    assert fresh.store_count("global") == 301 and fresh.retrieve("global", "new") is not None


# ── names and values ──────────────────────────────────────────────────────

HOSTILE_NAMES = {
    "slash": "flow/evil",
    "backslash": "flow\\evil",
    "dotdot": "..",
    "dot": ".",
    "traversal": "a/../b",
    "dotdot segment": "flow:..",
    "absolute": "/etc/passwd",
    "nul": "flow:a\x00b",
    "newline": "flow:a\nb",
    "escape": "flow:\x1b[31m",
    "c1": "flow:\x85",
    "bidi": "flow:a\u202eb",
    "empty": "",
    "blank": " ",
    "padded": " flow:a",
    "surrogate": "flow:\ud800",
    "long": "flow:" + "x" * 300,
    "long multibyte": "flow:" + "é" * 120,
}


@pytest.mark.parametrize("name", list(HOSTILE_NAMES), ids=list(HOSTILE_NAMES))
def test_hostile_scope_names_are_refused(tmp_path: Path, name: str) -> None:
    base = tmp_path / "store" / "axon-server"
    base.parent.mkdir()
    mgr = ScopedSessionManager(base)
    scope = HOSTILE_NAMES[name]
    with pytest.raises(InvalidScopeNameError) as caught:
        mgr.persist(scope, "k", "v", "s")
    assert "invalid scope name" in str(caught.value) and caught.value.reason
    mgr.flush_all()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["store"]
    assert scope not in mgr.list_scopes()


@pytest.mark.parametrize("scope", ["flow:café", "daemon:a b", "tenant-🚀", "flow:" + "x" * 200])
def test_odd_but_valid_scope_names_work(tmp_path: Path, scope: str) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    mgr.persist(scope, "k", "v", "s")
    mgr.flush(scope)
    assert ScopedSessionManager(tmp_path / "axon-server").retrieve(scope, "k") is not None


def test_names_that_share_a_file_collide_loudly(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    mgr.persist("flow:a", "k", "v", "s")
    with pytest.raises(ScopeCollisionError, match="flow:a"):
        mgr.persist("flow_a", "k", "other", "s")
    mgr.persist("flow:v1.2", "k", "v", "s")
    with pytest.raises(ScopeCollisionError):
        mgr.persist("flow:v1.3", "k", "v", "s")


def test_values_over_the_limit_are_refused_clearly(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server", max_value_bytes=1000)
    with pytest.raises(ValueTooLargeError, match="1,001 bytes"):
        mgr.persist("global", "big", "x" * 1001, "s")
    with pytest.raises(ValueTooLargeError):
        mgr.remember("global", "big", "é" * 501, "s")
    mgr.persist("global", "ok", "x" * 1000, "s")


@pytest.mark.parametrize(
    ("key", "value", "step"),
    [("\ud800", "v", "s"), ("k", "a\udfffb", "s"), ("k", "v", "\udc80"), (1, "v", "s")],
)
def test_text_axon_could_not_read_back_is_refused(
    tmp_path: Path, key: Any, value: str, step: str
) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    with pytest.raises(InvalidEntryError):
        mgr.persist("global", key, value, step)
    assert not mgr.store("global").dirty


def test_an_unchanged_bad_file_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reloading a scope whose bad bytes did not change answers without re-reading them."""
    path = tmp_path / ".axon-server__global.session.json"
    path.write_bytes(b"[{")
    # Modified long before it is read: a fresh file could still change unseen within its tick.
    aged = time.time_ns() - 10 * 10**9
    os.utime(path, ns=(aged, aged))
    mgr = ScopedSessionManager(tmp_path / "axon-server", retry_budget=0.05)
    assert mgr.scope_error("global") is not None
    real = backend_module.read_entries_file
    reads: list[Path] = []

    def counting(file: Path, budget: float, *limits: int) -> object:
        reads.append(file)
        return real(file, budget, *limits)

    monkeypatch.setattr(backend_module, "read_entries_file", counting)
    for _ in range(5):
        with pytest.raises(StoreUnreadableError):
            mgr.reload("global")
    assert reads == []
    path.write_bytes(GOOD)
    assert mgr.reload("global") is True and mgr.scope_error("global") is None
