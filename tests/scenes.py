"""Named app states over fixed data: the snapshot tests and `make screenshots` share them.

Every scene runs inside an empty working directory and opens the store by a
relative path, so no temporary directory name reaches a picture.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import TextArea

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.demo import populate

from .conftest import SIZE, open_app, settle

Action = Callable[[ScopesApp, Pilot[Any]], Awaitable[None]]
Target = ScopedSessionManager | str


def scope(name: str) -> Action:
    async def go(app: ScopesApp, pilot: Pilot[Any]) -> None:
        app.browser.select_scope(app.browser.ref_for(name))

    return go


def cursor(key: str, layer: str = "store") -> Action:
    async def go(app: ScopesApp, pilot: Pilot[Any]) -> None:
        assert app.browser.table.move_cursor_to_key((layer, key))

    return go


def keys(*names: str) -> Action:
    async def go(app: ScopesApp, pilot: Pilot[Any]) -> None:
        await pilot.press(*names)

    return go


async def collide(app: ScopesApp, pilot: Pilot[Any]) -> None:
    """Type an edit while another writer changes the same entry, then save."""
    app.screen.query_one("#value", TextArea).text = "Welcome, operators."
    other = ScopedSessionManager("axon-server", clock=lambda: 1_763_903_000)
    other.persist("global", "motd", "Maintenance at 14:00 UTC", "ops")
    other.flush("global")
    await pilot.press("ctrl+s")


async def changed_elsewhere(app: ScopesApp, pilot: Pilot[Any]) -> None:
    """Another process writes two scopes; ctrl+r finds it as the watcher would."""
    other = ScopedSessionManager("axon-server", clock=lambda: 1_763_903_000)
    other.persist("daemon:worker", "queue.depth", "23", "poll")
    other.persist("daemon:worker", "heartbeat", "12:14:00", "poll")
    other.persist("flow:ingest", "batch.0041", '{"rows": 812, "ok": true}', "load")
    other.flush_all()
    await pilot.press("ctrl+r")


def demo() -> Target:
    return populate("axon-server")


def demo_by_path() -> Target:
    populate("axon-server")
    return "axon-server"


def broken() -> Target:
    populate("axon-server")
    Path(".axon-server__flow_broken.session.json").write_bytes(
        b'[{"key": "a", "value": "ok", "timestamp": 1763900000, "source_step": "s"},\n'
        b' {"key": "b", "value": 42, "timestamp": 1763900000, "source_step": "s"}]'
    )
    return "axon-server"


LONG_NAMES = (
    "flow:customer-onboarding-pipeline-eu-west-1",
    "flow:customer-onboarding-pipeline-eu-west-2",
)


def long_names() -> Target:
    """The demo, plus two flows whose long names differ only at the end."""
    mgr = populate("axon-server")
    for at, name in enumerate(LONG_NAMES):
        mgr.persist(name, "region", f"eu-west-{at + 1}", "deploy")
    mgr.flush_all()
    return mgr


def empty() -> Target:
    return "axon-server"


HOSTILE = {
    "markup.bold": "[bold]not bold[/bold]",
    "markup.click": "[@click=app.quit]click me[/]",
    "markup.link": "[link=https://evil.example]x[/link]",
    "ansi.red": "\x1b[31mred?\x1b[0m",
    "osc.title": "\x1b]0;TITLE\x07",
    "bidi": "invoice\u202efdp.exe",
    "newline": "line one\nline two\ttabbed",
    "zero.width": "a\u200bb",
}


def hostile() -> Target:
    writer = ScopedSessionManager("axon-server", clock=lambda: 1_763_900_000)
    for key, value in HOSTILE.items():
        writer.persist("global", key, value, "[red]step[/red]")
    writer.flush("global")
    return "axon-server"


@dataclass(frozen=True)
class Scene:
    name: str
    caption: str
    setup: Callable[[], Target]
    actions: tuple[Action, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    #: The terminal size, columns × lines.
    size: tuple[int, int] = SIZE

    def app(self) -> ScopesApp:
        return open_app(self.setup(), **self.options)

    async def play(self, pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ScopesApp)
        await settle(app, pilot)
        for action in self.actions:
            await action(app, pilot)
            await settle(app, pilot)


SCENES = [
    Scene(
        "main",
        "Both layers of a flow; `status` differs between them (≠)",
        demo,
        (scope("flow:analyze"),),
    ),
    Scene("filter", "Filtering as you type (`/`)", demo, (keys("slash", *"server"),)),
    Scene(
        "detail_json",
        "A JSON value, pretty-printed in the detail pane",
        demo,
        (scope("flow:analyze"), cursor("result")),
    ),
    Scene("edit", "Editing a store entry (`e`)", demo, (cursor("server.config"), keys("e"))),
    Scene("add", "Adding an entry (`a`)", demo, (keys("a"),)),
    Scene(
        "purge",
        "Purging shows exactly what goes; Cancel has the focus (`d`)",
        demo,
        (cursor("tenants"), keys("d")),
    ),
    Scene(
        "bulk_purge",
        "Bulk purge previews the exact set it deletes (`D`)",
        demo,
        (scope("flow:ingest"), keys("D", *"batch.000", "enter")),
    ),
    Scene(
        "unreadable",
        "A corrupt scope file: marked, explained, never overwritten",
        broken,
        (scope("flow:broken"),),
    ),
    Scene("empty", "No store files: where it looked and how to point it elsewhere", empty),
    Scene(
        "read_only",
        "`--read-only`: writes are refused and say why",
        demo_by_path,
        (keys("d"),),
        {"read_only": True},
    ),
    Scene("help", "Every key (`?`)", demo, (keys("question_mark"),)),
    Scene(
        "hostile",
        "Markup, escapes and bidi overrides show literally",
        hostile,
        (cursor("osc.title"),),
    ),
    Scene(
        "conflict",
        "An edit that collided with another writer",
        demo,
        (cursor("motd"), keys("e"), collide),
    ),
    Scene("paused", "Live updates paused (`p`)", demo, (keys("p"),)),
    Scene(
        "viewer",
        "Any value, whole and scrollable; enter in `--read-only` (`v` anywhere)",
        demo_by_path,
        (cursor("server.config"), keys("enter")),
        {"read_only": True},
    ),
    Scene(
        "small_80x24",
        "At 80×24: the columns fit, the tree is narrower",
        demo,
        (scope("flow:analyze"),),
        size=(80, 24),
    ),
    Scene(
        "small_60x20",
        "At 60×20: long scope names are cut in the middle, so they stay apart",
        long_names,
        (scope(LONG_NAMES[1]),),
        size=(60, 20),
    ),
    Scene(
        "tree_hidden_60x20",
        "At 60×20 with the tree hidden (`t`)",
        demo,
        (scope("flow:analyze"), keys("t")),
        size=(60, 20),
    ),
    Scene(
        "conflict_60x20",
        "The conflict dialog at 60×20: all three values and every button",
        demo,
        (cursor("motd"), keys("e"), collide),
        size=(60, 20),
    ),
    Scene(
        "edit_60x20",
        "The edit dialog at 60×20",
        demo,
        (cursor("server.config"), keys("e")),
        size=(60, 20),
    ),
    Scene(
        "find",
        "Find in every scope (`F`): scope names, keys and values; enter goes there",
        demo,
        (keys("F", *"status"),),
    ),
    Scene(
        "changes",
        "Changes made elsewhere: the status line, marks in the tree, the log (`l`)",
        demo,
        (changed_elsewhere, keys("l")),
    ),
]

__all__ = ["SCENES", "SIZE", "Scene"]
