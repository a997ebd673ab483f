"""Every key, once: the app's bindings, the command palette, the help screen and the
README's key table are all read from `KEYS`, so they cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from .table.view import SORT_ORDER

#: Help and README sections, in the order shown.
GROUPS = ("App", "Move", "View", "Change", "Copy out", "Live")

#: How each sort column is named where the table shows it.
_COLUMN_NAMES = {"layer": "layer", "key": "key", "source_step": "step", "time": "time"}
_SORT_ORDER = ", ".join(_COLUMN_NAMES[column] for column in SORT_ORDER)


@dataclass(frozen=True)
class Key:
    """One row of the key table.

    `label` is the key as people read it ("" for palette-only commands); `action` is
    what it runs; `bind` is the app binding's key list when the app itself binds it
    (other keys are the focused widget's or Textual's own); `footer` is the footer's
    label, None to keep it out of the footer; `title` is the command palette entry,
    None to leave it out.
    """

    label: str
    action: str
    description: str
    group: str
    bind: str | None = None
    footer: str | None = None
    title: str | None = None
    #: Run before the focused widget sees the key, so that what is typed right after it
    #: (fast, or pasted) already reaches what the key opens.
    priority: bool = False

    @property
    def shown_in_footer(self) -> bool:
        return self.footer is not None


def _palette_only(action: str, title: str, description: str) -> Key:
    """A command with no key of its own: reachable by name only."""
    return Key("", action, description, group="", title=title)


#: In footer order: the footer lists the keys it shows in the order they come here.
KEYS: tuple[Key, ...] = (
    Key("q", "quit", "quit", "App", bind="q", footer="Quit"),
    Key(
        "?",
        "help",
        "this help: every key",
        "App",
        bind="question_mark",
        footer="Help",
        title="Help",
    ),
    Key("ctrl+p", "command_palette", "command palette: every action by name", "App"),
    Key(
        "tab / shift+tab",
        "focus_next",
        "move between the scope tree, the entry table and the detail pane",
        "Move",
    ),
    Key(
        "↑ ↓ pgup pgdn home end",
        "cursor_up, cursor_down, page_up, page_down, cursor_first, cursor_last",
        "move the cursor",
        "Move",
    ),
    Key(
        "t",
        "toggle_tree",
        "show or hide the scope tree (more room for the table)",
        "Move",
        bind="t",
        title="Show or hide the scope tree",
    ),
    Key(
        "i",
        "scope_info",
        "on a scope: where it is kept, and why it is unreadable",
        "Move",
        bind="i",
        title="Scope info",
    ),
    Key(
        "/",
        "filter",
        "filter by key or value (from the tree: scope names); escape clears",
        "View",
        bind="slash",
        footer="Filter",
        title="Filter entries",
        priority=True,
    ),
    Key(
        "F",
        "find",
        "find in every scope: scope names, keys, values; enter goes there",
        "View",
        bind="F",
        title="Find in every scope",
    ),
    Key(
        "s",
        "sort",
        f"sort by the next column: {_SORT_ORDER} (▲)",
        "View",
        bind="s",
        footer="Sort",
        title="Sort: next column",
    ),
    Key(
        "S",
        "sort_reverse",
        "reverse the sort (▼); time ▲ is oldest first",
        "View",
        bind="S",
        title="Sort: reverse",
    ),
    _palette_only("sort('key')", "Sort by key", "Sort by key; again to reverse"),
    _palette_only("sort('time')", "Sort by time", "Oldest first; again to reverse"),
    _palette_only("sort('layer')", "Sort by layer", "Memory before store; again to reverse"),
    _palette_only("sort('source_step')", "Sort by step", "By source_step; again to reverse"),
    Key(
        "v",
        "view",
        "view the whole value: scroll, w wraps, j pretty JSON",
        "View",
        bind="v",
        footer="View",
        title="View value",
    ),
    Key(
        "enter / e",
        "edit",
        "edit the selected entry (enter views what cannot change)",
        "Change",
        bind="e",
        title="Edit entry",
    ),
    Key(
        "a",
        "add",
        "add an entry to the store or memory layer",
        "Change",
        bind="a",
        footer="Add",
        title="Add entry",
    ),
    Key(
        "d / delete",
        "purge",
        "purge the selected entry, after showing exactly what goes",
        "Change",
        bind="d,delete",
        footer="Purge",
        title="Purge entry",
    ),
    Key(
        "D",
        "bulk_purge",
        "bulk purge by query: preview, then delete exactly those",
        "Change",
        bind="D",
        title="Bulk purge",
    ),
    Key("c", "copy", "copy the value (OSC 52 clipboard)", "Copy out", bind="c", title="Copy value"),
    Key(
        "x", "export", "export the scope as JSON or CSV", "Copy out", bind="x", title="Export scope"
    ),
    Key(
        "u",
        "undo",
        "undo the last edit, add or purge made here",
        "Change",
        bind="u",
        footer="Undo",
        title="Undo",
    ),
    Key("ctrl+r", "reload", "re-read every scope now", "Live", bind="ctrl+r", title="Reload"),
    _palette_only(
        "token",
        "Enter server token",
        "Give the server (http://…) a bearer key: after a cancelled ask, or to change it",
    ),
    Key(
        "p",
        "pause",
        "pause live updates (changes are counted); again to apply",
        "Live",
        bind="p",
        footer="Pause",
        title="Pause live updates",
    ),
    Key(
        "l",
        "change_log",
        "change log: what changed elsewhere; enter opens a scope",
        "Live",
        bind="l",
        title="Change log",
    ),
    Key(
        "m",
        "mute",
        "mute confirmations and flashes; updates still come",
        "Live",
        bind="m",
        title="Mute notices",
    ),
    Key(
        "f",
        "follow",
        "follow: keep the cursor on the most recently written entry",
        "Live",
        bind="f",
        title="Follow mode",
    ),
)


#: Actions that change something: the footer leaves them out in `--read-only`.
WRITE_ACTIONS = frozenset({"edit", "add", "purge", "bulk_purge", "undo"})


def bindings() -> list[Binding]:
    """The app's `BINDINGS`: every key the app binds, in footer order."""
    return [
        Binding(
            k.bind,
            k.action,
            k.footer or k.description,
            show=k.shown_in_footer,
            priority=k.priority,
        )
        for k in KEYS
        if k.bind is not None
    ]


def palette() -> list[tuple[str, str, str]]:
    """(title, help, action) per command palette entry; the help names the key."""
    return [
        (
            k.title,
            f"{k.description[:1].upper()}{k.description[1:]}"
            + (f" ({k.label})" if k.label else ""),
            k.action,
        )
        for k in KEYS
        if k.title is not None
    ]


def help_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group, [(key, description)]) for the help screen, in `GROUPS` order."""
    return [
        (group, [(k.label, k.description) for k in KEYS if k.group == group]) for group in GROUPS
    ]


def readme_table() -> str:
    """The README's key table, in markdown."""
    lines = ["| | key | action |", "|---|---|---|"]
    for group, rows in help_sections():
        for at, (label, description) in enumerate(rows):
            keys = " / ".join(f"`{part}`" for part in label.split(" / "))
            lines.append(f"| {group if at == 0 else ''} | {keys} | {description} |")
    return "\n".join(lines)
