"""Dialogs driven with Pilot in a tiny host app: results, focus, safety, and pictures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, RadioButton, Static, TextArea

from axon_scopes.tui.dialogs import (
    DIALOGS_CSS_PATH,
    AddDialog,
    AddResult,
    BulkPurgeDialog,
    ConfirmDialog,
    ConflictDialog,
    DialogScreen,
    EditDialog,
    EditResult,
    ExportDialog,
    ExportResult,
    HelpScreen,
    MessageDialog,
    PurgeDialog,
)
from axon_scopes.tui.dialogs.bulk_purge import RowPreview
from axon_scopes.tui.table.rows import Row

from .conftest import static_text

SIZE = (100, 34)
HOSTILE = [
    "[bold]x",
    "[@click=app.quit]x[/]",
    "[link=https://evil]x[/link]",
    "\x1b]0;TITLE\x07",
    "a\u202eb",
]
#: Nothing in a rendered line may be one of these: they act on the terminal.
FORBIDDEN = {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)} | {"\u202e"}


def row(key: str, value: str = "v", layer: str = "store", source_step: str = "flow") -> Row:
    return Row(layer, key, value, 1_700_000_000, source_step)  # type: ignore[arg-type]


class Host(App[None]):
    """Pushes one dialog at start and records every result its callback receives."""

    CSS_PATH = DIALOGS_CSS_PATH
    CURSOR_BLINK = False

    def __init__(self, dialog: Screen[Any]) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static(Content("host screen " * 120))

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


@asynccontextmanager
async def hosted(dialog: Screen[Any]) -> AsyncIterator[tuple[Host, Any]]:
    app = Host(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        yield app, pilot


def rendered(widget: Widget) -> list[str]:
    """The lines a widget sends to the terminal, borders included."""
    width, height = widget.outer_size
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


def screen_lines(screen: Screen[Any]) -> list[str]:
    lines: list[str] = []
    for widget in screen.walk_children(with_self=False):
        if widget.display and widget.outer_size.area:
            lines.extend(rendered(widget))
    return lines


def assert_terminal_safe(screen: Screen[Any]) -> None:
    for line in screen_lines(screen):
        assert not FORBIDDEN.intersection(line), repr(line)


# ── every dialog: escape answers None and the callback runs ──────────────────

DIALOG_FACTORIES: dict[str, Callable[[], DialogScreen[Any]]] = {
    "edit": lambda: EditDialog("global", row("k")),
    "add": lambda: AddDialog("global", key_exists=lambda key, layer: None),
    "purge": lambda: PurgeDialog("global", row("k")),
    "bulk_purge": lambda: BulkPurgeDialog("global", find=lambda q: [row("k")], initial_query="k"),
    "confirm": lambda: ConfirmDialog("Sure?", "Body"),
    "message": lambda: MessageDialog("Note", Content("Body")),
    "export": lambda: ExportDialog("global", default_dir=Path("/nonexistent-dir")),
    "help": lambda: HelpScreen([("General", [("q", "quit")])]),
    "conflict": lambda: ConflictDialog("global", "k", opened="a", on_disk="b", mine="c"),
}


@pytest.mark.parametrize("name", list(DIALOG_FACTORIES))
async def test_escape_dismisses_with_none(name: str) -> None:
    dialog = DIALOG_FACTORIES[name]()
    async with hosted(dialog) as (app, pilot):
        assert app.screen is dialog
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]
        assert app.screen is not dialog


# ── edit ─────────────────────────────────────────────────────────────────────


async def test_edit_shows_fields_and_saves_with_ctrl_s() -> None:
    dialog = EditDialog("flow:a", row("user.name", "Ada", source_step="analyze"))
    async with hosted(dialog) as (app, pilot):
        text = static_text(dialog)
        assert "flow:a" in text and "store" in text and "user.name" in text
        assert app.focused is dialog.query_one("#value", TextArea)
        assert dialog.query_one("#source-step", Input).value == "tui"
        await pilot.press("end", "!", "ctrl+s")
        await pilot.pause()
    assert app.results == [EditResult("Ada!", "tui")]


async def test_edit_save_button_and_source_step() -> None:
    dialog = EditDialog("global", row("k", "v"), default_source_step="ops")
    async with hosted(dialog) as (app, pilot):
        source = dialog.query_one("#source-step", Input)
        source.value = "manual"
        await pilot.click("#save")
        await pilot.pause()
    assert app.results == [EditResult("v", "manual")]


async def test_edit_cancel_button_answers_none() -> None:
    dialog = EditDialog("global", row("k", "v"))
    async with hosted(dialog) as (app, pilot):
        await pilot.click("#cancel")
        await pilot.pause()
    assert app.results == [None]


async def test_edit_json_warning_follows_the_text_and_does_not_block() -> None:
    dialog = EditDialog("global", row("k", ""))
    async with hosted(dialog) as (app, pilot):
        warning = dialog.query_one("#json-warning", Static)
        assert not warning.display
        await pilot.press(*'{"a":')
        await pilot.press("}")
        await pilot.pause()
        assert warning.display
        assert "does not parse" in str(warning.visual)
        await pilot.press("left", "1")
        await pilot.pause()
        assert dialog.query_one("#value", TextArea).text == '{"a":1}'
        assert not warning.display
        await pilot.press("backspace")  # broken again, and saved anyway
        await pilot.pause()
        assert warning.display
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [EditResult('{"a":}', "tui")]


async def test_edit_keeps_an_untouched_value_exactly() -> None:
    value = "one\r\ntwo\nthree\x1cfour"  # the editor rewrites these line breaks on load
    dialog = EditDialog("global", row("k", value))
    async with hosted(dialog) as (app, pilot):
        notes = dialog.query_one("#notes", Static)
        assert notes.display and "line breaks" in str(notes.visual)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [EditResult(value, "tui")]


# ── add ──────────────────────────────────────────────────────────────────────


async def test_add_refuses_an_empty_key() -> None:
    dialog = AddDialog("global", key_exists=lambda key, layer: None)
    async with hosted(dialog) as (app, pilot):
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        assert app.results == []
        message = dialog.query_one("#key-message", Static)
        assert message.display and "required" in str(message.visual)
        await pilot.press("space", "ctrl+s")  # spaces only: still no key
        await pilot.pause()
        assert app.screen is dialog and app.results == []


async def test_add_returns_key_value_layer_and_source_step() -> None:
    asked: list[tuple[str, str]] = []

    def exists(key: str, layer: str) -> Row | None:
        asked.append((key, layer))
        return None

    dialog = AddDialog("global", key_exists=exists)
    async with hosted(dialog) as (app, pilot):
        await pilot.press("n", "e", "w", "enter")  # enter moves on to the value
        assert app.focused is dialog.query_one("#value", TextArea)
        await pilot.press("v", "1")
        await pilot.click("#layer-memory")
        await pilot.click("#save")
        await pilot.pause()
    assert app.results == [AddResult("new", "v1", "memory", "tui")]
    assert asked == [("new", "memory")]


async def test_add_memory_can_be_disallowed() -> None:
    dialog = AddDialog("global", key_exists=lambda key, layer: None, memory_allowed=False)
    async with hosted(dialog) as (_app, pilot):
        assert dialog.query_one("#layer-memory", RadioButton).disabled
        await pilot.click("#layer-memory")
        assert dialog.layer == "store"


async def test_add_asks_before_overwriting_and_declining_keeps_the_dialog() -> None:
    existing = row("k", "the old value", source_step="flow-x")
    dialog = AddDialog("global", key_exists=lambda key, layer: existing if key == "k" else None)
    async with hosted(dialog) as (app, pilot):
        await pilot.press("k", "ctrl+s")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, ConfirmDialog)
        assert "the old value" in static_text(question)
        assert app.focused is question.query_one("#cancel", Button)
        await pilot.press("enter")  # Cancel
        await pilot.pause()
        assert app.screen is dialog and app.results == []
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("escape")  # escape on the question: also no
        await pilot.pause()
        assert app.screen is dialog and app.results == []
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.click("#confirm")
        await pilot.pause()
    assert app.results == [AddResult("k", "", "store", "tui")]


# ── purge ────────────────────────────────────────────────────────────────────


async def test_purge_shows_what_goes_and_cancel_has_focus() -> None:
    value = "\n".join(f"line {n}" for n in range(20))
    dialog = PurgeDialog("flow:a", row("doomed", value, layer="memory"))
    async with hosted(dialog) as (app, pilot):
        text = static_text(dialog)
        assert "flow:a" in text and "memory" in text and "doomed" in text
        assert "line 0" in text and "line 4" in text and "line 5" not in text
        assert "15 more lines" in text
        assert app.focused is dialog.query_one("#cancel", Button)
        assert dialog.query_one("#purge", Button).variant == "error"
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [False]


async def test_purge_can_say_why_it_asks_again() -> None:
    dialog = PurgeDialog("global", row("k", "new value"), note="[b]It changed on disk.")
    async with hosted(dialog) as (app, _pilot):
        assert "[b]It changed on disk." in static_text(dialog)
        assert app.focused is dialog.query_one("#cancel", Button)


async def test_purge_button_answers_true() -> None:
    dialog = PurgeDialog("global", row("k"))
    async with hosted(dialog) as (app, pilot):
        await pilot.click("#purge")
        await pilot.pause()
    assert app.results == [True]


# ── bulk purge ───────────────────────────────────────────────────────────────


class GrowingFind:
    """A query whose answer grows on every call, as when another process keeps writing."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, query: str) -> list[Row]:
        self.calls.append(query)
        return [row(f"{query}-{n}") for n in range(len(self.calls) + 2)]


async def test_bulk_purge_returns_exactly_the_previewed_rows() -> None:
    find = GrowingFind()
    dialog = BulkPurgeDialog("global", find=find, initial_query="tmp")
    async with hosted(dialog) as (app, pilot):
        assert find.calls == ["tmp"]
        previewed = list(dialog.previewed)
        assert [r.key for r in previewed] == ["tmp-0", "tmp-1", "tmp-2"]
        assert "3 entries match 'tmp'" in str(dialog.query_one("#status", Static).visual)
        assert app.focused is dialog.query_one("#cancel", Button)
        assert find("tmp") != previewed  # the store has moved on since the preview
        await pilot.click("#purge")
        await pilot.pause()
    assert app.results == [previewed]
    assert find.calls == ["tmp", "tmp"]  # only the call above; purging did not re-query


async def test_bulk_purge_disabled_after_editing_until_previewed_again() -> None:
    find = GrowingFind()
    dialog = BulkPurgeDialog("global", find=find, initial_query="tmp")
    async with hosted(dialog) as (app, pilot):
        purge = dialog.query_one("#purge", Button)
        assert not purge.disabled
        dialog.query_one("#query", Input).focus()
        await pilot.press("end", "x")
        await pilot.pause()
        assert purge.disabled
        assert "preview again" in str(dialog.query_one("#status", Static).visual)
        await pilot.click("#purge")  # disabled: nothing happens
        await pilot.pause()
        assert app.screen is dialog and app.results == []
        await pilot.press("enter")
        await pilot.pause()
        assert not purge.disabled
        previewed = list(dialog.previewed)
        assert [r.key for r in previewed] == ["tmpx-0", "tmpx-1", "tmpx-2", "tmpx-3"]
        await pilot.click("#purge")
        await pilot.pause()
    assert app.results == [previewed]


async def test_bulk_purge_without_query_starts_in_the_query_with_purge_disabled() -> None:
    find = GrowingFind()
    dialog = BulkPurgeDialog("global", find=find)
    async with hosted(dialog) as (app, pilot):
        assert find.calls == []
        assert app.focused is dialog.query_one("#query", Input)
        assert dialog.query_one("#purge", Button).disabled
        await pilot.press("enter")  # empty query: nothing is previewed
        await pilot.pause()
        assert find.calls == [] and dialog.query_one("#purge", Button).disabled


async def test_bulk_purge_no_match_and_read_only_rows() -> None:
    rows = [row("a"), row("b", layer="published")]
    dialog = BulkPurgeDialog("global", find=lambda q: rows if q == "x" else [], initial_query="z")
    async with hosted(dialog) as (app, pilot):
        assert "No entries match 'z'" in str(dialog.query_one("#status", Static).visual)
        assert dialog.query_one("#purge", Button).disabled
        query = dialog.query_one("#query", Input)
        query.value = "x"
        query.focus()
        await pilot.press("enter")
        await pilot.pause()
        status = str(dialog.query_one("#status", Static).visual)
        assert "1 entry matches 'x'" in status and "1 read-only" in status
        await pilot.click("#purge")
        await pilot.pause()
    assert app.results == [[rows[0]]]


async def test_bulk_purge_preview_of_a_huge_match_renders_only_what_is_visible() -> None:
    rows = [row(f"key-{n}") for n in range(100_000)]
    dialog = BulkPurgeDialog("global", find=lambda q: rows, initial_query="key")
    async with hosted(dialog) as (_app, pilot):
        preview = dialog.query_one(RowPreview)
        assert len(preview.rows) == 100_000
        assert "100,000 entries match" in str(dialog.query_one("#status", Static).visual)
        preview.focus()
        await pilot.press("end")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert any("key-99999" in line for line in rendered(preview))


async def test_bulk_purge_survives_a_failing_query() -> None:
    def broken(query: str) -> list[Row]:
        raise RuntimeError("[bold]no")

    dialog = BulkPurgeDialog("global", find=broken, initial_query="q")
    async with hosted(dialog) as (app, _pilot):
        assert "The query failed: [bold]no" in str(dialog.query_one("#status", Static).visual)
        assert dialog.query_one("#purge", Button).disabled
        assert app.screen is dialog


# ── confirm and message ──────────────────────────────────────────────────────


async def test_confirm_destructive_focuses_cancel() -> None:
    dialog = ConfirmDialog("Drop?", "It goes.", confirm_label="Drop", destructive=True)
    async with hosted(dialog) as (app, pilot):
        assert app.focused is dialog.query_one("#cancel", Button)
        assert dialog.query_one("#confirm", Button).variant == "error"
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [False]


async def test_confirm_plain_focuses_confirm_and_shows_strings_literally() -> None:
    dialog = ConfirmDialog("[b]Title", "[@click=app.quit]body[/]")
    async with hosted(dialog) as (app, pilot):
        assert app.focused is dialog.query_one("#confirm", Button)
        assert "[@click=app.quit]body[/]" in static_text(dialog)
        await pilot.click("#body")
        await pilot.pause()
        assert app.is_running and app.screen is dialog
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [True]


async def test_message_close_button() -> None:
    dialog = MessageDialog("Unreadable", Content("bad JSON at line 3"))
    async with hosted(dialog) as (app, pilot):
        assert "bad JSON at line 3" in static_text(dialog)
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [None]


# ── export ───────────────────────────────────────────────────────────────────


async def test_export_path_follows_the_format(tmp_path: Path) -> None:
    dialog = ExportDialog("flow:analyze", default_dir=tmp_path)
    async with hosted(dialog) as (app, pilot):
        path = dialog.query_one("#path", Input)
        assert path.value == str(tmp_path / "flow_analyze.json")
        await pilot.click("#format-csv")
        await pilot.pause()
        assert path.value == str(tmp_path / "flow_analyze.csv")
        await pilot.click("#export")
        await pilot.pause()
    assert app.results == [ExportResult("csv", tmp_path / "flow_analyze.csv")]


async def test_export_keeps_an_edited_name_and_warns_about_an_existing_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "mine.json").write_text("{}")
    dialog = ExportDialog("global", default_dir=tmp_path)
    async with hosted(dialog) as (app, pilot):
        path = dialog.query_one("#path", Input)
        path.value = str(tmp_path / "mine.json")
        await pilot.pause()
        message = dialog.query_one("#path-message", Static)
        assert message.display and "exists" in str(message.visual)
        await pilot.click("#format-csv")
        await pilot.click("#format-json")
        await pilot.pause()
        assert path.value == str(tmp_path / "mine.json")
        await pilot.press("ctrl+s")  # a warning, not a block
        await pilot.pause()
    assert app.results == [ExportResult("json", tmp_path / "mine.json")]


async def test_export_refuses_a_directory(tmp_path: Path) -> None:
    dialog = ExportDialog("global", default_dir=tmp_path)
    async with hosted(dialog) as (app, pilot):
        dialog.query_one("#path", Input).value = str(tmp_path)
        await pilot.click("#export")
        await pilot.pause()
        assert app.screen is dialog and app.results == []


# ── help ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("key", ["escape", "q", "question_mark"])
async def test_help_closes_with(key: str) -> None:
    dialog = HelpScreen([("Entries", [("e", "edit"), ("[d]", "purge")]), ("App", [("q", "quit")])])
    async with hosted(dialog) as (app, pilot):
        text = static_text(dialog)
        assert "Entries" in text and "[d]" in text and "purge" in text
        await pilot.press(key)
        await pilot.pause()
    assert app.results == [None]


# ── conflict ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("button", "choice"), [("#theirs", "theirs"), ("#mine", "mine"), ("#edit", "edit")]
)
async def test_conflict_choices(button: str, choice: str) -> None:
    dialog = ConflictDialog("global", "k", opened="old", on_disk="theirs", mine="mine")
    async with hosted(dialog) as (app, pilot):
        await pilot.click(button)
        await pilot.pause()
    assert app.results == [choice]


async def test_conflict_keep_theirs_is_focused_and_deleted_is_said() -> None:
    dialog = ConflictDialog("global", "k", opened="old", on_disk=None, mine="mine")
    async with hosted(dialog) as (app, pilot):
        assert app.focused is dialog.query_one("#theirs", Button)
        text = static_text(dialog)
        assert "old" in text and "deleted" in text and "mine" in text
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == ["theirs"]


# ── hostile values ───────────────────────────────────────────────────────────

HOSTILE_DIALOGS: dict[str, Callable[[str], DialogScreen[Any]]] = {
    "edit": lambda s: EditDialog(s, row(s, s, source_step=s)),
    "purge": lambda s: PurgeDialog(s, row(s, s, source_step=s)),
    "bulk_purge": lambda s: BulkPurgeDialog(s, find=lambda q: [row(s, s)], initial_query=s),
    "conflict": lambda s: ConflictDialog(s, s, opened=s, on_disk=s, mine=s),
    "confirm": lambda s: ConfirmDialog(s, s),
    "add": lambda s: AddDialog(s, key_exists=lambda key, layer: None),
}


def visible_form(text: str) -> str:
    """How the display helper shows a hostile string."""
    return text.replace("\x1b", "␛").replace("\x07", "␇").replace("\u202e", "<U+202E>")


#: Every hostile value at once, so one run of each dialog checks them all.
ALL_HOSTILE = "  ".join(HOSTILE)


@pytest.mark.parametrize("name", list(HOSTILE_DIALOGS))
async def test_hostile_values_show_literally_and_do_nothing(name: str) -> None:
    dialog = HOSTILE_DIALOGS[name](ALL_HOSTILE)
    async with hosted(dialog) as (app, pilot):
        shown = static_text(dialog)
        for hostile in HOSTILE:
            assert visible_form(hostile) in shown
        assert_terminal_safe(dialog)
        for static in dialog.query(Static):
            if static.region.area:
                await pilot.click(static)
        await pilot.pause()
        assert app.is_running and app.screen is dialog and app.results == []


async def test_typed_and_pasted_control_characters_never_reach_the_terminal() -> None:
    dialog = EditDialog("global", row("k", "plain"))
    async with hosted(dialog) as (_app, pilot):
        area = dialog.query_one("#value", TextArea)
        area.insert("\x1b]0;TITLE\x07 \u202e", (0, 0))
        dialog.query_one("#source-step", Input).value = "\x1b[31mred"
        await pilot.pause()
        assert_terminal_safe(dialog)
        assert area.text.startswith("\x1b]0;TITLE\x07")  # kept, only not sent to the terminal


# ── pictures ─────────────────────────────────────────────────────────────────

JSON_VALUE = '{"user": {"name": "Ada", "langs": ["en", "fr"]}, "tries": 3, "ok": true}'


def test_snapshot_edit_json(snap_compare: Any) -> None:
    dialog = EditDialog("flow:analyze", row("user.profile", JSON_VALUE, source_step="analyze"))
    assert snap_compare(Host(dialog), terminal_size=SIZE)


def test_snapshot_add(snap_compare: Any) -> None:
    dialog = AddDialog("daemon:watcher", key_exists=lambda key, layer: None)
    assert snap_compare(Host(dialog), terminal_size=SIZE, press=["l", "a", "s", "t"])


def test_snapshot_purge(snap_compare: Any) -> None:
    value = "\n".join(f"step {n}: ok" for n in range(12))
    dialog = PurgeDialog("flow:analyze", row("run.log", value, layer="store"))
    assert snap_compare(Host(dialog), terminal_size=SIZE)


def test_snapshot_bulk_purge_preview(snap_compare: Any) -> None:
    rows = [
        row(f"tmp.cache.{n}", f"payload {n} " * (n + 1), layer="memory" if n % 3 == 0 else "store")
        for n in range(14)
    ]
    dialog = BulkPurgeDialog("global", find=lambda q: rows, initial_query="tmp")
    assert snap_compare(Host(dialog), terminal_size=SIZE)


def test_snapshot_conflict(snap_compare: Any) -> None:
    dialog = ConflictDialog(
        "flow:analyze",
        "user.profile",
        opened='{"name": "Ada"}',
        on_disk='{"name": "Ada Lovelace",\n "updated_by": "daemon:sync"}',
        mine='{"name": "Ada L."}',
    )
    assert snap_compare(Host(dialog), terminal_size=SIZE)
