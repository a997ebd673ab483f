"""One key table: the footer, the palette, the help screen and the README all come from it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from axon_scopes.tui.dialogs.help import HelpScreen
from axon_scopes.tui.keys import GROUPS, KEYS, readme_table
from axon_scopes.tui.table.view import SORT_ORDER

from .conftest import SIZE, AppFactory, settle

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_section(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n") + len(f"\n## {heading}\n")
    end = text.index("\n## ", start)
    return text[start:end]


def test_readme_key_table_is_the_key_table() -> None:
    """The README's table is exactly what the key table renders, row for row."""
    table = [line for line in readme_section("Keys").splitlines() if line.startswith("|")]
    assert "\n".join(table) == readme_table()


def test_every_key_has_a_group_and_every_command_a_way_in() -> None:
    for key in KEYS:
        assert key.label or key.title, key  # Reachable by a key or by name.
        if key.label:
            assert key.group in GROUPS, key
        assert key.shown_in_footer <= (key.bind is not None), key


async def test_bindings_palette_and_help_come_from_the_table(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        bound = {key: active.binding for key, active in app.active_bindings.items()}
        for key in KEYS:
            for name in (key.bind or "").split(",") if key.bind else ():
                binding = bound[name]
                assert binding.action == key.action
                assert binding.show == key.shown_in_footer
                if key.footer:
                    assert binding.description == key.footer
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        for key in KEYS:
            if key.title is not None:
                assert key.title in commands
                if key.label:
                    assert commands[key.title].endswith(f"({key.label})")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(str(s.render()) for s in app.screen.query(Static))
        for key in KEYS:
            if key.label:
                assert key.label in shown and key.description in shown, key
        for group in GROUPS:
            assert group in shown


async def test_s_picks_the_column_and_shift_s_reverses_it(
    demo_base: Path, app_for: AppFactory
) -> None:
    """`s` visits every column of SORT_ORDER once, ascending, then starts over; `S` reverses
    the column shown, and the header's arrow says which."""
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.browser.table

        def state() -> tuple[str, bool]:
            return table.sort_column, table.sort_reverse

        seen = [state()]
        for _ in SORT_ORDER:
            await pilot.press("s")
            seen.append(state())
        assert seen == [*((column, False) for column in SORT_ORDER), (SORT_ORDER[0], False)]
        assert SORT_ORDER[0] == "layer"  # The default order comes first.
        await pilot.press("s", "S")
        assert state() == (SORT_ORDER[1], True)
        assert "KEY ▼" in table.render_line(0).text
        await pilot.press("S")
        assert state() == (SORT_ORDER[1], False) and "KEY ▲" in table.render_line(0).text
        await pilot.press("S", "s")  # Another column starts ascending again.
        assert state() == (SORT_ORDER[2], False)
        while table.sort_column != "time":
            await pilot.press("s")
        stamps = [row.timestamp for row in table.visible_rows]
        assert stamps == sorted(stamps)  # Time ascending: the oldest first.
        assert "TIME▲" in table.render_line(0).text.replace(" ", "")
