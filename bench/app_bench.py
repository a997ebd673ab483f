"""The app benchmark: axon-scopes against VisiData and a Textual `DataTable` app.

Every contender runs as its own process in a pseudo-terminal (see `term.py`), on
the same generated files, interleaved run by run so the machine's noise hits all
of them alike. A peer that is not installed is skipped, not failed.
"""

from __future__ import annotations

import compileall
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .data import write_scope
from .term import Terminal, Timeout

ROOT = Path(__file__).resolve().parent.parent
#: Generated scope files are kept here between runs (they are fixed by the seed).
CACHE = ROOT / "bench" / ".data"
#: Any row of the generated data, as every contender draws it.
ROW_KEY = re.compile(r"[a-z]+\.[a-z]+\.\d{7}")
#: The key line of axon-scopes' detail pane: which row the cursor is on.
DETAIL_KEY = re.compile(r"\bkey {2,}(\S+)")
DOWN = b"\x1b[B"
#: Sorts first, so it is on screen; the flush benchmark rewrites its value.
TARGET_KEY = "a.bench.target"
MARK = "MARK-{:09d}"


@dataclass(frozen=True)
class Contender:
    name: str
    argv: Callable[[Path], list[str]]
    #: For headless contenders: the process prints `ready` at its first frame with rows.
    headless: bool = False
    #: Sizes above this are skipped (a peer that would take minutes per run).
    max_size: int | None = None
    #: The key that moves its cursor down a row.
    down: bytes = b"\x1b[B"


def _ours(path: Path) -> list[str]:
    return [sys.executable, "-m", "axon_scopes", str(path.parent / "axon-server")]


def contenders(full: bool) -> list[Contender]:
    found = [
        Contender("axon-scopes", _ours),
        Contender(
            "axon-scopes headless",
            lambda p: [sys.executable, "-m", "bench.probe", str(p.parent / "axon-server")],
            headless=True,
        ),
    ]
    if importlib.util.find_spec("visidata") is not None:
        # VisiData's curses asks for application-mode arrows; `j` is its own "down".
        found.append(
            Contender("VisiData", lambda p: [sys.executable, "-m", "visidata", str(p)], down=b"j")
        )
        found.append(
            Contender(
                "VisiData batch (vd -b)",
                lambda p: [sys.executable, "-m", "visidata", "-b", str(p), "-o", os.devnull],
                headless=True,
            )
        )
    datatable_cap = 1_000_000 if full else 100_000
    found.append(
        Contender(
            "DataTable",
            lambda p: [sys.executable, "-m", "bench.datatable_peer", str(p)],
            max_size=datatable_cap,
        )
    )
    found.append(
        Contender(
            "DataTable headless",
            lambda p: [sys.executable, "-m", "bench.datatable_peer", str(p), "--headless"],
            headless=True,
            max_size=datatable_cap,
        )
    )
    return found


# ── figures ──────────────────────────────────────────────────────────────────


@dataclass
class Figure:
    """Samples of one measure for one contender; `note` when it could not be measured."""

    samples: list[float] = field(default_factory=list)
    unit: str = "s"
    note: str = ""

    def median(self) -> float:
        return statistics.median(self.samples)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def show(self, spread: bool = True) -> str:
        if not self.samples:
            return self.note or "—"
        if self.unit == "MB":
            return f"{max(self.samples):,.0f} MB"
        if self.unit == "%":
            return f"{self.median():.2f} %"
        text = _seconds(self.median())
        if spread and len(self.samples) > 1:
            text += f" ({_seconds(min(self.samples))}–{_seconds(max(self.samples))})"
        return text


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


# ── data ─────────────────────────────────────────────────────────────────────


def scope_file(size: int) -> Path:
    """The generated scope of `size` entries, written once and reused."""
    directory = CACHE / f"{size}"
    path = directory / ".axon-server__global.session.json"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = write_scope(directory, size, base="writing")
        tmp.replace(path)
    return path


def load_entries(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


@contextmanager
def flush_copy(size: int) -> Iterator[tuple[Path, bytes, list[str]]]:
    """A private copy of the scope with the target entry; yields its file, bytes and sorted keys."""
    entries = load_entries(scope_file(size))
    target = {"key": TARGET_KEY, "value": MARK.format(0), "timestamp": 1, "source_step": "bench"}
    entries.insert(len(entries) // 2, target)
    with tempfile.TemporaryDirectory(prefix="axon-bench-flush-") as tmp:
        path = Path(tmp) / ".axon-server__global.session.json"
        raw = json.dumps(entries, indent=2, ensure_ascii=False).encode()
        path.write_bytes(raw)
        yield path, raw, sorted(str(e["key"]) for e in entries)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".bench-tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def write_in_place(path: Path, data: bytes) -> None:
    """As Axon writes: truncate and write the same file (readers may see it half-written)."""
    with open(path, "wb") as handle:
        handle.write(data)


def byte_compile() -> None:
    """Compile the project's modules, as pip compiles an installed package's.

    The peers' modules come byte-compiled from their install; ours are run from
    the source tree, where an editable install leaves compiling to the first
    start (and nothing is cached under PYTHONDONTWRITEBYTECODE). Timing that
    compile on every start would measure the install, not the app.
    """
    for package in ("axon_scopes", "core", "tui", "bench"):
        compileall.compile_dir(ROOT / package, quiet=1)


# ── measures ─────────────────────────────────────────────────────────────────


def shows_rows(lines: list[str]) -> bool:
    return any(ROW_KEY.search(line) for line in lines)


def detail_key(lines: list[str]) -> str | None:
    for line in lines:
        found = DETAIL_KEY.search(line)
        if found:
            return found.group(1)
    return None


def row_background(term: Terminal, key: str) -> str:
    """The background colour of the table row showing `key` (the cursor's, say)."""
    for y, line in enumerate(term.text()):
        at = line.find(key)
        if at >= 0:
            return str(term.screen.buffer[y][at].bg)
    raise Timeout(f"{key} is not on screen")


def key_with_background(term: Terminal, background: str) -> str | None:
    """The key of the row drawn with `background`: where the cursor is now.

    Read off the table rather than the detail pane, which a notice may cover.
    """
    for y, line in enumerate(term.text()):
        found = ROW_KEY.search(line)
        if found and str(term.screen.buffer[y][found.start()].bg) == background:
            return found.group(0)
    return None


def first_frame(contender: Contender, path: Path, timeout: float) -> tuple[float, float | None]:
    """Seconds from launch to the first frame with rows, and peak RSS in MB (terminal runs)."""
    argv = contender.argv(path)
    if contender.headless:
        return _headless_first_frame(argv, timeout), None
    with Terminal(argv, cwd=ROOT) as term:
        shown = term.wait_for(shows_rows, timeout)
        term.settle(quiet=0.5, timeout=timeout)
        return shown - term.start, term.peak_rss_mb()


def _headless_first_frame(argv: list[str], timeout: float) -> float:
    """Launch to the `ready` line (the process's exit is not counted); `vd -b`: to its exit."""
    batch = "-b" in argv  # VisiData's batch mode loads, prints the sheet and exits.
    start = time.perf_counter()
    with subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        if batch:
            process.communicate(timeout=timeout)
            elapsed = time.perf_counter() - start
        else:
            line = process.stdout.readline()
            elapsed = time.perf_counter() - start
            _out, err = process.communicate(timeout=timeout)
            if line.strip() != "ready":
                raise RuntimeError(f"no first frame: {err[-2000:]}")
        if process.returncode != 0:
            raise RuntimeError(f"exit status {process.returncode}")
    return elapsed


def bench_first_frames(
    sizes: Sequence[int], runs: int, full: bool, log: Callable[[str], None]
) -> dict[tuple[str, int], Figure]:
    figures: dict[tuple[str, int], Figure] = {}
    rss: dict[tuple[str, int], Figure] = {}
    for size in sizes:
        path = scope_file(size)
        for run in range(runs):
            for contender in contenders(full):
                if contender.max_size is not None and size > contender.max_size:
                    continue
                slow = contender.name.startswith("DataTable") and size >= 100_000
                if slow and run > 0:
                    continue  # One run is plenty to show how far behind it is.
                figure = figures.setdefault((contender.name, size), Figure())
                if figure.note:
                    continue
                try:
                    seconds, peak = first_frame(contender, path, timeout=300 if full else 120)
                except (Timeout, RuntimeError, subprocess.TimeoutExpired) as exc:
                    figure.note = "timed out" if "out" in type(exc).__name__.lower() else "failed"
                    log(f"  {contender.name} @ {size:,}: {figure.note}")
                    continue
                figure.samples.append(seconds)
                if peak is not None:
                    rss.setdefault((contender.name, size), Figure(unit="MB")).samples.append(peak)
                log(f"  first frame  {contender.name:24} {size:>9,}  {_seconds(seconds)}")
    return {**figures, **{(f"rss:{name}", size): fig for (name, size), fig in rss.items()}}


def bench_flush(size: int, samples: int, log: Callable[[str], None]) -> dict[str, Figure]:
    """External flush → the changed value on screen, with the cursor left where it was."""
    out: dict[str, Figure] = {}
    for mode, write in (("atomic", write_atomic), ("in place", write_in_place)):
        with flush_copy(size) as (path, raw, keys), Terminal(_ours(path), cwd=ROOT) as term:
            term.wait_for(shows_rows, 120)
            term.wait_idle()
            term.send(DOWN)
            term.send(DOWN)
            cursor_key = keys[2]
            term.wait_for(lambda lines, k=cursor_key: detail_key(lines) == k, 30)
            term.settle(0.3)
            cursor_bg = row_background(term, cursor_key)
            figure = Figure()
            kept = True
            for n in range(1, samples + 1):
                marker = MARK.format(n)
                data = raw.replace(MARK.format(0).encode(), marker.encode())
                write(path, data)
                written = time.perf_counter()
                shown = term.wait_for(lambda lines, m=marker: any(m in x for x in lines), 30)
                figure.samples.append(shown - written)
                term.settle(0.15)
                kept = kept and key_with_background(term, cursor_bg) == cursor_key
            figure.note = "" if kept else "cursor moved"
            out[mode] = figure
            log(f"  flush        {mode:24} {size:>9,}  p50 {_seconds(figure.median())}")
    return out


#: Typed one key at a time, then erased: every step is one sample.
FILTER_QUERIES = ("token", "0000777", "beta.ga")
BACKSPACE = "\x7f"


def typing_steps(query: str) -> list[tuple[str, str]]:
    """(key to send, filter text after it): type `query`, then backspace it all away."""
    typed = [query[: i + 1] for i in range(len(query))]
    erased = [*reversed(typed[:-1]), ""]
    return [(t[-1], t) for t in typed] + [(BACKSPACE, t) for t in erased]


def filter_shown(lines: list[str], text: str, count: str) -> bool:
    """The filter box holds exactly `text` and the match count reads `count`."""
    shown = re.compile(r"\s" + re.escape(text) + r"\s{2}") if text else re.compile("contains…")
    return any(count in line for line in lines) and any(shown.search(line) for line in lines)


def filter_count(entries: list[dict[str, object]], query: str) -> int:
    needle = query.lower()
    return sum(
        1 for e in entries if needle in str(e["key"]).lower() or needle in str(e["value"]).lower()
    )


def bench_keys(
    size: int, moves: int, full_peers: bool, log: Callable[[str], None]
) -> dict[str, Figure]:
    """Cursor moves and filter typing on a big scope, each waited for on screen."""
    path = scope_file(size)
    entries = load_entries(path)
    keys = sorted(str(e["key"]) for e in entries)
    out: dict[str, Figure] = {}
    with Terminal(_ours(path), cwd=ROOT) as term:
        term.wait_for(lambda lines: detail_key(lines) == keys[0], 120)
        term.wait_idle()
        moves_fig = Figure()
        for n in range(1, moves + 1):
            sent = term.send(DOWN)
            shown = term.wait_for(lambda lines, k=keys[n]: detail_key(lines) == k, 30)
            moves_fig.samples.append(shown - sent)
            term.settle(0.02)
        out["cursor"] = moves_fig
        term.send("/")
        term.settle(0.3)
        typing = Figure()
        for query in FILTER_QUERIES:
            for key, text in typing_steps(query):
                count = f"{filter_count(entries, text):,} of {size:,}"
                sent = term.send(key)
                shown = term.wait_for(lambda lines, c=count, t=text: filter_shown(lines, t, c), 30)
                typing.samples.append(shown - sent)
                term.settle(0.05)
        out["filter"] = typing
        out["rss"] = Figure([term.peak_rss_mb()], unit="MB")
    cursor_p50, filter_p50 = _seconds(moves_fig.median()), _seconds(typing.median())
    log(f"  keys         cursor p50 {cursor_p50}  filter p50 {filter_p50}")
    if full_peers:
        out.update(_peer_keys(size, path, min(moves, PEER_MOVES), log))
    return out


#: Cursor moves asked of each peer (the DataTable app can take a second per move at 1M).
PEER_MOVES = 60


def _peer_keys(size: int, path: Path, moves: int, log: Callable[[str], None]) -> dict[str, Figure]:
    out: dict[str, Figure] = {}
    for contender in contenders(full=True):
        if contender.headless or contender.name == "axon-scopes":
            continue
        figure = out[contender.name] = Figure()
        with Terminal(contender.argv(path), cwd=ROOT) as term:
            try:
                term.wait_for(shows_rows, 300)
                term.wait_idle(timeout=300)
                for _ in range(moves):
                    sent = term.send(contender.down)
                    figure.samples.append(term.wait_for_change(60) - sent)
                    term.settle(0.02)
            except Timeout:
                figure.samples.clear()
                figure.note = "timed out"
        log(f"  keys         {contender.name:24} {figure.show()}")
    return out


def bench_idle(size: int, seconds: float) -> Figure:
    """CPU used while watching an unchanging scope, as a share of one core."""
    path = scope_file(size)
    with Terminal(_ours(path), cwd=ROOT) as term:
        term.wait_for(shows_rows, 120)
        term.wait_idle()
        before, start = term.cpu_seconds(), time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            term.settle(0.5, timeout=deadline - time.perf_counter())
        used = term.cpu_seconds() - before
        return Figure([100 * used / (time.perf_counter() - start)], unit="%")


def available() -> bool:
    """The terminal half needs `pyte` and a pty."""
    return importlib.util.find_spec("pyte") is not None and shutil.which("true") is not None


# ── the report ───────────────────────────────────────────────────────────────

PEERS = ("VisiData", "DataTable")
#: (measure, size) → (goal in the measure's unit, how it is read).
GOALS: dict[tuple[str, int], float] = {
    ("first", 100_000): 0.35,
    ("first", 1_000_000): 1.2,
    ("flush", 1_000): 0.040,
    ("flush", 100_000): 0.120,
    ("cursor", 1_000_000): 0.016,
    ("filter", 1_000_000): 0.100,
    ("rss", 1_000_000): 600,
    ("idle", 0): 1.0,
}

#: VisiData's batch load on the machine the goals were set on: a yardstick for this one.
YARDSTICK: dict[int, float] = {100_000: 1.05, 1_000_000: 10.3}


def _goal(kind: str, size: int, value: float | None) -> str:
    goal = GOALS.get((kind, size))
    if goal is None:
        return ""
    shown = {"rss": f"{goal:,.0f} MB", "idle": f"{goal:g} %"}.get(kind, _seconds(goal))
    if value is None:
        return f"≤ {shown}"
    return f"≤ {shown} {'✓' if value <= goal else '✗'}"


def _ratio(ours: Figure, peers: Sequence[Figure]) -> str:
    measured = [p for p in peers if p.samples]
    if not ours.samples or not measured:
        return ""
    pick = max if ours.unit == "MB" else statistics.median
    best = min(pick(p.samples) for p in measured)
    return f"{best / pick(ours.samples):.1f}×"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


@dataclass
class AppResults:
    frames: dict[tuple[str, int], Figure]
    flush: dict[int, dict[str, Figure]]
    keys_size: int
    keys: dict[str, Figure]
    idle_size: int
    idle: Figure

    def table(self) -> str:
        sizes = sorted({size for _name, size in self.frames})
        lines = [
            _row(
                [
                    "measure",
                    "entries",
                    "axon-scopes",
                    "VisiData",
                    "DataTable",
                    "best peer ÷ ours",
                    "goal",
                ]
            ),
            "|---|---:|---:|---:|---:|---:|---|",
        ]

        def fig(name: str, size: int) -> Figure:
            return self.frames.get((name, size), Figure())

        for size in sizes:
            ours = fig("axon-scopes", size)
            peers = [fig(p, size) for p in PEERS]
            lines.append(
                _row(
                    [
                        "first frame with rows, terminal",
                        f"{size:,}",
                        ours.show(),
                        *(p.show() for p in peers),
                        _ratio(ours, peers),
                        _goal("first", size, ours.median() if ours.samples else None),
                    ]
                )
            )
        for size in sizes:
            ours = fig("axon-scopes headless", size)
            peers = [fig("VisiData batch (vd -b)", size), fig("DataTable headless", size)]
            lines.append(
                _row(
                    [
                        "first frame with rows, headless (VisiData: `vd -b`)",
                        f"{size:,}",
                        ours.show(),
                        *(p.show() for p in peers),
                        _ratio(ours, peers),
                        "",
                    ]
                )
            )
        for size in sizes:
            ours = fig("rss:axon-scopes", size)
            peers = [fig(f"rss:{p}", size) for p in PEERS]
            lines.append(
                _row(
                    [
                        "peak RSS at first frame",
                        f"{size:,}",
                        ours.show(),
                        *(p.show() for p in peers),
                        _ratio(ours, peers),
                        "",
                    ]
                )
            )
        for size, modes in sorted(self.flush.items()):
            for mode, figure in modes.items():
                text = f"{_seconds(figure.median())} p50, {_seconds(figure.quantile(0.95))} p95" + (
                    f" ({figure.note})" if figure.note else ", cursor kept"
                )
                lines.append(
                    _row(
                        [
                            f"external flush → shown ({mode} writer)",
                            f"{size:,}",
                            text,
                            "—",
                            "—",
                            "",
                            _goal("flush", size, figure.median()),
                        ]
                    )
                )
        cursor, typing = self.keys.get("cursor"), self.keys.get("filter")
        if cursor is not None:
            peers = [self.keys.get(p, Figure()) for p in PEERS]
            lines.append(
                _row(
                    [
                        "cursor key (↓)",
                        f"{self.keys_size:,}",
                        _pcts(cursor),
                        *(_pcts(p) for p in peers),
                        _ratio(cursor, peers),
                        _goal("cursor", self.keys_size, cursor.quantile(0.99)),
                    ]
                )
            )
        if typing is not None:
            lines.append(
                _row(
                    [
                        "filter keystroke (type and erase)",
                        f"{self.keys_size:,}",
                        _pcts(typing),
                        "—",
                        "—",
                        "",
                        _goal("filter", self.keys_size, typing.quantile(0.99)),
                    ]
                )
            )
        rss = self.keys.get("rss")
        if rss is not None:
            lines.append(
                _row(
                    [
                        "peak RSS after browsing and filtering",
                        f"{self.keys_size:,}",
                        rss.show(),
                        "",
                        "",
                        "",
                        _goal("rss", self.keys_size, max(rss.samples)),
                    ]
                )
            )
        lines.append(
            _row(
                [
                    "idle CPU while watching",
                    f"{self.idle_size:,}",
                    self.idle.show(),
                    "—",
                    "—",
                    "",
                    _goal("idle", 0, self.idle.median()),
                ]
            )
        )
        return "\n".join(lines) + self.yardstick()

    def yardstick(self) -> str:
        """How fast this machine is next to the one the goals were set on, by VisiData's clock."""
        pairs = [
            (size, reference, self.frames[("VisiData batch (vd -b)", size)])
            for size, reference in YARDSTICK.items()
            if self.frames.get(("VisiData batch (vd -b)", size), Figure()).samples
        ]
        if not pairs:
            return ""
        here = ", ".join(f"{_seconds(fig.median())} at {size:,}" for size, _ref, fig in pairs)
        there = ", ".join(f"{_seconds(ref)} at {size:,}" for size, ref, _fig in pairs)
        speed = statistics.median(ref / fig.median() for _size, ref, fig in pairs)
        return (
            f"\n\nThe goals are absolute. On the 2-core machine they were set on, VisiData's "
            f"batch load took {there}; here it took {here}, so this machine ran at about "
            f"{speed:.2f}× that one's speed."
        )


def _pcts(figure: Figure) -> str:
    if not figure.samples:
        return figure.note or "—"
    return f"{_seconds(figure.median())} p50, {_seconds(figure.quantile(0.99))} p99"


def run(
    sizes: Sequence[int],
    runs: int,
    *,
    full: bool,
    flush_sizes: Sequence[int],
    flush_samples: int,
    keys_size: int,
    moves: int,
    idle_size: int,
    idle_seconds: float,
    log: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),
) -> AppResults:
    byte_compile()
    frames = bench_first_frames(sizes, runs, full, log)
    flush = {size: bench_flush(size, flush_samples, log) for size in flush_sizes}
    keys = bench_keys(keys_size, moves, full, log)
    idle = bench_idle(idle_size, idle_seconds)
    log(f"  idle CPU     {idle.show()}")
    return AppResults(frames, flush, keys_size, keys, idle_size, idle)
