"""`python -m bench [--quick] [--markdown-out PATH] [--update-readme]`."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from . import core_bench

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:core:start -->", "<!-- bench:core:end -->"


def update_readme(table: str) -> None:
    text = README.read_text(encoding="utf-8")
    block = f"{START}\n{table}\n{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {START} … {END} block to update")
    README.write_text(pattern.sub(lambda _m: block, text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k and 100k only (≈1 minute)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--markdown-out", type=Path, default=None)
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    runs = args.runs or (5 if args.quick else 7)
    table = core_bench.run(sizes, runs)
    print(table)
    if args.markdown_out:
        args.markdown_out.write_text(table + "\n", encoding="utf-8")
    if args.update_readme:
        update_readme(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
