"""The entry table widget, driven through Pilot in a tiny host app."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.strip import Strip

from axon_scopes.tui.table.diff import RowDiff
from axon_scopes.tui.table.index import RowIndex
from axon_scopes.tui.table.rows import SORT_COLUMNS, Row, SortColumn, row_matches
from axon_scopes.tui.widgets import entry_table
from axon_scopes.tui.widgets.entry_table import Columns, EntryTable

NOW = 1_763_900_000
SIZE = (100, 30)
RANK = {"memory": 0, "published": 1, "store": 2}


def store_rows(count: int, prefix: str = "k") -> list[Row]:
    return [
        Row("store", f"{prefix}{i:03d}", f"value {i}", NOW - i * 60, "step") for i in range(count)
    ]


def load(table: EntryTable, rows: Sequence[Row], **options: bool) -> RowDiff:
    """Rows in as the app brings them: an index built against the one shown."""
    return table.set_index(RowIndex(rows, table.index), **options)


class Host(App[None]):
    """Just the table, with a fixed clock; records what the table says."""

    def __init__(self, rows: Sequence[Row] = ()) -> None:
        super().__init__()
        self.rows = rows
        self.moved: list[Row | None] = []
        self.activated: list[Row] = []

    def compose(self) -> ComposeResult:
        yield EntryTable(clock=lambda: NOW, age_refresh=None)

    def on_mount(self) -> None:
        table = self.query_one(EntryTable)
        table.cursor_signal.subscribe(self, self.moved.append, immediate=True)
        load(table, self.rows)

    def on_entry_table_row_activated(self, message: EntryTable.RowActivated) -> None:
        self.activated.append(message.row)


def screen_lines(table: EntryTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def strips(table: EntryTable) -> list[Strip]:
    return [table.render_line(y) for y in range(table.size.height)]


# ── rendering ─────────────────────────────────────────────────────────────


async def test_header_badges_and_cells() -> None:
    rows = [
        Row("memory", "m.key", "memory value", NOW - 30, "tui"),
        Row("store", "s.key", "line one\nline two", NOW - 7_200, "boot", conflict=True),
        Row("published", "p.key", "theirs", NOW - 90_000, "remote"),
    ]
    async with Host(rows).run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(EntryTable)
        lines = screen_lines(table)
        header = lines[0]
        assert header.split() == ["LAYER▲", "KEY", "VALUE", "STEP", "TIME"]
        assert lines[1].startswith(" MEM ") and "m.key" in lines[1] and "30s" in lines[1]
        assert lines[2].startswith(" PUB ") and "1d" in lines[2]
        assert lines[3].startswith(" STO ≠") and "line one␊line two" in lines[3]
        assert lines[3].rstrip().endswith("2h")
        assert all(len(line) == table.size.width for line in lines)


async def test_header_stays_put_when_scrolling() -> None:
    async with Host(store_rows(200)).run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(EntryTable)
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert table.scroll_y > 0
        assert screen_lines(table)[0].startswith("LAYER")


async def test_value_is_cut_to_its_column() -> None:
    rows = [Row("store", "k", "v" * 500, NOW, "s")]
    async with Host(rows).run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(EntryTable)
        line = screen_lines(table)[1]
        assert "…" in line
        assert len(line) == table.size.width


def test_columns_share_the_flexible_space() -> None:
    wide = Columns.fit(120, key_width=10, step_width=4)
    assert wide.key == 10 and wide.step == 6 and wide.age == 6
    assert wide.key + wide.value == 120 - (5 + 2 + 1 + 1) - (6 + 1) - (6 + 1)
    long_keys = Columns.fit(120, key_width=300, step_width=40)
    assert long_keys.key == (long_keys.key + long_keys.value) // 2
    assert long_keys.step == 16
    narrow = Columns.fit(40, key_width=10, step_width=4)
    assert narrow.step == 0 and narrow.age == 6
    assert Columns.fit(10, 10, 10).value >= 0


async def test_narrow_table_hides_step_then_age() -> None:
    class Narrow(Host):
        CSS = "EntryTable { width: 40; }"

    async with Narrow(store_rows(3)).run_test(size=SIZE) as pilot:
        header = screen_lines(pilot.app.query_one(EntryTable))[0]
        assert "STEP" not in header and "TIME" in header


# ── display safety ────────────────────────────────────────────────────────

HOSTILE = [
    "[bold]x",
    "[/bold]",
    "[link=https://evil]x[/link]",
    "[@click=app.quit]x[/]",
    "\x1b]0;TITLE\x07",
    "\u202eevil",
]


async def test_hostile_values_show_literally_and_do_nothing() -> None:
    rows = [Row("store", f"k{i}", value, NOW, "s") for i, value in enumerate(HOSTILE)]
    rows.append(Row("memory", "[@click=app.quit]key[/]", "[b]v", NOW, "[i]step"))
    app = Host(rows)
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(EntryTable)
        text = "\n".join(screen_lines(table))
        for shown in [
            "[bold]x",
            "[/bold]",
            "[link=https://evil]x[/link]",
            "[@click=app.quit]x[/]",
            "␛]0;TITLE␇",
            "<U+202E>evil",
            "[@click=app.quit]key[/]",
            "[i]step",
        ]:
            assert shown in text
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        for strip in strips(table):
            for segment in strip:
                assert segment.style is None or (not segment.style.link and not segment.style.meta)
        # Click and double click every row: nothing may run, the app keeps going.
        for y in range(1, len(rows) + 1):
            await pilot.click(EntryTable, offset=(12, y))
            await pilot.click(EntryTable, offset=(30, y), times=2)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert len(app.activated) == len(rows)


async def test_empty_states() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        assert screen_lines(table)[1].strip() == "no entries"
        assert table.cursor_row is None and table.cursor_row_key is None
        table.reading = True  # before anything was read: not "no entries"
        assert screen_lines(table)[1].strip() == "reading…"
        load(table, [])
        assert screen_lines(table)[1].strip() == "no entries"
        load(table, store_rows(3))
        table.set_filter("zz\x1b")
        await pilot.pause()
        assert screen_lines(table)[1].strip() == "no entries match 'zz␛'"
        assert table.cursor_row is None
        await pilot.press("down", "enter", "end")
        assert app.activated == []


# ── set_index: diffing by row_key ─────────────────────────────────────────


async def test_cursor_stays_on_its_row_when_rows_come_before_it() -> None:
    app = Host(store_rows(50))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        assert table.move_cursor_to_key(("store", "k020"))
        earlier = [Row("store", f"a{i}", "new", NOW, "s") for i in range(5)]
        diff = load(table, [*earlier, *store_rows(50)])
        assert diff == RowDiff(added=5)
        assert table.cursor_row_key == ("store", "k020")
        assert table.cursor_index == 25
        memory = [Row("memory", "m", "new", NOW, "s")]
        load(table, [*memory, *earlier, *store_rows(50)])
        assert table.cursor_row_key == ("store", "k020")
        await pilot.pause()


async def test_cursor_stays_when_its_row_or_others_change_or_go() -> None:
    app = Host(store_rows(50))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        table.move_cursor_to_key(("store", "k020"))
        await pilot.pause()
        app.moved.clear()

        rows = store_rows(50)
        rows[20] = Row("store", "k020", "edited", NOW, "tui")
        assert load(table, rows) == RowDiff(changed=1)
        assert table.cursor_row == rows[20]

        del rows[3]
        assert load(table, rows) == RowDiff(removed=1)
        assert table.cursor_row_key == ("store", "k020")
        assert table.cursor_index == 19
        await pilot.pause()
        assert app.moved == []  # Same row under the cursor: nothing to say.


async def test_cursor_row_removed_moves_to_the_row_now_in_its_place() -> None:
    app = Host(store_rows(50))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        table.move_cursor_to_key(("store", "k020"))
        rows = [r for r in store_rows(50) if r.key != "k020"]
        assert load(table, rows) == RowDiff(removed=1)
        assert table.cursor_index == 20
        assert table.cursor_row_key == ("store", "k021")
        await pilot.pause()
        assert app.moved[-1] == rows[20]
        # The last row gone under the cursor: it moves up.
        table.action_cursor_last()
        load(table, rows[:-1])
        assert table.cursor_row_key == rows[-2].row_key


async def test_scroll_offset_is_kept_across_reloads() -> None:
    app = Host(store_rows(300))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        table.cursor_index = 120
        table.scroll_to(y=110, animate=False)
        await pilot.pause()
        rows = store_rows(300)
        rows[5] = Row("store", "k005", "edited", NOW, "s")
        load(table, rows)
        await pilot.pause()
        assert table.scroll_y == 110
        assert table.cursor_index == 120
        # Many rows added above: the offset stays unless the cursor would leave the screen.
        load(table, [*[Row("store", f"a{i:03d}", "", NOW, "s") for i in range(100)], *rows])
        await pilot.pause()
        assert table.cursor_row_key == ("store", "k120")
        page = table.scrollable_content_region.height - 1
        assert table.scroll_y <= table.cursor_index < table.scroll_y + page


async def test_flash_marks_added_and_changed_rows_for_a_moment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(entry_table, "FLASH_SECONDS", 0.1)
    app = Host(store_rows(10))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        rows = store_rows(10)
        rows[4] = Row("store", "k004", "edited", NOW, "s")
        rows.append(Row("store", "k999", "new", NOW, "s"))
        load(table, rows, flash_changes=True)
        assert table.flashing == {("store", "k004"), ("store", "k999")}
        plain = table.render_line(4)
        flashed = table.render_line(5)
        assert flashed.text.split()[1] == "k004"
        assert {s.style.bgcolor for s in flashed} != {s.style.bgcolor for s in plain}
        await pilot.pause(0.3)
        assert table.flashing == frozenset()
        load(table, store_rows(10))  # No flash asked for.
        assert table.flashing == frozenset()


async def test_keep_position_false_starts_at_the_top() -> None:
    app = Host(store_rows(200))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        await pilot.press("end")
        load(table, store_rows(100, prefix="other"), keep_position=False)
        await pilot.pause()
        assert table.cursor_index == 0 and table.scroll_y == 0
        assert table.cursor_row_key == ("store", "other000")


async def test_preview_then_full_index_keeps_the_cursor_row() -> None:
    """A big scope's first screenful, then all of it: the row the cursor is on stays."""
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        every = store_rows(500)
        table.show_preview(RowIndex(every[:40]), total=500)
        await pilot.pause()
        assert table.in_preview and table.total_count == 500 and table.row_count == 40
        await pilot.press("down", "down", "down")
        assert table.cursor_row_key == ("store", "k003")
        diff = table.set_index(RowIndex(list(reversed(every))), keep_position=True)
        await pilot.pause()
        assert not table.in_preview and table.total_count == table.row_count == 500
        assert table.cursor_row_key == ("store", "k003")
        assert diff == RowDiff(added=500) and not table.flashing


async def test_index_diffed_against_replaced_rows_is_diffed_again() -> None:
    """A worker's index built against rows the table no longer holds: cursor still by key."""
    app = Host(store_rows(50))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        stale_base = table.index
        table.move_cursor_to_key(("store", "k030"))
        # Meanwhile the table took other rows (a write of our own): 10 rows before k030.
        load(table, [*(Row("store", f"a{i}", "x", NOW, "s") for i in range(10)), *store_rows(50)])
        late = RowIndex([*store_rows(50), Row("store", "zz", "new", NOW, "s")], stale_base)
        diff = table.set_index(late, flash_changes=True)
        await pilot.pause()
        assert table.cursor_row_key == ("store", "k030")
        assert diff == RowDiff(added=1, removed=10)
        assert table.flashing == {("store", "zz")}


# ── filter and sort ───────────────────────────────────────────────────────


def mixed_rows() -> list[Row]:
    return [
        Row("store", "Alpha.one", "first", NOW - 5, "boot"),
        Row("store", "beta", "has ALPHA inside", NOW - 50, "tui"),
        Row("store", "gamma", "nothing", NOW - 500, "alpha"),
        Row("memory", "delta", "Alphabet", NOW - 1, "scheduler"),
        Row("published", "epsilon", "x", NOW - 9, "remote"),
    ]


async def test_filter_matches_key_or_value_ignoring_case() -> None:
    rows = mixed_rows()
    async with Host(rows).run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(EntryTable)
        table.set_filter("ALPHA")
        assert table.filter_query == "ALPHA"
        assert [r.key for r in table.visible_rows] == ["delta", "Alpha.one", "beta"]
        assert table.row_count == 3 and table.total_count == 5
        await pilot.pause()
        assert "delta" in screen_lines(table)[1]


async def test_incremental_filter_equals_full_filter_and_clearing_restores() -> None:
    rows = [Row("store", f"key{i}", f"val{i * 7}", NOW, "s") for i in range(500)]
    async with Host(rows).run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(EntryTable)
        for query in ["1", "12", "123", "12", "1", "k", "KEY1", "1", ""]:
            table.set_filter(query)
            assert list(table.visible_rows) == [
                r for r in sorted(rows, key=lambda r: r.key) if row_matches(r, query)
            ]
        table.move_cursor_to_key(("store", "key1"))
        for query in ["e", "EY", "ey1", "KEY1"]:
            table.set_filter(query)
            assert table.cursor_row_key == ("store", "key1")
        table.set_filter("")
        assert table.row_count == 500
        assert table.cursor_row_key == ("store", "key1")
        await pilot.pause()


async def test_filter_that_hides_the_cursor_row_goes_to_the_top() -> None:
    app = Host(store_rows(100))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        await pilot.press("end")
        table.set_filter("k00")
        await pilot.pause()
        assert table.cursor_index == 0 and table.scroll_y == 0
        assert app.moved[-1] == table.cursor_row


@pytest.mark.parametrize("column", SORT_COLUMNS)
async def test_sort_by_each_column_and_reverse(column: SortColumn) -> None:
    rows = mixed_rows()
    sort_keys = {
        "layer": lambda r: (RANK[r.layer], r.key),
        "key": lambda r: (r.key, RANK[r.layer]),
        "time": lambda r: (r.timestamp, r.key),
        "source_step": lambda r: (r.source_step, r.key),
    }
    async with Host(rows).run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(EntryTable)
        table.move_cursor_to_key(("store", "gamma"))
        for reverse in (False, True):
            table.set_sort(column, reverse)
            assert (table.sort_column, table.sort_reverse) == (column, reverse)
            want = sorted(rows, key=sort_keys[column], reverse=reverse)
            assert list(table.visible_rows) == want
            assert table.cursor_row_key == ("store", "gamma")
            header = screen_lines(table)[0]
            assert ("▼" if reverse else "▲") in header
            title = {"layer": "LAYER", "key": "KEY", "time": "TIME", "source_step": "STEP"}
            assert header.index(title[column]) < header.index("▼" if reverse else "▲")
        await pilot.pause()


async def test_default_sort_and_cycle() -> None:
    async with Host(mixed_rows()).run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(EntryTable)
        assert (table.sort_column, table.sort_reverse) == ("layer", False)
        assert [r.layer for r in table.visible_rows] == [
            "memory",
            "published",
            "store",
            "store",
            "store",
        ]
        # Like the app's `s`: the next column as shown, ascending; `S` reverses it.
        assert [table.next_sort_column() for _ in range(4)] == [
            ("key", False),
            ("source_step", False),
            ("time", False),
            ("layer", False),
        ]
        assert table.reverse_sort() == ("layer", True)
        assert table.next_sort_column() == ("key", False)
        with pytest.raises(ValueError):
            table.set_sort("value")  # type: ignore[arg-type]
        await pilot.pause()


async def test_filter_and_sort_survive_new_rows() -> None:
    async with Host(mixed_rows()).run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(EntryTable)
        table.set_sort("key", True)
        table.set_filter("alpha")
        load(table, [*mixed_rows(), Row("store", "zeta", "alpha too", NOW, "s")])
        assert table.filter_query == "alpha"
        assert [r.key for r in table.visible_rows] == ["zeta", "delta", "beta", "Alpha.one"]
        await pilot.pause()


async def test_header_click_sorts() -> None:
    async with Host(mixed_rows()).run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(EntryTable)
        header = screen_lines(table)[0]
        await pilot.click(EntryTable, offset=(header.index("KEY"), 0))
        assert (table.sort_column, table.sort_reverse) == ("key", False)
        await pilot.click(EntryTable, offset=(header.index("KEY"), 0))
        assert (table.sort_column, table.sort_reverse) == ("key", True)


# ── cursor, keys, mouse, messages ─────────────────────────────────────────


async def test_keys_move_the_cursor_and_post_cursor_moved() -> None:
    rows = store_rows(100)
    app = Host(rows)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        await pilot.pause()
        assert app.moved == [rows[0]]
        page = table.scrollable_content_region.height - 1
        steps = [
            ("down", 1),
            ("j", 2),
            ("k", 1),
            ("up", 0),
            ("up", 0),
            ("pagedown", page),
            ("pageup", 0),
            ("end", 99),
            ("G", 99),
            ("home", 0),
            ("g", 0),
        ]
        for key, index in steps:
            await pilot.press(key)
            assert table.cursor_index == index, key
        await pilot.pause()
        assert [r.key if r else None for r in app.moved] == [
            "k000",
            "k001",
            "k002",
            "k001",
            "k000",
            rows[page].key,
            "k000",
            "k099",
            "k000",
        ]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.activated == [rows[1]]


async def test_fast_moves_are_each_published_as_they_happen() -> None:
    """The cursor signal is synchronous: a pane drawing the row never lags a move behind."""
    rows = store_rows(100)
    app = Host(rows)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        await pilot.pause()
        app.moved.clear()
        for _ in range(30):
            table.action_cursor_down()
            assert app.moved[-1] == table.cursor_row
        assert app.moved == rows[1:31]


async def test_click_selects_and_double_click_activates() -> None:
    rows = store_rows(100)
    app = Host(rows)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        await pilot.click(EntryTable, offset=(20, 5))
        assert table.cursor_index == 4
        assert app.activated == []
        table.scroll_to(y=10, animate=False)
        await pilot.pause()
        await pilot.click(EntryTable, offset=(20, 3), times=2)
        await pilot.pause()
        assert table.cursor_index == 12
        assert app.activated == [rows[12]]


async def test_wheel_scrolls_without_moving_the_cursor() -> None:
    app = Host(store_rows(100))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        await pilot.pause()
        table.post_message(events.MouseScrollDown(table, 5, 5, 0, 3, 0, False, False, False))
        await pilot.pause()
        assert table.scroll_y > 0 and table.cursor_index == 0


async def test_hundred_thousand_rows_scroll_to_the_end() -> None:
    rows = [Row("store", f"key.{i:06d}", f"value {i}", NOW, "s") for i in range(100_000)]
    app = Host(rows)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_index == 99_999
        assert table.scroll_y == table.max_scroll_y
        lines = screen_lines(table)
        last = [line for line in lines if "key.099999" in line]
        assert last and lines.index(last[0]) == table.scrollable_content_region.height - 1
        await pilot.press("pageup")
        assert table.cursor_index == 99_999 - (table.scrollable_content_region.height - 1)


# ── rows replaced where they stand ─────────────────────────────────────────


def drawn_lines(table: EntryTable) -> list[int]:
    """The lines the compositor asks the table for from now on, in order."""
    drawn: list[int] = []
    render_line = table.render_line

    def recording(y: int) -> Strip:
        drawn.append(y)
        return render_line(y)

    table.render_line = recording  # type: ignore[method-assign]
    return drawn


def replaced(table: EntryTable, at: int, row: Row) -> RowIndex:
    """The index a change feed naming one key gives: row `at` replaced where it stands."""
    return RowIndex.patched(table.index, {at: row}, [])


async def test_a_row_replaced_where_it_stands_redraws_its_line_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(entry_table, "FLASH_SECONDS", 0.1)
    app = Host(store_rows(1_000))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        await pilot.press("down", "down")
        await pilot.pause()
        drawn = drawn_lines(table)
        table.set_index(replaced(table, 4, Row("store", "k004", "edited", NOW, "step")),
                        flash_changes=True)  # fmt: skip
        await pilot.pause()
        assert set(drawn) == {5}  # Line 0 is the header: row 4 is line 5.
        assert table.render_line(5).text.split()[1:3] == ["k004", "edited"]
        assert table.flashing == {("store", "k004")}
        assert table.cursor_row_key == ("store", "k002")
        drawn.clear()
        await pilot.pause(0.3)  # The flash ends: that line again, nothing else.
        assert table.flashing == frozenset() and set(drawn) == {5}
        drawn.clear()
        table.set_index(replaced(table, 500, Row("store", "k500", "off screen", NOW, "step")))
        await pilot.pause()
        assert drawn == []
        await pilot.press("end")
        table.move_cursor_to_key(("store", "k500"))
        await pilot.pause()
        assert any("off screen" in line for line in screen_lines(table))


async def test_a_replaced_row_that_moves_or_widens_a_column_redraws_the_table() -> None:
    app = Host(store_rows(100))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        await pilot.pause()
        drawn = drawn_lines(table)
        wide = Row("store", "k003", "v", NOW, "a source step far wider than any other")
        table.set_index(replaced(table, 3, wide))
        await pilot.pause()
        assert set(drawn) >= set(range(table.size.height))  # Header and every line.
        assert "a source step" in screen_lines(table)[4]
        table.set_sort("time")  # Newest first when reversed: a new stamp moves the row.
        table.set_sort("time", reverse=True)
        await pilot.pause()
        drawn.clear()
        table.set_index(replaced(table, 50, Row("store", "k050", "now newest", NOW + 60, "s")))
        await pilot.pause()
        assert set(drawn) >= set(range(1, table.size.height))
        assert table.visible_rows[0].key == "k050"  # Above the cursor's row, kept in place.
        assert table.cursor_row_key == ("store", "k000")
