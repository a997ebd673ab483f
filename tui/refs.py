"""What the app calls one scope: a scope of one base (a directory can hold several bases)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScopeRef:
    """A scope of one base: `base` tells stores apart when a source holds several."""

    base: str
    scope: str
