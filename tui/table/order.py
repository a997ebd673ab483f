"""Row layers and the default order (layer, then key), built in C where it can be."""

from __future__ import annotations

from itertools import compress, count, repeat
from operator import is_, not_

from .rows import LAYER_RANK, LAYERS, Item, Row


def layers_of(items: list[Item]) -> list[str]:
    """Each item's layer. Most items of a big scope are bare store entries: the few
    `Row`s among them are found in C, and only those are read one by one."""
    layers = ["store"] * len(items)
    for i in compress(count(), map(is_, map(type, items), repeat(Row))):
        layers[i] = items[i].layer  # type: ignore[union-attr]
    return layers


def rank(layer: str) -> int:
    return LAYER_RANK.get(layer, len(LAYERS))


def layer_then_key(keys: list[str], layers: list[str]) -> list[int]:
    """All indexes sorted by layer (memory, published, store, others) and then by key."""
    everything = range(len(keys))
    if not keys or layers.count(layers[0]) == len(layers):
        return sorted(everything, key=keys.__getitem__)
    order: list[int] = []
    for layer in LAYERS:
        order += sorted(compress(everything, map(layer.__eq__, layers)), key=keys.__getitem__)
    if len(order) < len(keys):
        others = compress(everything, map(not_, map(LAYER_RANK.__contains__, layers)))
        order += sorted(others, key=lambda i: (layers[i], keys[i]))
    return order
