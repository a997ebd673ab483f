"""The whole manager API over a real Redis server: layout, merging, checks, published memory."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.crc import key_slot

from axon_scopes.core import (
    Change,
    InvalidScopeNameError,
    ScopedSessionManager,
    ScopeReadOnlyError,
    StoreUnreadableError,
    WriteConflictError,
    open_source,
)
from axon_scopes.core.entry import MemoryEntry
from axon_scopes.core.redis import RedisStorage
from axon_scopes.core.redis.codec import (
    BadEntry,
    Chunk,
    decode_chunk_into,
    decode_entry,
    encode_entry,
)
from axon_scopes.core.redis.layout import ScopeKeys, escape, scopes_key, unescape
from tests.redis_servers import RedisServer


def manager(url: str, **options: object) -> ScopedSessionManager:
    return ScopedSessionManager(url, **options)  # type: ignore[arg-type]


def test_the_manager_api_round_trips_through_redis(redis_url: str) -> None:
    writer = manager(redis_url)
    writer.remember("global", "m", "memory only", "s")
    writer.persist("global", "a", "1", "s")
    writer.persist("flow:analyze", "b", "2", "step")
    assert writer.mutate("global", "a", "one", "s") and not writer.mutate("global", "x", "", "s")
    writer.flush_all()
    reader = manager(redis_url)
    assert reader.list_scopes() == ["flow:analyze", "global"]
    assert reader.retrieve("global", "a").value == "one"  # type: ignore[union-attr]
    assert reader.recall("global", "m") is None  # Memory is never stored.
    assert [e.key for e in reader.query("flow:analyze", "2")] == ["b"]
    assert reader.purge("global", "a") and reader.flush("global")
    assert writer.refresh("global")[0].removed == 1
    assert writer.retrieve("global", "a") is None
    assert writer.purge_query("flow:analyze", "B") == 1
    writer.flush("flow:analyze")
    assert reader.refresh("flow:analyze") and reader.store_count("flow:analyze") == 0


def test_flushes_merge_per_key_and_never_overwrite_the_whole_scope(redis_url: str) -> None:
    first, second = manager(redis_url), manager(redis_url)
    first.persist("global", "a", "1", "s")
    second.persist("global", "b", "2", "s")
    first.flush("global")
    second.flush("global")
    third = manager(redis_url)
    assert {e.key: e.value for e in third.store("global").store_entries()} == {"a": "1", "b": "2"}
    # The second writer's view has the first one's key after its own commit.
    assert second.retrieve("global", "a").value == "1"  # type: ignore[union-attr]


def test_compare_and_set_is_checked_on_the_server(redis_url: str) -> None:
    first, second = manager(redis_url), manager(redis_url)
    first.persist("global", "k", "base", "s")
    first.flush("global")
    second.refresh()
    seen = second.retrieve("global", "k")
    theirs = first.compare_and_set("global", "k", seen, "theirs", "s")
    with pytest.raises(WriteConflictError) as caught:
        second.compare_and_set("global", "k", seen, "mine", "s")
    assert caught.value.actual == theirs and caught.value.scope == "global"
    assert second.retrieve("global", "k") == theirs  # Shows what is stored now.
    with pytest.raises(WriteConflictError):
        second.commit("global", [Change("new", theirs, None), Change("k", theirs, None)])
    assert manager(redis_url).retrieve("global", "k") == theirs  # All or nothing.
    second.purge_if("global", "k", theirs)
    assert manager(redis_url).retrieve("global", "k") is None


def test_one_scope_is_one_hash_under_one_hash_tag(
    redis_url: str, redis_server: RedisServer
) -> None:
    m = manager(redis_url)
    m.persist("flow:analyze", "k", "v", "s")
    m.flush("flow:analyze")
    client = redis_server.client()
    keys = ScopeKeys("axon-server", "flow:analyze")
    assert client.type(keys.store) == b"hash" and client.hkeys(keys.store) == [b"k"]
    assert client.get(keys.version).split(b":")[0] == b"1"
    slots = {key_slot(name.encode()) for name in (keys.store, keys.version, keys.log)}
    assert len(slots) == 1
    assert client.smembers(scopes_key("axon-server")) == {b"flow:analyze"}


HOSTILE_VALUES = [
    "\x1b[31mred\x1b[0m \x1b]8;;https://example.invalid\x07link\x1b]8;;\x07",
    "[bold]markup[/bold] [link=x]y[/link]",
    "zero\u200bwidth\u2060joiner\ufeff and \u202eright-to-left",
    "line\nbreak\r\nand\ttab and NUL \x00 end",
    "emoji 👩‍👩‍👧 and astral 𝔘𝔫𝔦",
    '{"key": "not", "value": "an entry"}]',
    "",
]
HOSTILE_SCOPES = ["flow:{tag}", "}{", "{", "a|b", "%7B", "daemon:x\ny", "nul\x00name", "[bold]s"]


@pytest.mark.parametrize("scope", HOSTILE_SCOPES)
def test_hostile_names_round_trip_without_breaking_the_layout(
    redis_url: str, redis_server: RedisServer, scope: str
) -> None:
    m = manager(redis_url)
    watcher = manager(redis_url)
    backend = watcher.store(scope).backend
    loads: list[int] = []
    whole = backend.load
    backend.load = lambda: loads.append(1) or whole()  # type: ignore[method-assign]
    for i, value in enumerate(HOSTILE_VALUES):
        m.persist(scope, f"{value}#{i}", value, value)
    m.flush(scope)
    # The scope's log names hostile keys too: a refresh naming one catches up on all.
    [change] = watcher.refresh(scope, keys=[f"{HOSTILE_VALUES[0]}#0"])
    assert change.added == len(HOSTILE_VALUES) and loads == []  # Read by key, not whole.
    assert watcher.retrieve(scope, f"{HOSTILE_VALUES[3]}#3").value == HOSTILE_VALUES[3]  # type: ignore[union-attr]
    fresh = manager(redis_url)
    assert scope in fresh.list_scopes()
    stored = {e.key: (e.value, e.source_step) for e in fresh.store(scope).store_entries()}
    assert stored == {f"{v}#{i}": (v, v) for i, v in enumerate(HOSTILE_VALUES)}
    keys = ScopeKeys("axon-server", scope)
    tag = keys.store[keys.store.index("{") + 1 : keys.store.index("}")]
    assert tag == f"axon-server|{escape(scope)}" and unescape(escape(scope)) == scope
    slots = {key_slot(k.encode()) for k in (keys.store, keys.version, keys.log)}
    assert slots == {key_slot(tag.encode())}


def test_a_value_near_four_mib_round_trips(redis_url: str) -> None:
    big = ("é" * 1_000 + "\x1b[0m\n") * 2_090  # ~4.2 MB in UTF-8? keep it under the limit:
    big = big[: 4 * 1024 * 1024 // 2 - 16]
    m = manager(redis_url)
    m.persist("global", "big", big, "s")
    m.flush("global")
    assert manager(redis_url).retrieve("global", "big").value == big  # type: ignore[union-attr]


def test_names_redis_cannot_hold_are_refused(redis_url: str) -> None:
    m = manager(redis_url)
    for bad in ["", "x" * 2_000, "\ud800"]:
        with pytest.raises(InvalidScopeNameError):
            m.persist(bad, "k", "v", "s")


def test_a_key_of_the_wrong_type_makes_its_scope_unreadable_and_is_left_alone(
    redis_url: str, redis_server: RedisServer
) -> None:
    client = redis_server.client()
    keys = ScopeKeys("axon-server", "flow:broken")
    m = manager(redis_url)
    m.persist("flow:broken", "k", "v", "s")
    m.flush("flow:broken")
    client.delete(keys.store)
    client.set(keys.store, b"not a hash")
    m = manager(redis_url)
    [status] = [s for s in m.scopes() if s.scope == "flow:broken"]
    assert "is not a hash (it holds a string)" in (status.error or "")
    error = m.scope_error("flow:broken")
    assert isinstance(error, StoreUnreadableError) and "left as it is" in error.reason
    with pytest.raises(ScopeReadOnlyError):
        m.persist("flow:broken", "k2", "v", "s")
    assert client.get(keys.store) == b"not a hash"
    other = manager(redis_url)
    assert other.scope_error("flow:broken") is not None
    # A writer that has not noticed yet is refused by the script, and nothing changes.
    client.delete(keys.store)
    writer = manager(redis_url)
    writer.store("flow:broken")
    client.set(keys.store, b"not a hash")
    writer.persist("flow:broken", "k3", "v", "s")
    with pytest.raises(ScopeReadOnlyError):
        writer.flush("flow:broken")
    assert client.get(keys.store) == b"not a hash"
    assert client.get(keys.version).startswith(b"1:")
    # Fixed by hand: readable again.
    client.delete(keys.store)
    client.hset(keys.store, "k", b'{"key":"k","value":"v","timestamp":1,"source_step":"s"}')
    client.set(keys.version, b"2:1")
    m.refresh("flow:broken")
    assert m.scope_error("flow:broken") is None and m.retrieve("flow:broken", "k") is not None


def test_a_scope_that_lost_its_version_key_is_still_found(
    redis_url: str, redis_server: RedisServer
) -> None:
    """Discovery must not hide data: a hash whose version key was evicted (or restored
    without it) is listed with its entries, a store key of another type with the reason;
    a registered name with neither key never held data and is not listed."""
    client = redis_server.client()
    m = manager(redis_url)
    for scope in ("flow:evicted", "flow:stray"):
        m.persist(scope, "k", "v", "s")
        m.flush(scope)
        client.delete(ScopeKeys("axon-server", scope).version)
    stray = ScopeKeys("axon-server", "flow:stray").store
    client.delete(stray)
    client.set(stray, b"not a hash")
    client.sadd(scopes_key("axon-server"), "flow:never")
    again = manager(redis_url)
    statuses = {s.scope: s for s in again.scopes()}
    assert "flow:never" not in statuses
    assert statuses["flow:evicted"].error is None
    assert again.retrieve("flow:evicted", "k").value == "v"  # type: ignore[union-attr]
    assert "is not a hash (it holds a string)" in (statuses["flow:stray"].error or "")
    assert client.get(stray) == b"not a hash"
    # A write merges into what the hash holds, and the scope has a version again.
    again.persist("flow:evicted", "k2", "v2", "s")
    again.flush("flow:evicted")
    after = manager(redis_url)
    assert {e.key: e.value for e in after.query("flow:evicted", "")} == {"k": "v", "k2": "v2"}
    assert client.exists(ScopeKeys("axon-server", "flow:evicted").version)


def test_an_entry_that_does_not_decode_is_reported_not_overwritten(
    redis_url: str, redis_server: RedisServer
) -> None:
    m = manager(redis_url)
    m.persist("global", "k", "v", "s")
    m.flush("global")
    keys = ScopeKeys("axon-server", "global")
    redis_server.client().hset(keys.store, "bad", b"{not json")
    redis_server.client().set(keys.version, b"2:1")
    m.refresh("global")
    assert "'bad'" in m.scope_error("global").reason  # type: ignore[union-attr]
    assert redis_server.client().hget(keys.store, "bad") == b"{not json"


def test_names_with_nul_read_back_and_fields_swapped_across_a_nul_are_caught(
    redis_url: str, redis_server: RedisServer
) -> None:
    """Fields are checked against their entries' keys in one compare of two NUL-joined
    strings; a NUL inside a name must neither break that nor fool it."""
    m = manager(redis_url)
    for key in ("a\0b", "c", "\0", "plain"):
        m.persist("global", key, f"value of {key!r}", "s")
    m.flush("global")
    again = manager(redis_url)
    assert {e.key: e.value for e in again.query("global", "")} == {
        key: f"value of {key!r}" for key in ("a\0b", "c", "\0", "plain")
    }
    # Field "a\0b" holding key "a" and field "c" holding key "b\0c" join alike.
    keys = ScopeKeys("axon-server", "flow:swapped")
    client = redis_server.client()
    client.hset(keys.store, "a\0b", b'{"key":"a","value":"1","timestamp":1,"source_step":"s"}')
    client.hset(keys.store, "c", b'{"key":"b\\u0000c","value":"2","timestamp":1,"source_step":"s"}')
    client.set(keys.version, b"1:1")
    client.sadd(scopes_key("axon-server"), "flow:swapped")
    swapped = manager(redis_url)
    assert "holds the entry of key" in (swapped.scope_error("flow:swapped").reason or "")  # type: ignore[union-attr]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(), st.text(), st.integers(0, 2**53), st.text()),
        unique_by=lambda t: t[0],
        max_size=12,
    )
)
def test_a_chunk_counts_and_decodes_what_one_pass_over_its_parts_would(
    rows: list[tuple[str, str, int, str]],
) -> None:
    """A chunk is joined once for one decode; its size is read off the joins. Both must
    agree with the plain reading: every part's length summed, every value decoded alone."""
    entries = [MemoryEntry(k, v, t, step) for k, v, t, step in rows]
    try:
        flat = [part for e in entries for part in (e.key.encode("utf-8"), encode_entry(e))]
    except UnicodeEncodeError:  # A lone surrogate: never stored (checked before a flush).
        return
    chunk = Chunk(flat)
    assert chunk.size == sum(map(len, flat))
    found: dict[str, MemoryEntry] = {}
    decode_chunk_into(found, chunk)
    assert found == {e.key: decode_entry(e.key.encode("utf-8"), encode_entry(e)) for e in entries}
    if len(flat) >= 4:  # Two fields swapped: caught, whatever the names hold.
        flat[0], flat[2] = flat[2], flat[0]
        with pytest.raises(BadEntry):
            decode_chunk_into({}, Chunk(flat))


def test_a_prefetch_and_a_discover_read_a_big_scope_once(
    redis_url: str, redis_server: RedisServer
) -> None:
    """The app starts reading before its UI loads; its own discover waits for that read."""
    m = manager(redis_url)
    store = m.store("global")
    for i in range(25_000):
        store.persist(f"k{i:05d}", "v", "s")
    m.flush("global")
    m.close()
    client = redis_server.client()
    client.config_resetstat()
    source = open_source(redis_url)
    try:
        source.prefetch()
        assert source.discover() in ([], ["axon-server"])
        assert source.services()["axon-server"].scope_error("global") is None
        scans = client.info("commandstats")["cmdstat_hscan"]["calls"]
        assert scans == 3  # 25,000 fields, 10,000 a chunk: one read.
    finally:
        source.close()


PUBLISHER = """
import sys, time
from axon_scopes.core import ScopedSessionManager
m = ScopedSessionManager(sys.argv[1], publish_memory=True, clock=lambda: 200.0)
m.remember("global", "shared", "new", "s")
m.flush("global")
print("published", flush=True)
time.sleep(60)
"""


def test_published_memory_merges_live_publishers_and_expires_with_them(redis_url: str) -> None:
    url = redis_url + "?memory_ttl=1"
    one = manager(url, publish_memory=True, clock=lambda: 100.0)
    one.remember("global", "shared", "old", "s")
    one.remember("global", "only-one", "1", "s")
    one.flush("global")
    two = subprocess.Popen([sys.executable, "-c", PUBLISHER, url], stdout=subprocess.PIPE)
    try:
        assert two.stdout is not None and two.stdout.readline() == b"published\n"
        viewer = manager(url)
        published = viewer.published_memory("global")
        assert published is not None
        assert {e.key: e.value for e in published.entries} == {"shared": "new", "only-one": "1"}
        assert abs(published.mtime - time.time()) < 5
        version = viewer.store("global").published_memory_version()
        # Kept alive past the expiry while the processes live.
        time.sleep(1.6)
        assert viewer.published_memory("global") is not None
        assert viewer.store("global").published_memory_version() == version
        # A clean exit withdraws at once; a killed process expires.
        one.storage.close()
        after = viewer.published_memory("global")
        assert after is not None and {e.key for e in after.entries} == {"shared"}
        assert viewer.store("global").published_memory_version() != version
    finally:
        two.kill()
        two.wait()
    deadline = time.monotonic() + 5
    while viewer.published_memory("global") is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert viewer.published_memory("global") is None
    assert not viewer.scopes()[0].published


def test_the_password_never_shows(own_redis: RedisServer) -> None:
    own_redis.stop()
    own_redis.password = "s3cr3t-pass"
    own_redis.start()
    m = manager(own_redis.url)
    m.persist("global", "k", "v", "s")
    m.flush("global")
    backend = m.store("global").backend
    for text in (m.location, repr(m.storage), repr(backend), backend.location):
        assert "s3cr3t-pass" not in text
    assert m.location == f"redis://127.0.0.1:{own_redis.port}/0?base=axon-server"


def test_storage_from_url_takes_the_base_and_redis_py_options(redis_url: str) -> None:
    storage = RedisStorage.from_url(redis_url + "?base=other&socket_timeout=3")
    try:
        assert storage.base_name == "other" and "base=other" in storage.location
        assert "socket_timeout=3" in storage.location
    finally:
        storage.close()
    with pytest.raises(ValueError, match="cluster"):
        RedisStorage.from_url(redis_url + "?cluster=maybe")


def test_a_unix_socket_url_works(redis_url: str, redis_server: RedisServer) -> None:
    url = f"unix://{redis_server.socket_path}?db=0&base=local"
    m = manager(url)
    m.persist("global", "k", "v", "s")
    m.flush("global")
    assert m.location == f"unix://{redis_server.socket_path}?base=local&db=0"
    assert manager(redis_url + "?base=local").retrieve("global", "k").value == "v"  # type: ignore[union-attr]


def test_a_missing_redis_server_fails_with_the_command_that_installs_it() -> None:
    from tests.redis_servers import INSTALL, require

    with pytest.raises(pytest.fail.Exception) as caught:
        require("redis-server-that-is-not-there")
    assert INSTALL in str(caught.value) and INSTALL == "apt-get install -y redis-server"


def test_a_listing_asks_for_every_scopes_published_memory_at_once(redis_url: str) -> None:
    publisher = manager(redis_url, publish_memory=True)
    for scope in ("flow:a", "flow:b", "flow:c"):
        publisher.persist(scope, "k", "v", "s")
        publisher.flush(scope)
    publisher.remember("flow:b", "m", "1", "s")
    publisher.flush("flow:b")
    viewer = manager(redis_url)
    names = ["flow:a", "flow:b", "flow:c"]
    assert viewer.storage.published_among(names) == {"flow:b"}
    assert {s.scope: s.published for s in viewer.scopes()} == {
        "global": False,
        "flow:a": False,
        "flow:b": True,
        "flow:c": False,
    }
    publisher.close()
    assert viewer.storage.published_among(names) == set()
