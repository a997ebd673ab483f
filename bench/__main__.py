"""`python -m bench [--quick] [--sizes N,N] [--runs N] [--markdown-out PATH] [--update-readme]`.

Full mode (the default, `make bench`) measures 1k to 1M entries and every peer;
`--quick` stays under about two minutes: 1k and 100k, fewer runs, no peer
keystrokes. `--sizes` with small numbers is how the test suite keeps it working.
The command line's row is measured at 100,000 entries, the size its goal names:
in full and quick runs, with `--only cli`, or when `--sizes` includes 100000.
The HTTP rows are measured at 10,000 entries in full and quick runs, else at the
smallest of `--sizes`.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from pathlib import Path

from . import app_bench, cli_bench, core_bench, http_bench, redis_bench

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def update_readme(report: str) -> None:
    text = README.read_text(encoding="utf-8")
    block = f"{START}\n{report}\n{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {START} … {END} block to update")
    README.write_text(pattern.sub(lambda _m: block, text), encoding="utf-8")


def peers_line() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package, label in (("visidata", "VisiData"), ("textual", "Textual")):
        try:
            parts.append(f"{label} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{label} not installed (skipped)")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 100k, fewer runs (≈2 min)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--only", choices=("core", "app", "redis", "http", "cli"), default=None)
    parser.add_argument("--markdown-out", type=Path, default=None)
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    full = not args.quick and args.sizes is None
    if args.sizes:
        sizes = args.sizes
    elif args.quick:
        sizes = [1_000, 100_000]
    else:
        sizes = [1_000, 10_000, 100_000, 1_000_000]
    runs = args.runs or (3 if args.quick else 5)
    started = time.perf_counter()
    sections: list[str] = []
    if args.only in (None, "app"):
        if not app_bench.available():
            print("app benchmark skipped: pyte is not installed (pip install -e '.[bench]')")
        else:
            small = min(sizes)
            results = app_bench.run(
                sizes,
                runs,
                full=full,
                flush_sizes=[s for s in sizes if s in (1_000, 100_000)] or [small],
                flush_samples=20 if full else (8 if args.quick else 2),
                keys_size=max(sizes),
                moves=200 if full else (60 if args.quick else 5),
                idle_size=100_000 if 100_000 in sizes else small,
                idle_seconds=10.0 if full else (5.0 if args.quick else 1.0),
            )
            sections.append("#### The app\n\n" + results.table())
    if args.only in (None, "core"):
        sections.append("#### The core\n\n" + core_bench.run(sizes, runs))
    if args.only in (None, "redis"):
        if not redis_bench.available():
            raise SystemExit("redis-server is missing: `make bench` installs it (as root)")
        redis_sizes = [s for s in sizes if s in (1_000, 100_000, 1_000_000)] or [min(sizes)]
        sections.append(
            "#### Redis against files\n\n" + redis_bench.run(redis_sizes, runs)
        )
    if args.only in (None, "http"):
        http_size = http_bench.SIZE if (full or args.quick) else min(sizes)
        sections.append(
            "#### An AxonServer's HTTP API against files\n\n"
            + http_bench.run(runs, size=http_size)
        )
    if args.only == "cli" or (args.only is None and cli_bench.SIZE in sizes):
        sections.append("#### Command line\n\n" + cli_bench.run(max(runs, 9)))
    mode = "full" if full else ("quick" if args.quick else "custom")
    report = "\n\n".join(sections) + (
        f"\n\n{mode.capitalize()} run, {runs} runs of each first-frame measure (median, min–max), "
        f"{time.perf_counter() - started:.0f} s in all. Machine: {core_bench.machine()}, "
        f"{platform.system()} {platform.release()}. Peers: {peers_line()}."
    )
    print(report)
    if args.markdown_out:
        args.markdown_out.write_text(report + "\n", encoding="utf-8")
    if args.update_readme:
        update_readme(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
