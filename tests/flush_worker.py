"""Processes for the flush trust tests (coarse timestamps, other accounts).

`python -m tests.flush_worker race PATH WRITER ROUNDS`: as writer WRITER, set its
key of each round to that round's value (the keys exist already) and, every second
round, purge one of its doomed keys for a spared key of the same length; one flush a
round, as fast as it can, so the file keeps its size. It starts when stdin closes.
`python -m tests.flush_worker flush PATH KEY VALUE`: persist one key and flush;
on `FlushError` prints `FlushError: <message>` and exits 3.
`python -m tests.flush_worker inplace PATH`: rewrite PATH in place (truncate, then
write) with the bytes read from stdin, as AxonServer does.
"""

from __future__ import annotations

import sys
from pathlib import Path


def race_key(writer: int, round_: int) -> str:
    return f"w{writer:02d}.k{round_:05d}"


def doomed_key(writer: int, index: int) -> str:
    return f"w{writer:02d}.doomed{index:03d}"


def spared_key(writer: int, index: int) -> str:
    """As long as a doomed key: a round that swaps one for the other keeps the size."""
    return f"w{writer:02d}.spared{index:03d}"


def race_value(round_: int) -> str:
    """Same length every round: an update never changes the file's size."""
    return f"round {round_:05d}"


def race(path: Path, writer: int, rounds: int) -> None:
    """Says `ready` once loaded, and starts when stdin closes: all writers start at once."""
    from axon_scopes.core import SessionStore

    store = SessionStore("", path=path)
    print("ready", flush=True)
    sys.stdin.read()
    for round_ in range(1, rounds + 1):
        store.persist(race_key(writer, round_), race_value(round_), "race")
        if round_ % 2 == 0:
            store.purge(doomed_key(writer, round_ // 2))
            store.persist(spared_key(writer, round_ // 2), race_value(0), "race")
        store.flush()


def flush_one(path: Path, key: str, value: str) -> int:
    from axon_scopes.core import FlushError, SessionStore

    store = SessionStore("", path=path)
    store.persist(key, value, "other-account")
    try:
        store.flush()
    except FlushError as exc:
        print(f"FlushError: {exc}", flush=True)
        return 3
    return 0


def inplace(path: Path) -> None:
    """No `core` import: it starts fast, to land within the same second as the test."""
    data = sys.stdin.buffer.read()
    with open(path, "r+b") as handle:
        handle.truncate(0)
        handle.write(data)


if __name__ == "__main__":
    verb, *args = sys.argv[1:]
    if verb == "race":
        race(Path(args[0]), int(args[1]), int(args[2]))
    elif verb == "flush":
        sys.exit(flush_one(Path(args[0]), args[1], args[2]))
    elif verb == "inplace":
        inplace(Path(args[0]))
    else:
        sys.exit(f"unknown verb {verb!r}")
