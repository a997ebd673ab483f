"""The table's data model: diffing by row_key, filtering, sorting (no widgets)."""

from __future__ import annotations

import random

import pytest

from axon_scopes.core import MemoryEntry
from axon_scopes.tui.table import index as table_index
from axon_scopes.tui.table.diff import RowDiff
from axon_scopes.tui.table.hits import Hits
from axon_scopes.tui.table.index import RowIndex
from axon_scopes.tui.table.rows import (
    SORT_COLUMNS,
    Row,
    SortColumn,
    VisibleRows,
    build_rows,
    preview_rows,
    row_items,
    row_matches,
)
from axon_scopes.tui.table.view import RowView

RANK = {"memory": 0, "published": 1, "store": 2}
SORT_KEYS = {
    "layer": lambda r: (RANK[r.layer], r.key),
    "key": lambda r: (r.key, RANK[r.layer]),
    "time": lambda r: (r.timestamp, r.key, RANK[r.layer]),
    "source_step": lambda r: (r.source_step, r.key, RANK[r.layer]),
}


def expected(rows: list[Row], column: SortColumn, reverse: bool, query: str = "") -> list[Row]:
    """The reference: Python's sort and Axon's query, row by row."""
    ordered = sorted(rows, key=SORT_KEYS[column])
    if reverse:
        ordered.reverse()
    return [r for r in ordered if row_matches(r, query)]


def shown(view: RowView) -> list[Row]:
    return [view.index.rows[i] for i in view.visible]


def random_rows(rnd: random.Random, count: int) -> list[Row]:
    rows: dict[tuple[str, str], Row] = {}
    for _ in range(count):
        layer = rnd.choice(["memory", "store", "store", "published"])
        key = rnd.choice(["a", "B", "c", "Dd", "é"]) + str(rnd.randint(0, count))
        value = rnd.choice(["x", "Yy", "al", "ALp", "ǅ", ""]) + str(rnd.randint(0, 9))
        rows[(layer, key)] = Row(
            layer,  # type: ignore[arg-type]
            key,
            value,
            rnd.randint(0, 5),
            rnd.choice(["s1", "s2", "tui"]),
            rnd.random() < 0.1,
        )
    # Grouped by layer, as build_rows returns them.
    return sorted(rows.values(), key=lambda r: RANK[r.layer])


def mutate(rnd: random.Random, rows: list[Row]) -> list[Row]:
    rows = list(rows)
    for _ in range(rnd.randint(0, 8)):
        roll = rnd.random()
        if roll < 0.3 and rows:
            del rows[rnd.randrange(len(rows))]
        elif roll < 0.6:
            layer = rnd.choice(["memory", "store", "published"])
            key = f"n{rnd.randint(0, 999)}"
            if all(r.row_key != (layer, key) for r in rows):
                new = Row(layer, key, "new", rnd.randint(0, 5), "s")  # type: ignore[arg-type]
                rows.insert(rnd.randint(0, len(rows)), new)
        elif rows:
            i = rnd.randrange(len(rows))
            r = rows[i]
            rows[i] = Row(
                r.layer,
                r.key,
                r.value + rnd.choice(["", "q"]),
                r.timestamp + rnd.choice([0, 1]),
                r.source_step,
                r.conflict if rnd.random() < 0.8 else not r.conflict,
            )
    if rnd.random() < 0.1:
        rnd.shuffle(rows)
    return rows


# ── RowIndex: diff, haystack, orders ──────────────────────────────────────


@pytest.mark.parametrize("patch_limit", [2, 512])
def test_update_matches_a_rebuild(monkeypatch: pytest.MonkeyPatch, patch_limit: int) -> None:
    """Whatever moved, a reload equals an index built from scratch, and diffs by row_key."""
    monkeypatch.setattr(table_index, "PATCH_LIMIT", patch_limit)
    rnd = random.Random(patch_limit)
    for _ in range(400):
        old = random_rows(rnd, rnd.randint(0, 40))
        new = mutate(rnd, old)
        previous = RowIndex(old)
        for column in rnd.sample(SORT_COLUMNS, rnd.randint(0, 4)):
            previous.order(column)
        if rnd.random() < 0.5:
            previous.prepare("layer")  # with its column widths
        built = rnd.random() < 0.5
        if built:
            previous.haystack  # noqa: B018 - as after a filter
        index = RowIndex(new, previous)
        fresh = RowIndex(new)
        # A haystack is carried over (kept warm) only if the previous one was built.
        assert (index._hay is not None) == (built and bool(old))

        before = {r.row_key: r for r in old}
        after = {r.row_key: r for r in new}
        added = after.keys() - before.keys()
        removed = before.keys() - after.keys()
        changed = {k for k in after.keys() & before.keys() if after[k] != before[k]}
        assert index.diff == RowDiff(len(added), len(changed), len(removed))
        assert index.touched() == added | changed
        assert index.haystack == fresh.haystack
        for column in SORT_COLUMNS:
            assert index.order(column) == fresh.order(column)
        assert index.key_width == fresh.key_width
        if not any(
            r.row_key in after and after[r.row_key].source_step != r.source_step for r in old
        ):
            assert index.step_width == fresh.step_width
        for i, row in enumerate(old):
            moved_to = index.new_index_of(i)
            if row.row_key in after:
                assert moved_to is not None and new[moved_to].row_key == row.row_key
            else:
                assert moved_to is None


def test_large_reload_with_a_purge_and_an_add() -> None:
    """A removed row mid-way and one appended: both found, the rest lined up."""
    rows = [Row("store", f"k{i:05d}", f"v{i}", i, "s") for i in range(5000)]
    rows[10:10] = [Row("memory", "m", "1", 1, "s")]
    previous = RowIndex(rows)
    previous.order("layer")
    new = [*rows[:500], *rows[501:], Row("store", "zz", "new", 1, "s")]
    new[3000] = Row("store", new[3000].key, "edited", 9, "s")
    index = RowIndex(new, previous)
    assert index.diff == RowDiff(added=1, changed=1, removed=1)
    assert index.touched() == {("store", "zz"), ("store", new[3000].key)}
    assert index.order("layer") == RowIndex(new).order("layer")
    assert index.new_index_of(500) is None
    assert index.new_index_of(501) == 500


def test_first_index_counts_every_row_as_added() -> None:
    rows = [Row("store", "a", "1", 1, "s"), Row("memory", "a", "2", 1, "s")]
    index = RowIndex(rows)
    assert index.diff == RowDiff(added=2)
    assert index.touched() == {("store", "a"), ("memory", "a")}
    assert not RowDiff()
    assert RowDiff(changed=1)


def test_find_by_row_key() -> None:
    rows = [Row("memory", "k", "1", 1, "s"), Row("store", "k", "2", 1, "s")]
    index = RowIndex(rows)
    assert index.find(("store", "k")) == 1
    assert index.find(("memory", "k")) == 0
    assert index.find(("published", "k")) is None


def test_default_order_is_memory_published_store_then_key() -> None:
    rows = [
        Row("store", "a", "", 1, "s"),
        Row("published", "b", "", 1, "s"),
        Row("memory", "c", "", 1, "s"),
        Row("memory", "a", "", 1, "s"),
    ]
    view = RowView(RowIndex(rows))
    assert [r.row_key for r in shown(view)] == [
        ("memory", "a"),
        ("memory", "c"),
        ("published", "b"),
        ("store", "a"),
    ]


@pytest.mark.parametrize("column", SORT_COLUMNS)
@pytest.mark.parametrize("reverse", [False, True])
def test_sort_each_column(column: SortColumn, reverse: bool) -> None:
    rows = random_rows(random.Random(7), 300)
    view = RowView(RowIndex(rows))
    view.set_sort(column, reverse)
    assert shown(view) == expected(rows, column, reverse)


def test_time_ascending_is_oldest_first() -> None:
    rows = [Row("store", "new", "", 20, "s"), Row("store", "old", "", 10, "s")]
    view = RowView(RowIndex(rows), column="time")
    assert [r.key for r in shown(view)] == ["old", "new"]
    view.set_sort("time", reverse=True)
    assert [r.key for r in shown(view)] == ["new", "old"]


def test_unknown_sort_column_is_refused() -> None:
    with pytest.raises(ValueError):
        RowView().set_sort("value")  # type: ignore[arg-type]


# ── filtering ─────────────────────────────────────────────────────────────


def test_filter_is_case_insensitive_on_key_or_value() -> None:
    rows = [
        Row("store", "Alpha", "one", 1, "s"),
        Row("store", "beta", "ALPHABET", 1, "s"),
        Row("store", "gamma", "delta", 1, "alpha"),  # source_step is not searched
    ]
    view = RowView(RowIndex(rows))
    view.set_query("aLpHa")
    assert [r.key for r in shown(view)] == ["Alpha", "beta"]


def test_query_never_matches_across_key_and_value() -> None:
    rows = [Row("store", "ab", "cd", 1, "s"), Row("store", "x", "b\x00c", 1, "s")]
    view = RowView(RowIndex(rows))
    view.set_query("b\x00c")
    assert [r.key for r in shown(view)] == ["x"]


@pytest.mark.parametrize("column", SORT_COLUMNS)
@pytest.mark.parametrize("reverse", [False, True])
def test_narrowing_equals_full_filter(column: SortColumn, reverse: bool) -> None:
    rows = random_rows(random.Random(3), 400)
    typed = RowView(RowIndex(rows), column=column, reverse=reverse)
    for query in ["a", "A1", "a12", "a1", "", "y", "yy", "Yy3", "ǆ"]:
        typed.set_query(query)
        fresh = RowView(RowIndex(rows), column=column, reverse=reverse, query=query)
        assert list(typed.visible) == list(fresh.visible)
        assert shown(typed) == expected(rows, column, reverse, query)


@pytest.mark.parametrize("memory_sorted", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_narrowing_rows_that_come_sorted_equals_full_filter(
    reverse: bool, memory_sorted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows in the default order keep hits as flags (`Hits`), narrowed level by level.

    Memory rows come as they were remembered; the ones sorted ahead of their place
    are gathered into the head of the hits.
    """
    monkeypatch.setattr(Hits, "BLOCK", 16)  # Many blocks, so the directory is exercised.
    monkeypatch.setattr(table_index, "LIST_BELOW", 20)  # Scaled down with the rows.
    rows = random_rows(random.Random(8), 600)
    memory = [r for r in rows if r.layer == "memory"]
    if memory_sorted:
        memory.sort(key=SORT_KEYS["layer"])
    ordered = [*memory, *sorted((r for r in rows if r.layer != "memory"), key=SORT_KEYS["layer"])]

    def fresh_index() -> RowIndex:
        return RowIndex(ordered, ordered=memory_sorted)

    typed = RowView(fresh_index(), reverse=reverse)
    narrowed = 0
    for query in ["a", "a1", "a12", "a1", "1", "12", "", "y", "yy", "yy1", "ǆ", "ǆ1"]:
        before = typed.visible
        typed.set_query(query)
        fresh = RowView(fresh_index(), reverse=reverse, query=query)
        assert list(typed.visible) == list(fresh.visible)
        assert shown(typed) == expected(ordered, "layer", reverse, query)
        after = typed.visible
        narrowed += isinstance(before, Hits) and isinstance(after, Hits) and after is not before
        for position, index in enumerate(typed.visible):
            assert typed.position_of(index) == position
    assert narrowed >= 3


@pytest.mark.parametrize("column", SORT_COLUMNS)
def test_filter_of_rows_that_come_sorted(column: SortColumn) -> None:
    """Core hands over store and published rows sorted by key; memory rows as they came."""
    rows = random_rows(random.Random(11), 300)
    memory = [r for r in rows if r.layer == "memory"]
    rest = sorted((r for r in rows if r.layer != "memory"), key=SORT_KEYS["layer"])
    for ordered in ([*memory, *rest], sorted(rows, key=SORT_KEYS["layer"]), rest[:1], []):
        for reverse in (False, True):
            view = RowView(RowIndex(ordered), column=column, reverse=reverse)
            for query in ("a", "1", "zz", ""):
                view.set_query(query)
                assert shown(view) == expected(ordered, column, reverse, query)


def test_backspace_reuses_the_earlier_result() -> None:
    rows = random_rows(random.Random(5), 200)
    view = RowView(RowIndex(rows))
    view.set_query("a")
    first = view.visible
    view.set_query("a1")
    view.set_query("a")
    assert view.visible is first
    view.set_query("")
    assert shown(view) == expected(rows, "layer", False)


def test_filter_and_sort_survive_new_data() -> None:
    rows = random_rows(random.Random(9), 200)
    view = RowView(RowIndex(rows), column="key", reverse=True, query="a")
    new = mutate(random.Random(1), rows)
    view.set_index(RowIndex(new, view.index))
    assert shown(view) == expected(new, "key", True, "a")


def test_position_of() -> None:
    rows = [Row("store", k, v, 1, "s") for k, v in [("a", "x"), ("b", "y"), ("c", "x")]]
    view = RowView(RowIndex(rows), query="x")
    assert view.position_of(2) == 1
    assert view.position_of(1) is None
    assert view.position_of(None) is None


def test_visible_rows_is_a_view() -> None:
    rows = [Row("store", k, "", 1, "s") for k in "abc"]
    visible = VisibleRows(rows, [2, 0])
    assert len(visible) == 2
    assert visible[0].key == "c"
    assert visible[-1].key == "a"
    assert [r.key for r in visible[::-1]] == ["a", "c"]
    assert [r.key for r in visible] == ["c", "a"]


# ── build_rows ────────────────────────────────────────────────────────────


def test_build_rows_flags_disagreeing_layers() -> None:
    memory = [MemoryEntry("k", "1", 1, "s"), MemoryEntry("same", "v", 1, "s")]
    store = [MemoryEntry("k", "2", 1, "s"), MemoryEntry("same", "v", 1, "s")]
    rows = {r.row_key: r for r in build_rows(memory, store)}
    assert rows[("memory", "k")].conflict and rows[("store", "k")].conflict
    assert not rows[("memory", "same")].conflict
    assert not rows[("store", "same")].conflict


def test_build_rows_of_a_store_alone() -> None:
    store = [MemoryEntry(f"k{i}", f"v{i}", i, "s") for i in range(5)]
    assert build_rows([], store) == [Row("store", e.key, e.value, e.timestamp, "s") for e in store]


def test_a_store_entry_no_layer_disputes_is_its_own_row() -> None:
    """The index holds the core's entries, not a copy of each: a big scope's rows cost nothing."""
    memory = [MemoryEntry("k", "1", 1, "s")]
    store = [MemoryEntry("k", "2", 1, "s"), MemoryEntry("same", "v", 1, "s")]
    items = row_items(memory, store)
    assert items[0] == Row("memory", "k", "1", 1, "s", True)
    assert items[1] == Row("store", "k", "2", 1, "s", True)
    assert items[2] is store[1]
    alone = row_items([], store)
    assert all(item is entry for item, entry in zip(alone, store, strict=True))
    index = RowIndex(items)
    assert index.layers == ["memory", "store", "store"]
    assert list(index.rows) == build_rows(memory, store)
    assert index.rows[2] == Row("store", "same", "v", 1, "s")
    assert index.rows[1:] == build_rows(memory, store)[1:]
    assert list(VisibleRows(index.items, [2, 0])) == [index.rows[2], index.rows[0]]


def test_a_row_that_gains_or_loses_a_conflict_counts_as_changed() -> None:
    store = [MemoryEntry("k", "v", 1, "s"), MemoryEntry("other", "w", 1, "s")]
    plain = RowIndex(row_items([], store))
    disputed = RowIndex(row_items([MemoryEntry("k", "mine", 2, "s")], store), plain)
    assert disputed.diff == RowDiff(added=1, changed=1)
    assert disputed.touched() == {("memory", "k"), ("store", "k")}
    settled = RowIndex(row_items([], store), disputed)
    assert settled.diff == RowDiff(changed=1, removed=1)
    # Equal entries read again (new objects, as a reload gives) are no change at all.
    again = RowIndex(row_items([], [MemoryEntry(e.key, e.value, 1, "s") for e in store]), settled)
    assert again.diff == RowDiff()


def test_newest_visible_row() -> None:
    store = [MemoryEntry(f"k{i}", f"v{i}", stamp, "s") for i, stamp in enumerate([3, 9, 1, 9])]
    view = RowView(RowIndex(row_items([], store), ordered=True))
    assert view.newest() == Row("store", "k1", "v1", 9, "s")  # The topmost of the two.
    view.set_sort("layer", reverse=True)
    assert view.newest() == Row("store", "k3", "v3", 9, "s")
    view.set_query("v2")
    assert view.newest() == Row("store", "k2", "v2", 1, "s")
    view.set_query("nothing")
    assert view.newest() is None


def entries(rnd: random.Random, count: int, keys: int) -> list[MemoryEntry]:
    chosen = rnd.sample(range(keys), min(count, keys))
    return [MemoryEntry(f"k{i:03d}", rnd.choice("ab"), rnd.randint(0, 9), "s") for i in chosen]


@pytest.mark.parametrize("seed", range(40))
def test_preview_is_the_start_of_the_full_default_order(seed: int) -> None:
    """Layers, key order and conflict flags exactly as the full index shows them."""
    rnd = random.Random(seed)
    memory = entries(rnd, rnd.randint(0, 6), 40)
    published = entries(rnd, rnd.randint(0, 6), 40)
    store = entries(rnd, rnd.randint(0, 60), 40)
    full = shown(RowView(RowIndex(build_rows(memory, store, published))))
    by_key = {e.key: e for e in store}
    for count in (1, 5, 12, 200):
        assert preview_rows(memory, store, published, count) == full[:count]
        assert preview_rows(memory, store, published, count, lookup=by_key.get) == full[:count]


@pytest.mark.parametrize("seed", range(12))
def test_ordered_rows_filter_and_sort_like_any_others(seed: int) -> None:
    """build_rows gives the default order; an `ordered` index uses it as is, and agrees."""
    rnd = random.Random(seed)
    memory = entries(rnd, rnd.randint(0, 20), 300)
    published = entries(rnd, rnd.randint(0, 20), 300)
    store = entries(rnd, rnd.randint(0, 250), 300)
    rows = build_rows(memory, store, published)
    index = RowIndex(row_items(memory, store, published), ordered=True)
    assert index.order("layer") == range(len(rows))
    assert [rows[i] for i in index.order("layer")] == expected(rows, "layer", False)
    for column in SORT_COLUMNS:
        for reverse in (False, True):
            view = RowView(index, column=column, reverse=reverse)
            for query in ("k", "k0", "k01", "k0", "a", "", "b", "k1", "k12", "k123"):
                view.set_query(query)
                assert shown(view) == expected(rows, column, reverse, query), (column, query)
    # A reload diffed against it keeps agreeing.
    changed = build_rows(memory, store[: len(store) // 2], published)
    again = RowIndex(row_items(memory, store[: len(store) // 2], published), index, ordered=True)
    assert shown(RowView(again, query="k0")) == expected(changed, "layer", False, "k0")


def test_filter_of_text_beyond_ascii_matches_row_by_row() -> None:
    """Lowercasing can change a string's length (İ, ß): matches must stay Axon's, row by row."""
    values = ["Straße", "İstanbul", "naïve café", "日本語の文", "🎉 party", "lone \ud800 half", "ǅ"]
    rows = [Row("store", f"k{i}", v, i, "s") for i, v in enumerate(values)]
    view = RowView(RowIndex(rows))
    queries = ["ß", "STRASSE", "i̇st", "istanbul", "Ï", "本語", "🎉", "\ud800", "\ud800 h", "ǆ", "é"]
    for query in queries:
        view.set_query(query)
        assert shown(view) == [r for r in rows if row_matches(r, query)], query
        for i, row in enumerate(rows):
            assert view.matches(i) == row_matches(row, query)


# ── hits as flags ─────────────────────────────────────────────────────────


@pytest.mark.parametrize("block", [4, 64, Hits.BLOCK])
@pytest.mark.parametrize("seed", range(4))
def test_hits_act_as_the_list_of_their_rows(
    block: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Hits, "BLOCK", block)
    rnd = random.Random(seed)
    size = rnd.randint(0, 300)
    start = rnd.randint(0, size)
    head = list(range(start))
    rnd.shuffle(head)
    head = [i for i in head if rnd.random() < 0.5]
    flags = bytes(rnd.random() < 0.6 for _ in range(size - start))
    hits = Hits(flags, start=start, head=head)
    model_rows = head + [start + j for j, flag in enumerate(flags) if flag]
    levels = [(hits, model_rows)]
    for _ in range(3):  # Narrow, then narrow the narrowed.
        sub = bytes(rnd.random() < 0.7 for _ in model_rows)
        hits = hits.narrow(sub)
        model_rows = [row for row, flag in zip(model_rows, sub, strict=True) if flag]
        levels.append((hits, model_rows))
    for hits, rows in levels:
        for reverse in (False, True):
            seq = hits.reversed() if reverse else hits
            want = rows[::-1] if reverse else rows
            assert len(seq) == len(want)
            assert list(seq) == want
            assert list(seq.listed()) == want
            assert list(reversed(seq)) == want[::-1]
            assert [seq[i] for i in range(len(want))] == want
            back = range(1, len(want) + 1)
            assert [seq[-i] for i in back] == [want[-i] for i in back]
            assert seq[3:40:3] == want[3:40:3]
            assert seq[::-1] == want[::-1]
            for row in range(size + 2):
                assert (row in seq) == (row in want)
                if row in want:
                    assert seq.index(row) == want.index(row)
                else:
                    with pytest.raises(ValueError):
                        seq.index(row)
            with pytest.raises(IndexError):
                seq[len(want)]


def test_hits_narrowed_in_reverse_keep_the_order() -> None:
    hits = Hits(bytes([1, 0, 1, 1, 0, 1]))  # rows 0, 2, 3, 5
    up = hits.reversed()
    assert list(up) == [5, 3, 2, 0]
    hay = ["a", "b", "ab", "b", "c", "a"]
    assert list(up.haystacks(hay)) == ["a", "ab", "b", "a"]  # Always top-down.
    narrowed = up.narrow(bytes("a" in h for h in up.haystacks(hay)))
    assert list(narrowed) == [5, 2, 0]
    assert list(narrowed.forward()) == [0, 2, 5]
    assert list(narrowed.listed()) == [5, 2, 0]
    assert list(narrowed.forward().listed()) == [0, 2, 5]
    assert list(up.listed()) == [5, 3, 2, 0]
