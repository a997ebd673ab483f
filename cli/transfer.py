"""`import` and `copy`: many entries into one scope at a time, checked and all or none."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from . import output
from .errors import CONFLICT, USAGE, CliError, reported
from .output import format_options
from .sources import (
    SOURCE,
    check_name,
    existing,
    only_service,
    open_source,
    readable_snapshot,
    source_options,
)

if TYPE_CHECKING:
    from axon_scopes.core import Change, MemoryEntry, ScopeService

#: A copy this big (entries) shows a progress bar on a terminal.
PROGRESS_FROM = 10_000
#: A copy whose scope another process writes meanwhile is tried this many times.
COPY_ATTEMPTS = 3


@dataclass
class Plan:
    """What writing a set of entries into one scope changes (per key)."""

    scope: str
    changes: list[Change] = field(default_factory=list)
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    #: Rows of another layer that were not written (memory rows of an export).
    skipped: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


def plan(
    scope: str,
    current: dict[str, MemoryEntry],
    incoming: dict[str, MemoryEntry],
    *,
    replace: bool = False,
) -> Plan:
    """Checked changes that make `current` hold `incoming` per key (and only it, `replace`)."""
    from axon_scopes.core import Change

    result = Plan(scope)
    for key, entry in incoming.items():
        before = current.get(key)
        if before == entry:
            result.unchanged += 1
            continue
        result.changes.append(Change(key, before, entry))
        if before is None:
            result.added += 1
        else:
            result.changed += 1
    if replace:
        for key, before in current.items():
            if key not in incoming:
                result.changes.append(Change(key, before, None))
                result.removed += 1
    return result


def store_entries(service: ScopeService, scope: str) -> dict[str, MemoryEntry]:
    """A scope's store layer by key; an unreadable scope exits 5 (its bytes are not touched)."""
    return {e.key: e for e in readable_snapshot(service, scope).store}


# ── reading an import ───────────────────────────────────────────────────────


class BadInput(Exception):
    """A file to import that is not what it claims (exit 2)."""


def _entry(fields: dict[str, Any], where: str) -> MemoryEntry:
    from axon_scopes.core import MemoryEntry

    for name in ("key", "value", "source_step"):
        if not isinstance(fields.get(name), str):
            raise BadInput(f"{where}: {name!r} must be a string")
    stamp = fields.get("timestamp")
    if isinstance(stamp, str) and stamp.strip().isdigit():
        stamp = int(stamp)
    if not isinstance(stamp, int) or isinstance(stamp, bool) or not 0 <= stamp < 2**63:
        raise BadInput(f"{where}: 'timestamp' must be a whole number of seconds")
    return MemoryEntry(fields["key"], fields["value"], stamp, fields["source_step"])


def read_import(data: bytes, fmt: str) -> tuple[dict[str, MemoryEntry], int]:
    """The store entries of an export (json, csv) or of Axon's file, and how many were skipped.

    Memory rows of an export are skipped: they belong to a running process. A key
    given twice keeps its later entry, as Axon's loader does.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"not UTF-8 (byte {exc.start})") from None
    if fmt == "auto":
        head = text.lstrip()[:1]
        fmt = "axon" if head == "[" else "json" if head == "{" else "csv"
    if fmt == "axon":
        from axon_scopes.core.files.codec import DecodeFailure, decode_entries

        try:
            decoded = decode_entries(data)
        except DecodeFailure as exc:
            raise BadInput(f"not an Axon store file: {exc.reason}") from None
        return {e.key: e for e in decoded}, 0
    rows: list[dict[str, Any]]
    if fmt == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"not valid JSON: {exc}") from None
        if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
            raise BadInput('not an export: expected {"scope", "count", "entries": [...]}')
        rows = document["entries"]
        where = "entry {}"
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = {"key", "value", "timestamp", "source_step"} - set(reader.fieldnames or ())
        if missing:
            raise BadInput(f"not an export: the CSV header lacks {', '.join(sorted(missing))}")
        rows = list(reader)
        where = "row {}"
    found: dict[str, MemoryEntry] = {}
    skipped = 0
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise BadInput(f"{where.format(number)}: not an object")
        layer = row.get("layer") or "store"
        if layer not in ("store", "memory"):
            raise BadInput(f"{where.format(number)}: unknown layer {layer!r}")
        if layer == "memory":
            skipped += 1
            continue
        entry = _entry(row, where.format(number))
        found.pop(entry.key, None)
        found[entry.key] = entry
    return found, skipped


# ── import ──────────────────────────────────────────────────────────────────


def report(plans: list[Plan], fmt: str | None, *, dry_run: bool, what: str) -> None:
    """The summary of what was (or would be) written: a table, or `--json`."""
    records = [p.summary() for p in plans]
    if fmt == "json":
        output.json_document({"dry_run": dry_run, "scopes": records})
        return
    headers = ["scope", "added", "changed", "removed", "unchanged", "skipped"]
    if fmt is not None:
        output.emit(fmt, headers, records)
        return
    total = sum(p.added + p.changed + p.removed for p in plans)
    verb = "would write" if dry_run else "wrote"
    lines = [
        f"{p.scope}: {p.added} added, {p.changed} changed, {p.removed} removed, "
        f"{p.unchanged} unchanged" + (f", {p.skipped} memory rows skipped" if p.skipped else "")
        for p in plans
    ]
    for line in lines:
        click.echo(output.safe(line), err=True)
    click.echo(f"{what}: {verb} {total} change{'s' if total != 1 else ''}", err=True)


@click.command("import")
@click.argument("source", type=SOURCE)
@click.argument("scope")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "in_format",
    type=click.Choice(["auto", "json", "csv", "axon"]),
    default="auto",
    show_default=True,
    help="json/csv: our (AxonServer's) export; axon: Axon's store file",
)
@click.option("--merge", "mode", flag_value="merge", default=True, help="per key (default)")
@click.option("--replace", "mode", flag_value="replace", help="the scope holds only the file's")
@click.option("--dry-run", is_flag=True, help="show what would change; write nothing")
@format_options("json")
@source_options
def import_command(
    source: str,
    scope: str,
    file: str,
    in_format: str,
    mode: str,
    dry_run: bool,
    fmt: str | None,
    read_only: bool,
    max_file_size: int | None,
) -> None:
    """Write the store entries of FILE (`-`: stdin) into SCOPE, all of them or none.

    Entries keep their timestamps and source steps. `--merge` writes each key of
    FILE and keeps the others; `--replace` also removes the keys FILE lacks. A
    scope that does not exist is created. If another process changes a key
    meanwhile, nothing is written (exit 4).
    """
    if file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(file, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CliError(f"cannot read {file}: {exc.strerror}", USAGE) from None
    try:
        incoming, skipped = read_import(data, in_format)
    except BadInput as exc:
        raise CliError(f"{'stdin' if file == '-' else file}: {exc}", USAGE) from None
    src = open_source(source, read_only=read_only, max_file_size=max_file_size)
    _base, service = only_service(src)
    check_name(scope)
    current = store_entries(service, scope)
    result = plan(scope, current, incoming, replace=mode == "replace")
    result.skipped = skipped
    if result.changes and not dry_run:
        with reported():
            service.commit(scope, result.changes)
    report([result], fmt, dry_run=dry_run, what=f"scope {scope!r}")


# ── copy ────────────────────────────────────────────────────────────────────


def copy_scope(source: ScopeService, target: ScopeService, scope: str, *, dry_run: bool) -> Plan:
    """Merge one scope's store entries into the target per key; retried if it moves meanwhile."""
    incoming = store_entries(source, scope)
    for attempt in range(COPY_ATTEMPTS):
        result = plan(scope, store_entries(target, scope), incoming)
        if not result.changes or dry_run:
            return result
        try:
            with reported():
                target.commit(scope, result.changes)
            return result
        except CliError as exc:
            if exc.exit_code != CONFLICT or attempt == COPY_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


@click.command("copy")
@click.argument("src", type=SOURCE)
@click.argument("dst", type=SOURCE)
@click.option("--scope", "scopes", multiple=True, help="only this scope (repeatable)")
@click.option("--dry-run", is_flag=True, help="show what would change; write nothing")
@format_options("json", "jsonl", "csv")
@source_options
def copy_command(
    src: str,
    dst: str,
    scopes: tuple[str, ...],
    dry_run: bool,
    fmt: str | None,
    read_only: bool,
    max_file_size: int | None,
) -> None:
    """Copy the store entries of SRC's scopes into DST, merged per key.

    Each key of SRC is written to DST (timestamp and source step kept); DST's
    other keys stay. Each scope is written all or none. Any two sources: files,
    a directory, Redis. Nothing is written if a scope of SRC is unreadable (exit 5).
    """
    source = open_source(src, read_only=True, max_file_size=max_file_size)
    _b, from_service = only_service(source)
    target = open_source(dst, read_only=read_only, max_file_size=max_file_size)
    _b, to_service = only_service(target)
    with reported():
        statuses = {s.scope: s for s in from_service.scopes()}
    names = list(dict.fromkeys(scopes)) if scopes else sorted(statuses)
    for name in names:
        check_name(name)
        existing(from_service, name)
    total = sum(statuses[name].store_count for name in names)
    plans: list[Plan] = []
    if total >= PROGRESS_FROM and sys.stderr.isatty():
        with click.progressbar(
            length=total, label="copying", file=sys.stderr, show_pos=True
        ) as bar:
            for name in names:
                plans.append(copy_scope(from_service, to_service, name, dry_run=dry_run))
                bar.update(statuses[name].store_count)
    else:
        for name in names:
            plans.append(copy_scope(from_service, to_service, name, dry_run=dry_run))
    report(plans, fmt, dry_run=dry_run, what=f"{len(plans)} scope{'s' * (len(plans) != 1)}")
