"""Whatever `persist` accepts is written as strict UTF-8 JSON that reads back equal."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axon_scopes.core import InvalidEntryError, ScopedSessionManager

#: Every code point, with lone surrogates, controls and bidi overrides made common.
text = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=()),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
        st.sampled_from('\x00\x1b\u202e\n"\\'),
    ),
    max_size=40,
)


def strict_load(raw: bytes) -> list[dict[str, object]]:
    def no_constants(name: str) -> object:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(raw.decode("utf-8", errors="strict"), parse_constant=no_constants)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(st.tuples(text, text, text), min_size=1, max_size=6))
def test_accepted_entries_round_trip_as_strict_json(entries: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "axon-server"
        mgr = ScopedSessionManager(base, clock=lambda: 1_763_900_000)
        accepted: dict[str, tuple[str, str]] = {}
        for key, value, step in entries:
            try:
                mgr.persist("flow:prop", key, value, step)
            except InvalidEntryError:
                assert any(0xD800 <= ord(c) <= 0xDFFF for c in key + value + step)
                continue
            accepted[key] = (value, step)
        mgr.flush("flow:prop")
        path = Path(tmp) / ".axon-server__flow_prop.session.json"
        if not accepted:
            return
        on_disk = strict_load(path.read_bytes())
        assert {e["key"]: (e["value"], e["source_step"]) for e in on_disk} == accepted
        fresh = ScopedSessionManager(base)
        for key, (value, step) in accepted.items():
            entry = fresh.retrieve("flow:prop", key)
            assert entry is not None and (entry.value, entry.source_step) == (value, step)
