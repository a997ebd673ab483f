"""`tail`: follow changes made anywhere as JSON lines, on the change feed the app uses.

The source reports which scopes changed (and, when it knows, which keys); this
command keeps the last snapshot of each scope it follows and prints one line per
key whose entry differs from it.
"""

from __future__ import annotations

import gc
import json
import queue
import signal
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from .commands import memory_layer
from .errors import reported
from .sources import SOURCE, check_name, open_source, source_options

if TYPE_CHECKING:
    from axon_scopes.core import MemoryEntry, ScopeService, SourceChange

Layers = dict[str, dict[str, "MemoryEntry"]]
_EMPTY: Layers = {"memory": {}, "store": {}}


def layers_of(service: ScopeService, scope: str) -> Layers | None:
    """Both layers of a scope by key; None while it is unreadable (its last state stays)."""
    snapshot = service.snapshot(scope)
    if snapshot.error is not None:
        return None
    return {"memory": memory_layer(snapshot), "store": {e.key: e for e in snapshot.store}}


def differences(
    old: Layers, new: Layers, store_keys: frozenset[str] | None
) -> Iterator[tuple[str, str, MemoryEntry | None, MemoryEntry | None]]:
    """(layer, key, old entry, new entry) for every key that differs, by layer then key."""
    for layer in ("memory", "store"):
        before, after = old[layer], new[layer]
        if layer == "store" and store_keys is not None:
            keys: set[str] | frozenset[str] = store_keys
        else:
            keys = before.keys() | after.keys()
        for key in sorted(keys):
            was, now = before.get(key), after.get(key)
            if was != now:
                yield layer, key, was, now


def line(
    base: str, scope: str, layer: str, key: str, was: MemoryEntry | None, now: MemoryEntry | None
) -> str:
    record: dict[str, Any] = {
        "base": base,
        "scope": scope,
        "layer": layer,
        "key": key,
        "old": was.value if was is not None else None,
        "new": now.value if now is not None else None,
        "time": now.timestamp if now is not None else int(time.time()),
        "source_step": now.source_step if now is not None else None,
    }
    return json.dumps(record, ensure_ascii=False)


@click.command("tail")
@click.argument("source", type=SOURCE)
@click.argument("scopes", nargs=-1)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="also re-read every scope this often (seconds), for what a notification missed",
)
@source_options
def tail_command(
    source: str,
    scopes: tuple[str, ...],
    interval: float,
    read_only: bool,
    max_file_size: int | None,
) -> None:
    """Follow changes to SOURCE (or to SCOPEs) as JSON lines until interrupted.

    One line per changed key: base, scope, layer, key, old and new value (null:
    absent), time (the new entry's timestamp, or now for a removal) and
    source_step. Each line is flushed as it is written. Ends (exit 0) on Ctrl-C,
    SIGTERM or when the reader closes the pipe.
    """
    gc.enable()  # Runs for long (see `axon_scopes.cli`).
    for scope in scopes:
        check_name(scope)
    wanted = set(scopes) or None
    src = open_source(source, read_only=True, max_file_size=max_file_size)
    last: dict[tuple[str, str], Layers] = {}
    with reported():
        for base, service in src.services().items():
            for status in service.scopes():
                if wanted is None or status.scope in wanted:
                    last[(base, status.scope)] = layers_of(service, status.scope) or _EMPTY
    events: queue.Queue[SourceChange | None] = queue.Queue()

    def finish(_signum: int, _frame: object) -> None:
        events.put(None)

    signal.signal(signal.SIGINT, finish)
    signal.signal(signal.SIGTERM, finish)
    with reported():
        stop = src.watch(events.put, reconcile_s=interval)
    if sys.stderr.isatty():
        count = len(last)
        click.echo(
            f"axon-scopes: following {count} scope{'s' * (count != 1)} in {src.where} "
            "(Ctrl-C to stop)",
            err=True,
        )
    try:
        while True:
            try:
                item = events.get(timeout=1.0)
            except queue.Empty:
                continue
            if item is None:
                break
            scope = item.change.scope
            if wanted is not None and scope not in wanted:
                continue
            service = src.services().get(item.base)
            if service is None:
                continue
            change = item.change
            if change.gone:
                new: Layers | None = _EMPTY
            else:
                with reported():
                    new = layers_of(service, scope)
            if new is None:
                reason = change.error or "unreadable"
                click.echo(f"axon-scopes: scope {scope!r} is unreadable: {reason}", err=True)
                continue
            old = last.get((item.base, scope), _EMPTY)
            keys = change.keys if not (change.new or change.gone or change.error) else None
            label = src.label(item.base)
            for layer, key, was, now in differences(old, new, keys):
                sys.stdout.write(line(label, scope, layer, key, was, now) + "\n")
                sys.stdout.flush()
            last[(item.base, scope)] = new
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        stop()
