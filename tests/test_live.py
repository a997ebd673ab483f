"""Live reload with the real watcher and real writer processes.

Each test opens the app with `watch=True`, lets another process write, samples
what the table shows while it writes, and checks that the view ends equal to
the file and never showed an empty or shrunken scope in between.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from axon_scopes.core import MemoryEntry, ScopedSessionManager
from axon_scopes.core.commit import count_changes
from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.config import Tuning
from axon_scopes.tui.dialogs import EditDialog
from axon_scopes.tui.messages import ScopeRowsLoaded, SourceChanged
from axon_scopes.tui.refs import ScopeRef

from .conftest import SIZE, notices, open_app, settle, status_line, until, watched

ROOT = Path(__file__).resolve().parent.parent
SCOPE_FILE = ".axon-server__flow_live.session.json"


def seed(tmp_path: Path) -> Path:
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base, clock=lambda: 1_763_900_000)
    mgr.persist("flow:live", "base", "always here", "seed")
    for i in range(20):
        mgr.persist("global", f"g.{i:02d}", f"global {i}", "seed")
    mgr.flush_all()
    return base


def writer(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.store_worker", *args], cwd=ROOT)


def file_keys(path: Path) -> set[str]:
    return {e["key"] for e in json.loads(path.read_text(encoding="utf-8"))}


def shown_keys(app: ScopesApp) -> set[str]:
    return {row.key for row in app.browser.table.visible_rows if row.layer == "store"}


async def open_scope(app: ScopesApp, pilot: Pilot[Any], scope: str) -> None:
    await settle(app, pilot)
    app.browser.select_scope(app.browser.ref_for(scope))
    await settle(app, pilot)
    assert await until(pilot, lambda: watched(app.source.directory), timeout=5)
    await pilot.pause(0.2)  # let the watcher settle on the directory


async def watch_writer(
    app: ScopesApp, pilot: Pilot[Any], proc: subprocess.Popen[bytes], path: Path
) -> list[int]:
    """Sample the table while the writer runs; then wait until the view equals the file."""
    counts: list[int] = []
    while proc.poll() is None:
        counts.append(len(shown_keys(app)))
        await pilot.pause(0.015)
    assert proc.returncode == 0
    assert await until(pilot, lambda: shown_keys(app) == file_keys(path), timeout=2.0)
    return counts


def never_shrank(counts: list[int]) -> bool:
    return all(b >= a for a, b in itertools.pairwise(counts)) and min(counts) > 0


async def test_the_watch_starts_after_the_first_rows_and_misses_nothing_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing competes with the first frame; a write landing before the watch is caught up on.

    The write lands as the first rows arrive, before the directory is watched; the
    periodic re-check is pushed far out, so only the catch-up can show it.
    """
    base = seed(tmp_path)
    #: Per load of rows: how many rows, and whether the directory was watched yet.
    arrivals: list[tuple[int, bool]] = []

    def write_as_the_first_rows_arrive(message: object) -> None:
        if isinstance(message, ScopeRowsLoaded) and not arrivals:
            # The watcher's thread (core/files/watching.py names it) is up before its inotify watch.
            watching = any(t.name == "store-watcher" for t in threading.enumerate())
            arrivals.append((len(message.index), watching or watched(tmp_path)))
            other = ScopedSessionManager(base)
            other.persist("global", "g.00", "written before the watch", "other")
            other.flush("global")

    app = open_app(base, watch=True, tuning=Tuning(reconcile_s=3600.0))
    async with app.run_test(size=SIZE, message_hook=write_as_the_first_rows_arrive) as pilot:
        assert await until(pilot, lambda: watched(tmp_path))
        assert arrivals == [(20, False)]
        assert await until(
            pilot,
            lambda: any(r.value == "written before the watch" for r in app.browser.table.rows),
        )


async def test_atomic_flushes_from_another_process(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "flow:live")
        proc = writer("atomic", str(base), "flow:live", "30", "0.02")
        counts = await watch_writer(app, pilot, proc, tmp_path / SCOPE_FILE)
        assert never_shrank(counts)
        assert len(shown_keys(app)) == 31


async def test_in_place_chunked_writes_like_axon(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "flow:live")
        proc = writer("inplace", str(tmp_path / SCOPE_FILE), "25", "0.03")
        counts = await watch_writer(app, pilot, proc, tmp_path / SCOPE_FILE)
        assert never_shrank(counts)
        assert app.browser.current is not None
        assert not app.query_one("#scope-banner").display  # Never shown as unreadable.


async def test_two_hundred_flushes_in_two_seconds(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "flow:live")
        proc = writer("atomic", str(base), "flow:live", "200", "0.0")
        counts = await watch_writer(app, pilot, proc, tmp_path / SCOPE_FILE)
        assert never_shrank(counts) and len(shown_keys(app)) == 201


async def test_the_watch_survives_atomic_replaces(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "flow:live")
        other = ScopedSessionManager(base)
        for i in range(3):
            other.persist("flow:live", f"r{i}", "x", "s")
            other.flush("flow:live")
        assert await until(pilot, lambda: {"r0", "r1", "r2"} <= shown_keys(app))
        await pilot.pause(0.5)
        other.persist("flow:live", "later", "still seen", "s")
        other.flush("flow:live")
        assert await until(pilot, lambda: "later" in shown_keys(app), timeout=1.5)


async def test_a_deleted_scope_leaves_and_a_new_one_appears(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "global")
        other = ScopedSessionManager(base)
        other.persist("daemon:fresh", "k", "v", "s")
        other.flush("daemon:fresh")

        def scopes() -> set[str]:
            """The scopes the tree shows."""
            found, nodes = set(), [app.browser.tree.root]
            while nodes:
                node = nodes.pop()
                nodes.extend(node.children)
                if isinstance(node.data, ScopeRef):
                    found.add(node.data.scope)
            return found

        assert await until(pilot, lambda: "daemon:fresh" in scopes())
        (tmp_path / SCOPE_FILE).unlink()
        assert await until(pilot, lambda: "flow:live" not in scopes())
        assert app.browser.current is not None and app.browser.current.scope == "global"


async def test_delete_then_recreate_keeps_the_scope(tmp_path: Path) -> None:
    base = seed(tmp_path)
    path = tmp_path / SCOPE_FILE
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "flow:live")
        raw = path.read_bytes().replace(b"always here", b"recreated")
        path.unlink()
        time.sleep(0.05)
        path.write_bytes(raw)
        seen: list[set[str]] = []
        assert await until(
            pilot,
            lambda: (
                app.browser.table.cursor_row is not None
                and app.browser.table.cursor_row.value == "recreated"
            ),
            sample=lambda: seen.append(shown_keys(app)),
        )
        await pilot.pause(0.6)
        assert app.browser.current is not None and app.browser.current.scope == "flow:live"
        assert all(keys == {"base"} for keys in seen)


async def test_place_is_kept_across_a_reload(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_scope(app, pilot, "global")
        await pilot.press("slash", *"g.1", "enter")
        await settle(app, pilot)
        app.browser.table.set_sort("key", True)
        assert app.browser.table.move_cursor_to_key(("store", "g.15"))
        other = ScopedSessionManager(base)
        other.persist("global", "g.1a", "added before the cursor in this order", "s")
        other.persist("global", "g.19", "changed", "s")
        other.purge("global", "g.18")
        other.flush("global")
        assert await until(pilot, lambda: "g.1a" in shown_keys(app))
        assert app.browser.table.cursor_row_key == ("store", "g.15")
        assert app.browser.table.filter_query == "g.1" and app.browser.table.sort_column == "key"
        assert "g.18" not in shown_keys(app)
        assert {("store", "g.1a"), ("store", "g.19")} <= set(app.browser.table.flashing)
        assert "global +1 ~1 -1" in status_line(app)
        assert not any("global" in m for m in notices(app))  # Told quietly, not in a toast.
        assert (
            app.browser.tree.cursor_ref is not None
            and app.browser.tree.cursor_ref.scope == "global"
        )


async def test_own_writes_neither_flash_nor_notify(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_scope(app, pilot, "global")
        app.browser.table.move_cursor_to_key(("store", "g.05"))
        await pilot.press("e")
        assert isinstance(app.screen, EditDialog)
        app.screen.query_one("#value", TextArea).text = "edited here"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.pause(0.6)
        await settle(app, pilot)
        assert (
            app.browser.table.cursor_row is not None
            and app.browser.table.cursor_row.value == "edited here"
        )
        assert not app.browser.table.flashing
        assert not notices(app) or all("saved" in m for m in notices(app))
        assert app.browser.change_log.total == 0


async def test_pause_counts_changes_and_applies_them_later(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "flow:live")
        await pilot.press("p")
        header = app.query_one("#header")
        other = ScopedSessionManager(base)
        other.persist("flow:live", "while.paused", "x", "s")
        other.flush("flow:live")
        assert await until(pilot, lambda: header.pending > 0)  # type: ignore[attr-defined]
        assert "PAUSED" in str(header.render())
        await pilot.pause(0.3)
        assert "while.paused" not in shown_keys(app)
        await pilot.press("p")
        assert await until(pilot, lambda: "while.paused" in shown_keys(app))


async def test_follow_mode_moves_to_the_newest_write(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "global")
        await pilot.press("f")
        other = ScopedSessionManager(base, clock=lambda: 1_763_999_999)
        other.persist("global", "g.07", "newest", "s")
        other.flush("global")
        assert await until(pilot, lambda: app.browser.table.cursor_row_key == ("store", "g.07"))


async def test_a_file_that_stays_unreadable_keeps_the_last_good_rows(tmp_path: Path) -> None:
    base = seed(tmp_path)
    path = tmp_path / SCOPE_FILE
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "flow:live")
        good = path.read_bytes()
        path.write_bytes(good[: len(good) // 2])
        banner = app.query_one("#scope-banner")
        shown: list[set[str]] = []
        assert await until(
            pilot,
            lambda: bool(banner.display),
            timeout=5,
            sample=lambda: shown.append(shown_keys(app)),
        )
        assert shown_keys(app) == {"base"} and all(keys == {"base"} for keys in shown)
        assert path.read_bytes() == good[: len(good) // 2]
        path.write_bytes(good.replace(b"always here", b"fixed"))
        assert await until(pilot, lambda: not banner.display, timeout=5)
        assert (
            app.browser.table.cursor_row is not None
            and app.browser.table.cursor_row.value == "fixed"
        )


async def test_conflict_with_a_writer_process_while_the_dialog_is_open(tmp_path: Path) -> None:
    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "flow:live")
        await pilot.press("e")
        assert isinstance(app.screen, EditDialog)
        area = app.screen.query_one("#value", TextArea)
        area.text = "mine"
        proc = writer("atomic", str(base), "flow:live", "5", "0.02")
        assert proc.wait(timeout=30) == 0
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from core import ScopedSessionManager as M; m = M({str(base)!r}); "
                "m.persist('flow:live', 'base', 'theirs', 'ext'); m.flush('flow:live')",
            ],
            cwd=ROOT,
            check=True,
        )
        assert await until(pilot, lambda: "live.0004" in shown_keys(app))
        assert isinstance(app.screen, EditDialog)  # still open and usable
        area.text += " too"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        from axon_scopes.tui.dialogs import ConflictDialog

        assert isinstance(app.screen, ConflictDialog)
        await pilot.click("#mine")
        await settle(app, pilot)
        stored = json.loads((tmp_path / SCOPE_FILE).read_text())
        assert {e["key"]: e["value"] for e in stored}["base"] == "mine too"


async def test_published_memory_shows_read_only_with_its_age(tmp_path: Path) -> None:
    base = seed(tmp_path)
    # The age is the file's, so this app reads the real clock.
    app = open_app(base, watch=True, clock=time.time)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_scope(app, pilot, "flow:live")
        flow = ScopedSessionManager(base, publish_memory=True)
        flow.remember("flow:live", "thinking", "step 3 of 5", "plan")
        flow.flush("flow:live")
        key = ("published", "thinking")
        assert await until(
            pilot, lambda: key in {r.row_key for r in app.browser.table.visible_rows}
        )
        assert app.browser.table.move_cursor_to_key(key)
        await settle(app, pilot)
        detail = "\n".join(str(s.render()) for s in app.query("#detail-fields"))
        shown = re.search(r"published by another process (.+) \(read-only\)", detail)
        assert shown is not None and re.fullmatch(r"just now|\d+s ago", shown.group(1)), detail
        await pilot.press("e")
        assert not isinstance(app.screen, EditDialog)
        assert any("read-only" in m for m in notices(app))


async def test_purge_asks_again_when_a_writer_process_changed_the_entry(tmp_path: Path) -> None:
    from axon_scopes.tui.dialogs import PurgeDialog

    base = seed(tmp_path)
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "flow:live")
        stale = ScopedSessionManager(base)  # loaded before the purge, still holds "base"
        assert stale.retrieve("flow:live", "base") is not None
        await pilot.press("d")
        assert isinstance(app.screen, PurgeDialog)
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from core import ScopedSessionManager as M; m = M({str(base)!r}); "
                "m.persist('flow:live', 'base', 'changed meanwhile', 'ext'); m.flush('flow:live')",
            ],
            cwd=ROOT,
            check=True,
        )
        await pilot.click("#purge")
        await settle(app, pilot)
        assert isinstance(app.screen, PurgeDialog)
        assert app.screen.row.value == "changed meanwhile"
        assert "base" in file_keys(tmp_path / SCOPE_FILE)
        await pilot.click("#purge")
        await settle(app, pilot)
        assert "base" not in file_keys(tmp_path / SCOPE_FILE)
        # A writer that loaded before the purge merges per key: it does not bring it back.
        stale.persist("flow:live", "unrelated", "x", "s")
        stale.flush("flow:live")
        assert await until(pilot, lambda: "unrelated" in shown_keys(app))
        assert "base" not in shown_keys(app)


def test_change_counts_in_order_and_out_of_order() -> None:
    def layer(*pairs: tuple[str, str]) -> dict[str, MemoryEntry]:
        return {k: MemoryEntry(k, v, 1, "s") for k, v in pairs}

    before = layer(("a", "1"), ("b", "2"), ("c", "3"))
    assert count_changes(before, layer(("a", "1"), ("b", "X"), ("c", "3"))) == (0, 1, 0)
    assert count_changes(before, layer(("c", "3"), ("a", "Y"), ("d", "4"))) == (1, 1, 1)
    assert count_changes(before, {}) == (0, 0, 3)
    assert count_changes({}, before) == (3, 0, 0)


async def test_reconciling_unchanged_files_rebuilds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The periodic check stats the files; rows are rebuilt only when one really changed."""
    base = seed(tmp_path)
    flow = ScopedSessionManager(base, publish_memory=True)
    flow.remember("flow:live", "thinking", "step 1", "plan")
    flow.flush("flow:live")
    app = open_app(base, watch=True, tuning=Tuning(reconcile_s=0.05))
    #: Scopes whose rows were built again and sent to be shown.
    built: list[str] = []

    def record(message: object) -> None:
        if isinstance(message, SourceChanged) and message.rows is not None:
            message = message.rows  # Built on the source's thread, with the change.
        if isinstance(message, ScopeRowsLoaded):
            built.append(message.ref.scope)

    async with app.run_test(size=SIZE, message_hook=record) as pilot:
        await open_scope(app, pilot, "flow:live")
        shown = app.browser.table.index
        built.clear()
        await pilot.pause(0.6)  # about ten reconciles
        await settle(app, pilot)
        assert built == [] and app.browser.table.index is shown
        flow.remember("flow:live", "thinking", "step 2", "plan")
        flow.flush("flow:live")
        assert await until(pilot, lambda: "flow:live" in built)
        assert await until(
            pilot, lambda: any(r.value == "step 2" for r in app.browser.table.visible_rows)
        )


async def test_live_updates_can_start_at_once(tmp_path: Path) -> None:
    """A zero wait is a valid setting, not a timer error."""
    base = seed(tmp_path)
    app = open_app(base, watch=True, tuning=Tuning(watch_after_s=0))
    async with app.run_test(size=SIZE) as pilot:
        assert await until(pilot, lambda: watched(tmp_path), timeout=5)
        assert app.is_running


def tree_label(app: ScopesApp, scope: str) -> str:
    node = app.browser.tree.node_for(app.browser.ref_for(scope))
    return "" if node is None else str(node.label)


@pytest.mark.parametrize("fix", ["cp", "mv"])
async def test_the_tree_drops_unreadable_when_the_file_is_fixed(tmp_path: Path, fix: str) -> None:
    """Fixed with the very bytes it had (cp over it, or an atomic mv), no ctrl+r needed."""
    base = seed(tmp_path)
    path = tmp_path / SCOPE_FILE
    good = path.read_bytes()
    app = open_app(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_scope(app, pilot, "global")  # The broken scope is not the one shown.
        path.write_bytes(b"[{not json}]")  # Whole, so said at once.
        assert await until(pilot, lambda: "unreadable" in tree_label(app, "flow:live"), 6)
        if fix == "cp":
            path.write_bytes(good)
        else:
            spare = tmp_path / "fixed.json"
            spare.write_bytes(good)
            spare.replace(path)
        assert await until(pilot, lambda: "unreadable" not in tree_label(app, "flow:live"), 6)
        assert tree_label(app, "flow:live").startswith("live")
        assert "flow:live readable again" in status_line(app)
        # And on the scope shown, the banner goes with the mark.
        app.browser.select_scope(app.browser.ref_for("flow:live"))
        await settle(app, pilot)
        path.write_bytes(b"[{not json}]")  # Whole, so said at once.
        banner = app.query_one("#scope-banner")
        assert await until(pilot, lambda: bool(banner.display), 6)
        path.write_bytes(good)
        assert await until(
            pilot,
            lambda: not banner.display and "unreadable" not in tree_label(app, "flow:live"),
            6,
        )
