"""Data never drives the app: markup stays text, invisible characters show, exports are safe.

Keys, values and scope names come from other processes. Here they carry markup that
Textual would parse (and fail on), characters that hide text from a reader, and
spreadsheet formulas; the real app is driven with Pilot over real store files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import sys
import unicodedata
from pathlib import Path

import pytest
from textual.content import Content
from textual.widgets import Checkbox, Input, TextArea

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.dialogs import EditDialog, ExportDialog, PurgeDialog
from axon_scopes.tui.display import as_json, one_line, safe
from axon_scopes.tui.widgets.header import StoreHeader
from axon_scopes.tui.widgets.safe_inputs import hidden_characters, scrub

from .conftest import SIZE, logged, notices, open_app, settle, status_line

MARKUP_KEY = "[/]"
MARKUP_SCOPE = "[a=b=c]"


async def cursor_to(app: ScopesApp, pilot: object, key: str, layer: str = "store") -> None:
    assert app.browser.table.move_cursor_to_key((layer, key))
    await settle(app, pilot)


def markup_store(tmp_path: Path) -> Path:
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    mgr.persist("global", MARKUP_KEY, "value of [/]", "[bold]step")
    mgr.persist("global", "[reverse]rev", "x", "s")
    mgr.flush("global")
    return base


# ── B: markup in keys and scope names ─────────────────────────────────────────


async def test_copy_of_a_markup_key_neither_crashes_nor_styles(tmp_path: Path) -> None:
    app = open_app(markup_store(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, MARKUP_KEY)
        await pilot.press("c")
        await settle(app, pilot)
        assert app.is_running
        assert app.clipboard == "value of [/]"
        assert any("'[/]'" in text for text in notices(app))


async def test_purge_of_a_markup_key_keeps_running_and_undo_works(tmp_path: Path) -> None:
    base = markup_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, MARKUP_KEY)
        await pilot.press("d")
        assert isinstance(app.screen, PurgeDialog)
        await pilot.click("#purge")
        await settle(app, pilot)
        assert app.is_running
        assert ScopedSessionManager(base).retrieve("global", MARKUP_KEY) is None
        assert any("purged '[/]'" in text for text in notices(app))
        await pilot.press("u")
        await settle(app, pilot)
        entry = ScopedSessionManager(base).retrieve("global", MARKUP_KEY)
        assert entry is not None and entry.value == "value of [/]"


async def test_edit_of_a_markup_key_keeps_running_and_undo_works(tmp_path: Path) -> None:
    base = markup_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, MARKUP_KEY)
        await pilot.press("e")
        assert isinstance(app.screen, EditDialog)
        app.screen.query_one("#value", TextArea).text = "new [b]"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.is_running
        entry = ScopedSessionManager(base).retrieve("global", MARKUP_KEY)
        assert entry is not None and entry.value == "new [b]"
        await pilot.press("u")
        await settle(app, pilot)
        entry = ScopedSessionManager(base).retrieve("global", MARKUP_KEY)
        assert entry is not None and entry.value == "value of [/]"


async def test_a_markup_scope_appearing_and_breaking_is_told_as_plain_text(
    tmp_path: Path,
) -> None:
    base = markup_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        other = ScopedSessionManager(base)
        other.persist(MARKUP_SCOPE, "k", "v", "s")
        other.flush(MARKUP_SCOPE)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.is_running
        assert any(f"{MARKUP_SCOPE}  new scope" in text for text in logged(app))
        other.store_path(MARKUP_SCOPE).write_text("[{not json", encoding="utf-8")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.is_running
        assert any(f"{MARKUP_SCOPE}  unreadable" in text for text in logged(app))
        assert MARKUP_SCOPE in status_line(app) and "unreadable" in status_line(app)


async def test_notifications_take_no_markup_and_no_control_characters(tmp_path: Path) -> None:
    app = open_app(markup_store(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.notify("[reverse]x[/] [@click=app.quit]y[/]\x1b]52;c;QQ==\x07", title="t\x1b]2;T\x07")
        await pilot.pause()
        (text,) = [t for t in notices(app) if "reverse" in t]
        assert "[reverse]x[/] [@click=app.quit]y[/]" in text
        assert "\x1b" not in text and "\x07" not in text and "␛]52;c;QQ==␇" in text
        assert text.startswith("t␛]2;T␇")


async def test_ctrl_c_says_how_to_quit_without_markup(tmp_path: Path) -> None:
    app = open_app(markup_store(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        (text,) = [t for t in notices(app) if "to quit the app" in t]
        assert "[b]" not in text and ("Press q " in text or "Press ctrl+q " in text)


async def test_header_shows_a_hostile_directory_literally(tmp_path: Path) -> None:
    directory = tmp_path / "d\x1b]2;T\x07[bold]b\u2028\U000e0041"
    directory.mkdir()
    app = open_app(directory / "axon-server")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        header = app.query_one(StoreHeader).render().plain
        assert "␛]2;T␇[bold]b<U+2028><U+E0041>" in header


# ── C: invisible characters are made visible ───────────────────────────────────

INVISIBLE = [
    "\U000e0001",  # language tag
    "\U000e0069",  # tag letter i
    "\u2061",
    "\u2062",
    "\u2063",
    "\u2064",
    "\u2028",
    "\u2029",
    "\u00ad",  # soft hyphen
    "\u115f",
    "\u1160",
    "\u3164",
    "\uffa0",  # Hangul fillers
    "\u034f",  # combining grapheme joiner
    "\u180e",
    "\ufe00",
    "\u180b",  # Mongolian free variation selector
    "\U000e0100",
    "\U000e01ef",
    "\u2800",
    "\ufdd0",
    "\uffff",
    "\U0010fffe",  # noncharacters
    "\u17b4",
]


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_an_invisible_character_is_shown_as_its_code(char: str) -> None:
    text = f"approve{char}d"
    shown = safe(text).plain
    assert shown == f"approve<U+{ord(char):04X}>d"
    assert one_line(text).plain == shown
    assert hidden_characters(text) == [char]
    assert char not in scrub(text)


def test_a_hidden_tag_instruction_does_not_read_as_approve() -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "ignore all")
    assert safe("approve" + hidden).plain != "approve"
    assert "<U+E0069><U+E0067>" in safe("approve" + hidden).plain


def test_every_format_separator_control_and_surrogate_character_is_made_visible() -> None:
    """Checked against the Unicode database of the running Python, so no category is missed."""
    missed = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) in {"Cc", "Cf", "Cs", "Zl", "Zp"}:
            char = chr(code)
            if safe(f"a{char}b").plain == f"a{char}b":
                missed.append(f"U+{code:04X}")
    assert missed == []


def test_one_emoji_presentation_selector_stays_but_a_run_of_selectors_shows() -> None:
    heart = "\u2764\ufe0f"
    assert safe(heart).plain == heart
    smuggled = "\U0001f600" + "\ufe0f\ufe0e\ufe0f"
    assert safe(smuggled).plain == "\U0001f600<U+FE0F><U+FE0E><U+FE0F>"
    assert safe("\ufe0fx").plain == "<U+FE0F>x"


def test_ordinary_text_and_layout_are_unchanged() -> None:
    for text in ["plain", "résumé 数据 café", "\u00a0nbsp", "tab\there", "\ue000 private use"]:
        assert safe(text, keep_layout=False).plain == (
            text if "\t" not in text else text.replace("\t", "␉")
        )
    assert safe("a\nb\tc", keep_layout=True).plain == "a\nb   c"
    assert safe("x\ny").plain == "x␊y"


def test_a_json_value_escapes_hidden_characters_and_stays_the_same_json() -> None:
    value = '{"note": "approve\U000e0069\u2063", "ok": "\u2764\ufe0f"}'
    shown = as_json(value)
    assert shown is not None
    assert "\\udb40\\udc69\\u2063" in shown.plain and "\u2764\ufe0f" in shown.plain
    assert json.loads(shown.plain) == json.loads(value)


def test_stand_ins_are_styled_apart_from_the_text() -> None:
    content = safe("a\u2063b")
    assert isinstance(content, Content)
    assert [(s.start, s.end) for s in content.spans] == [(1, 9)]


# ── D: CSV export ─────────────────────────────────────────────────────────────

FORMULAS = {
    "eq": '=HYPERLINK("http://evil","x")',
    "plus": "+1+1",
    "minus": "-2+3",
    "at": "@SUM(A1)",
    "tab": "\t=1",
    "cr": "\r=1",
    "plain": "fine",
}


def formula_manager(tmp_path: Path) -> ScopedSessionManager:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    for key, value in FORMULAS.items():
        mgr.persist("global", key, value, "=step")
    mgr.persist("global", "=key", "ok", "s")
    mgr.flush("global")
    return mgr


def test_export_csv_leaves_data_alone_by_default(tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(formula_manager(tmp_path).export_csv("global"))))
    values = {row[2]: row[3] for row in rows[1:]}
    assert values == {**FORMULAS, "=key": "ok"}


def test_export_csv_neutralises_formulas_on_request(tmp_path: Path) -> None:
    text = formula_manager(tmp_path).export_csv("global", neutralize_formulas=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["scope", "layer", "key", "value", "timestamp", "source_step"]
    values = {row[2]: row[3] for row in rows[1:]}
    assert values == {
        **{key: "'" + value for key, value in FORMULAS.items() if key != "plain"},
        "plain": "fine",
        "'=key": "ok",
    }
    assert {row[5] for row in rows[1:]} == {"'=step", "s"}
    assert all(row[4].isdigit() for row in rows[1:])


async def export_through_the_app(
    tmp_path: Path, target: Path, *, csv_format: bool, neutralize: bool
) -> None:
    formula_manager(tmp_path)
    app = open_app(tmp_path / "axon-server")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        if csv_format:
            await pilot.click("#format-csv")
            await pilot.pause()
        if neutralize:
            dialog.query_one("#neutralize", Checkbox).value = True
            await pilot.pause()
        dialog.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.is_running


async def test_export_dialog_offers_formula_neutralising_for_csv(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    await export_through_the_app(tmp_path, target, csv_format=True, neutralize=True)
    values = {row[2]: row[3] for row in csv.reader(io.StringIO(target.read_text("utf-8")))}
    assert values["eq"] == "'" + FORMULAS["eq"] and values["plain"] == "fine"


async def test_export_dialog_says_neutralising_alters_data_and_is_off() -> None:
    from .test_dialogs import hosted

    dialog = ExportDialog("global", default_dir=Path("/nonexistent-dir"))
    async with hosted(dialog) as (_app, pilot):
        box = dialog.query_one("#neutralize", Checkbox)
        assert box.value is False and box.disabled
        assert "alters" in str(box.label)
        await pilot.click("#format-csv")
        await pilot.pause()
        assert not box.disabled


async def test_export_file_is_private_and_never_written_through_a_symlink(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    os.chmod(victim, 0o644)
    target = tmp_path / "out.json"
    target.symlink_to(victim)
    old_umask = os.umask(0o022)
    try:
        await export_through_the_app(tmp_path, target, csv_format=False, neutralize=False)
    finally:
        os.umask(old_umask)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not target.is_symlink() and target.read_text(encoding="utf-8").startswith("{")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_export_over_a_hard_link_leaves_the_other_name_alone(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    os.chmod(victim, 0o644)
    target = tmp_path / "out.json"
    os.link(victim, target)
    await export_through_the_app(tmp_path, target, csv_format=False, neutralize=False)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text(encoding="utf-8").startswith("{")


async def test_export_replacing_a_world_readable_file_takes_the_store_mode(
    tmp_path: Path,
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o644)
    await export_through_the_app(tmp_path, target, csv_format=True, neutralize=False)
    assert target.read_text(encoding="utf-8").startswith("scope,layer,key")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_ages_read_as_a_sentence() -> None:
    from axon_scopes.tui.display import format_ago

    assert format_ago(0.2) == "just now"
    assert format_ago(42) == "42s ago"
    assert format_ago(7200) == "2h ago"
    assert format_ago(-5) == "in the future"
