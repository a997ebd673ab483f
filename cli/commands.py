"""`ls`, `get`, `set`, `rm`, `entries`, `export`: one scope or one key at a time."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from . import output
from .errors import CONFLICT, NOT_FOUND, UNREADABLE, USAGE, CliError, reported
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
    from axon_scopes.core import MemoryEntry, ScopeService, ScopeSnapshot, ScopeSource

LAYERS = click.Choice(["store", "memory"])
DEFAULT_STEP = "cli"


def entry_record(scope: str, layer: str, entry: MemoryEntry) -> dict[str, Any]:
    """An entry as our exports spell it: scope, layer, key, value, timestamp, source_step."""
    return {
        "scope": scope,
        "layer": layer,
        "key": entry.key,
        "value": entry.value,
        "timestamp": entry.timestamp,
        "source_step": entry.source_step,
    }


def memory_layer(snapshot: ScopeSnapshot) -> dict[str, MemoryEntry]:
    """The memory layer as a reader sees it: the service's own, or what a server published.

    A file store's memory lives in its server's process; a command sees it only
    when that process publishes it.
    """
    found = {e.key: e for e in snapshot.published.entries} if snapshot.published else {}
    found.update((e.key, e) for e in snapshot.memory)
    return found


def layer_entries(snapshot: ScopeSnapshot, layer: str) -> dict[str, MemoryEntry]:
    if layer == "memory":
        return memory_layer(snapshot)
    return {e.key: e for e in snapshot.store}


def lookup(service: ScopeService, scope: str, key: str, layer: str) -> MemoryEntry | None:
    """One entry; the memory layer falls back on a published one."""
    with reported():
        entry = service.get(scope, key, layer=layer)  # type: ignore[arg-type]
        if entry is None and layer == "memory":
            published = service.published_memory(scope)
            if published is not None:
                entry = next((e for e in published.entries if e.key == key), None)
    return entry


def matches(entry: MemoryEntry, query: str) -> bool:
    """Axon's `query`: the key or the value contains `query`, ignoring case."""
    needle = query.lower()
    return needle in entry.key.lower() or needle in entry.value.lower()


def refuse_process_memory(source: ScopeSource, layer: str) -> None:
    """A file store's memory layer lives in its server's process: a command cannot write it."""
    if layer == "memory" and source.kind == "files":
        raise CliError(
            "the memory layer of a file store lives in its server's process; a command "
            "cannot write it (use --layer store)",
            USAGE,
        )


def short(text: str | None, limit: int = 60) -> str:
    if text is None:
        return "no entry"
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


# ── ls ──────────────────────────────────────────────────────────────────────


@click.command("ls")
@click.argument("source", type=SOURCE)
@format_options("json", "jsonl", "csv")
@source_options
def ls_command(source: str, fmt: str | None, read_only: bool, max_file_size: int | None) -> None:
    """Scopes in SOURCE with their memory and store counts and status.

    Exits 5 (after listing everything) when a scope is unreadable.
    """
    src = open_source(source, read_only=True, max_file_size=max_file_size)
    records: list[dict[str, Any]] = []
    with reported():
        for base, service in src.services().items():
            for status in service.scopes():
                memory = status.memory_count
                if status.published and not memory:
                    published = service.published_memory(status.scope)
                    memory = len(published.entries) if published is not None else 0
                records.append(
                    {
                        "base": src.label(base),
                        "scope": status.scope,
                        "memory": memory,
                        "store": status.store_count,
                        "published": status.published,
                        "status": "unreadable" if status.error else "ok",
                        "error": status.error,
                    }
                )
    several = len({r["base"] for r in records}) > 1

    def row(r: dict[str, Any]) -> list[object]:
        state = f"unreadable: {r['error']}" if r["error"] else "ok"
        if r["published"]:
            state += " (memory published)"
        cells = [r["scope"], r["memory"], r["store"], state]
        return [r["base"], *cells] if several else cells

    headers = ["base", "scope", "memory", "store", "published", "status", "error"]
    if fmt is None:
        shown = ["base"] if several else []
        output.table([*shown, "scope", "memory", "store", "status"], map(row, records))
    else:
        output.emit(fmt, headers, records)
    unreadable = [r["scope"] for r in records if r["error"]]
    if unreadable:
        raise CliError(f"unreadable: {', '.join(unreadable)}", UNREADABLE)


# ── get ─────────────────────────────────────────────────────────────────────


@click.command("get")
@click.argument("source", type=SOURCE)
@click.argument("scope")
@click.argument("key")
@click.option("--layer", type=LAYERS, default="store", show_default=True)
@format_options("json")
@source_options
def get_command(
    source: str,
    scope: str,
    key: str,
    layer: str,
    fmt: str | None,
    read_only: bool,
    max_file_size: int | None,
) -> None:
    """Print the value of KEY in SCOPE: its exact text (no newline added) when piped.

    On a terminal control characters are shown as codes. `--json` prints the
    whole entry. Exits 3 when the scope or key is not there.
    """
    src = open_source(source, read_only=True, max_file_size=max_file_size)
    _base, service = only_service(src)
    existing(service, scope)
    entry = lookup(service, scope, key, layer)
    if entry is None:
        raise CliError(f"no {layer} entry {key!r} in scope {scope!r}", NOT_FOUND)
    if fmt == "json":
        output.json_document(entry_record(scope, layer, entry))
    elif output.is_terminal():
        output.write(output.safe(entry.value) + "\n")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(entry.value.encode("utf-8", "surrogatepass"))
        sys.stdout.buffer.flush()


# ── set ─────────────────────────────────────────────────────────────────────


def read_value(value: str) -> str:
    """VALUE, or all of stdin for `-` (kept exactly, newlines included)."""
    if value != "-":
        return value
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"the value on stdin is not UTF-8 (byte {exc.start})", USAGE) from None


@click.command("set")
@click.argument("source", type=SOURCE)
@click.argument("scope")
@click.argument("key")
@click.argument("value")
@click.option("--step", default=DEFAULT_STEP, show_default=True, help="the entry's source_step")
@click.option("--layer", type=LAYERS, default="store", show_default=True)
@click.option("--expect", metavar="OLD", default=None, help="write only if the value is OLD")
@click.option("--absent", is_flag=True, help="write only if the key is not there")
@format_options("json")
@source_options
def set_command(
    source: str,
    scope: str,
    key: str,
    value: str,
    step: str,
    layer: str,
    expect: str | None,
    absent: bool,
    fmt: str | None,
    read_only: bool,
    max_file_size: int | None,
) -> None:
    """Write KEY = VALUE (`-`: read stdin) in SCOPE; a store write is stored at once.

    A VALUE that starts with `-` goes after `--`: `set SRC SCOPE KEY -- -5`.

    A scope that does not exist is created. With `--expect OLD` or `--absent` the
    write is checked at the moment of writing and refused (exit 4) if the key
    holds something else.
    """
    if expect is not None and absent:
        raise click.UsageError("--expect and --absent exclude each other")
    text = read_value(value)
    src = open_source(source, read_only=read_only, max_file_size=max_file_size)
    _base, service = only_service(src)
    check_name(scope)
    refuse_process_memory(src, layer)
    started = src.kind == "files" and not src.has_data()
    checked = expect is not None or absent
    if checked and not service.capabilities.has_compare_and_set:
        raise CliError(f"{src.location} cannot check writes (--expect, --absent)", USAGE)
    with reported():
        if expect is not None:
            current = service.get(scope, key, layer=layer)  # type: ignore[arg-type]
            if current is None or current.value != expect:
                raise CliError(
                    f"{layer} entry {key!r} in scope {scope!r} holds "
                    f"{short(current.value if current else None)}, not {short(expect)}; "
                    "nothing was written",
                    CONFLICT,
                )
            entry = service.compare_and_set(scope, key, current, text, step, layer=layer)  # type: ignore[arg-type]
        elif absent:
            entry = service.compare_and_set(scope, key, None, text, step, layer=layer)  # type: ignore[arg-type]
        else:
            entry = service.put(scope, key, text, step, layer=layer)  # type: ignore[arg-type]
    if started and layer == "store":  # Said, so that a mistyped SOURCE is caught at once.
        click.echo(
            output.safe(f"axon-scopes: started a new store: {src.location} ({src.where})"),
            err=True,
        )
    if fmt == "json":
        output.json_document(entry_record(scope, layer, entry))


# ── rm ──────────────────────────────────────────────────────────────────────


@click.command("rm")
@click.argument("source", type=SOURCE)
@click.argument("scope")
@click.argument("keys", nargs=-1)
@click.option(
    "--query", "-q", metavar="Q", default=None, help="every entry whose key or value holds Q"
)
@click.option("--layer", type=LAYERS, default="store", show_default=True)
@click.option(
    "--expect",
    metavar="OLD",
    default=None,
    help="each entry must hold OLD, or nothing is removed (exit 4)",
)
@click.option("--missing-ok", is_flag=True, help="a KEY that is not there is no error")
@click.option("--dry-run", is_flag=True, help="show what would go; remove nothing")
@format_options("json", "jsonl", "csv")
@source_options
def rm_command(
    source: str,
    scope: str,
    keys: tuple[str, ...],
    query: str | None,
    layer: str,
    expect: str | None,
    missing_ok: bool,
    dry_run: bool,
    fmt: str | None,
    read_only: bool,
    max_file_size: int | None,
) -> None:
    """Remove KEYs (or every entry matching `--query`) from SCOPE: all of them or none.

    Exactly the entries shown are removed: one changed meanwhile is a conflict
    (exit 4) and nothing is removed. A KEY that is not there exits 3.
    """
    from axon_scopes.core import Change

    if bool(keys) == (query is not None):
        raise click.UsageError("give KEYs or --query, not both and not neither")
    src = open_source(source, read_only=read_only, max_file_size=max_file_size)
    _base, service = only_service(src)
    existing(service, scope)
    if not dry_run:
        refuse_process_memory(src, layer)
    with reported():
        entries = layer_entries(service.snapshot(scope), layer)
    if query is not None:
        targets = [e for e in entries.values() if matches(e, query)]
    else:
        missing = [k for k in dict.fromkeys(keys) if k not in entries]
        if missing and not missing_ok:
            names = ", ".join(repr(k) for k in missing)
            raise CliError(f"no {layer} entry {names} in scope {scope!r}", NOT_FOUND)
        targets = [entries[k] for k in dict.fromkeys(keys) if k in entries]
    if expect is not None:
        wrong = [e for e in targets if e.value != expect]
        if wrong:
            raise CliError(
                f"{layer} entry {wrong[0].key!r} in scope {scope!r} holds {short(wrong[0].value)}"
                f", not {short(expect)}; nothing was removed",
                CONFLICT,
            )
    targets.sort(key=lambda e: e.key)
    if targets and not dry_run:
        with reported():
            service.commit(scope, [Change(e.key, e, None, layer) for e in targets])  # type: ignore[arg-type]
    records = [entry_record(scope, layer, e) for e in targets]
    headers = ["scope", "layer", "key", "value", "timestamp", "source_step"]
    document = {"scope": scope, "layer": layer, "dry_run": dry_run, "removed": records}
    if fmt is not None:
        output.emit(fmt, headers, records, document=document)
    elif records:
        output.table(
            ["layer", "key", "source_step", "value"],
            ([r["layer"], r["key"], r["source_step"], r["value"]] for r in records),
        )
    verb = "would remove" if dry_run else "removed"
    plural = "entry" if len(records) == 1 else "entries"
    click.echo(f"{verb} {len(records)} {layer} {plural} from scope {scope!r}", err=True)


# ── entries and export ──────────────────────────────────────────────────────


def scope_records(
    service: ScopeService, scope: str, layers: tuple[str, ...], query: str | None = None
) -> list[dict[str, Any]]:
    """Both layers (or those asked for) of a readable scope: memory, then store, each by key."""
    existing(service, scope)
    snapshot = readable_snapshot(service, scope)
    records = []
    for layer in layers:
        found = layer_entries(snapshot, layer)
        for key in sorted(found):
            entry = found[key]
            if query is None or matches(entry, query):
                records.append(entry_record(scope, layer, entry))
    return records


def chosen_layers(layer: str) -> tuple[str, ...]:
    return ("memory", "store") if layer == "both" else (layer,)


@click.command("entries")
@click.argument("source", type=SOURCE)
@click.argument("scope")
@click.option(
    "--query", "-q", metavar="Q", default=None, help="only entries whose key or value holds Q"
)
@click.option(
    "--layer", type=click.Choice(["both", "store", "memory"]), default="both", show_default=True
)
@format_options("json", "jsonl", "csv")
@source_options
def entries_command(
    source: str,
    scope: str,
    query: str | None,
    layer: str,
    fmt: str | None,
    read_only: bool,
    max_file_size: int | None,
) -> None:
    """Entries of both layers of SCOPE (memory first), each by key.

    `--json` is AxonServer's export document, `--csv` its CSV.
    """
    from axon_scopes.core.export import EXPORT_FIELDS

    src = open_source(source, read_only=True, max_file_size=max_file_size)
    _base, service = only_service(src)
    records = scope_records(service, scope, chosen_layers(layer), query)
    document = {"scope": scope, "count": len(records), "entries": records}
    if fmt is not None:
        output.emit(fmt, list(EXPORT_FIELDS), records, document=document)
        return
    output.table(
        ["layer", "key", "source_step", "time (UTC)", "value"],
        (
            [r["layer"], r["key"], r["source_step"], output.when(r["timestamp"]), r["value"]]
            for r in records
        ),
    )


def export_bytes(
    service: ScopeService, scope: str, fmt: str, *, neutralize_formulas: bool = False
) -> bytes:
    """The export of a readable scope: our JSON or CSV (both layers), or Axon's file bytes."""
    from axon_scopes.core import ScopedEntry
    from axon_scopes.core.export import export_csv, export_json

    if fmt == "axon":
        from axon_scopes.core.files.codec import encode_entries

        existing(service, scope)
        store = sorted(readable_snapshot(service, scope).store, key=lambda e: e.key)
        return encode_entries(store) if store else b"[]"
    rows = [ScopedEntry(**r) for r in scope_records(service, scope, ("memory", "store"))]
    if fmt == "csv":
        return export_csv(rows, neutralize_formulas=neutralize_formulas).encode("utf-8")
    return (export_json(scope, rows) + "\n").encode("utf-8")


@click.command("export")
@click.argument("source", type=SOURCE)
@click.argument("scope")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "axon"]),
    default="json",
    show_default=True,
    help="json/csv: AxonServer's export of both layers; axon: Axon's own store file",
)
@click.option(
    "--output",
    "-o",
    "output_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="write FILE, not stdout",
)
@click.option("--neutralize-formulas", is_flag=True, help="csv: make spreadsheet formulas inert")
@source_options
def export_command(
    source: str,
    scope: str,
    fmt: str,
    output_path: str | None,
    neutralize_formulas: bool,
    read_only: bool,
    max_file_size: int | None,
) -> None:
    """Export SCOPE to stdout (or `-o FILE`, written atomically and privately).

    `--format axon` writes exactly the bytes Axon's own store file would hold:
    such a file can be put in a server's directory as it is.
    """
    src = open_source(source, read_only=True, max_file_size=max_file_size)
    _base, service = only_service(src)
    data = export_bytes(service, scope, fmt, neutralize_formulas=neutralize_formulas)
    if output_path is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from pathlib import Path

    from axon_scopes.core.export import write_export

    with reported():
        write_export(Path(output_path), data.decode("utf-8"), service.export_mode(scope))
