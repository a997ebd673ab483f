"""The scope tree: stores, then `global`, flows, daemons and custom scopes, with counts."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from axon_scopes.core import DEFAULT_SCOPE

from ..display import safe_rich
from ..refs import ScopeRef

GROUPS = (("flow:", "flows"), ("daemon:", "daemons"))
CUSTOM_GROUP = "custom"


@dataclass(frozen=True, slots=True)
class ScopeInfo:
    """What a scope node shows."""

    ref: ScopeRef
    memory_count: int
    store_count: int
    unreadable: bool = False
    published: bool = False


def group_of(scope: str) -> tuple[str | None, str]:
    """(group label or None for `global`, the name shown under it)."""
    if scope == DEFAULT_SCOPE:
        return None, scope
    for prefix, label in GROUPS:
        if scope.startswith(prefix) and len(scope) > len(prefix):
            return label, scope[len(prefix) :]
    return CUSTOM_GROUP, scope


#: After a scope changed elsewhere since the operator last looked at it.
CHANGED_MARK = " ●"


#: Columns a scope's label loses to the guides of its level and the counts after it.
GUIDES = 7


def middle_cut(name: str, room: int) -> str:
    """`name` in at most `room` characters, cut in the middle: long names that differ at the
    end (…-eu-west-1, …-eu-west-2) or at the start stay told apart."""
    if room <= 0 or len(name) <= room:
        return name
    if room < 5:
        return name[: room - 1] + "…"
    tail = (room - 1) * 3 // 5
    return name[: room - 1 - tail] + "…" + name[len(name) - tail :]


def scope_label(name: str, info: ScopeInfo, changed: bool = False, room: int = 0) -> Text:
    """The label of a scope node; a name longer than `room` (0: any length) is cut in the
    middle, leaving room for its counts and marks."""
    if room:
        counts = f"  {info.memory_count:,}·{info.store_count:,}" if not info.unreadable else ""
        extra = len(counts) + (2 if info.published else 0) + (2 if changed else 0)
        extra += 2 + len(" unreadable") if info.unreadable else 0
        name = middle_cut(name, max(8, room - extra))
    label = safe_rich(name, style="bold red" if info.unreadable else "")
    mark = (CHANGED_MARK, "bold yellow") if changed else ("", "")
    if info.unreadable:
        label = Text.assemble(("⚠ ", "bold red"), label, (" unreadable", "red"), mark)
        return label
    counts = Text.assemble(
        ("  ", ""),
        (f"{info.memory_count:,}", "cyan" if info.memory_count else "dim"),
        ("·", "dim"),
        (f"{info.store_count:,}", "green" if info.store_count else "dim"),
    )
    if info.published:
        counts.append(" ◉", "magenta")
    return Text.assemble(label, counts, mark)


NodeData = ScopeRef | str | None


class ScopeTree(Tree[NodeData]):
    """Updated in place by `show`, so expansion and the cursor survive every refresh."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("stores", id=id)
        self.show_root = False
        self.guide_depth = 3
        self._scope_nodes: dict[ScopeRef, TreeNode[NodeData]] = {}
        self._group_nodes: dict[tuple[str, str], TreeNode[NodeData]] = {}
        self._base_nodes: dict[str, TreeNode[NodeData]] = {}
        self._infos: dict[ScopeRef, ScopeInfo] = {}
        #: Every scope and base label last given to `show`, before the name filter.
        self._all: list[ScopeInfo] = []
        self._labels: dict[str, str] = {}
        #: Only scopes whose name contains this (ignoring case) are shown.
        self.name_filter = ""
        #: Scopes changed elsewhere since the operator last looked at them.
        self.marked: set[ScopeRef] = set()

    def _base_node(self, base: str, label: str) -> TreeNode[NodeData]:
        node = self._base_nodes.get(base)
        if node is None:
            node = self.root.add(safe_rich(label, style="bold"), data=base, expand=True)
            self._base_nodes[base] = node
        return node

    def _parent_for(
        self, base_node: TreeNode[NodeData], base: str, group: str | None
    ) -> TreeNode[NodeData]:
        if group is None:
            return base_node
        node = self._group_nodes.get((base, group))
        if node is None:
            node = base_node.add(Text(group, style="bold"), data=group, expand=True)
            self._group_nodes[(base, group)] = node
        return node

    def show(self, infos: list[ScopeInfo], base_labels: dict[str, str]) -> None:
        """Add, relabel and remove nodes to match `infos`; nothing is rebuilt."""
        self._all, self._labels = infos, base_labels
        self.marked &= {info.ref for info in infos}
        needle = self.name_filter.lower()
        wanted = {info.ref: info for info in infos if needle in info.ref.scope.lower()}
        self._infos = wanted
        for ref in [r for r in self._scope_nodes if r not in wanted]:
            self._scope_nodes.pop(ref).remove()
        order = sorted(wanted.values(), key=lambda i: _sort_key(i.ref.scope))
        for info in order:
            ref = info.ref
            group, name = group_of(ref.scope)
            label = scope_label(name, info, ref in self.marked, self.name_room)
            node = self._scope_nodes.get(ref)
            if node is None:
                base_node = self._base_node(ref.base, base_labels.get(ref.base, ref.base))
                parent = self._parent_for(base_node, ref.base, group)
                before = next(
                    (
                        child
                        for child in parent.children
                        if isinstance(child.data, ScopeRef)
                        and _sort_key(child.data.scope) > _sort_key(ref.scope)
                    ),
                    None,
                )
                self._scope_nodes[ref] = parent.add_leaf(label, data=ref, before=before)
            else:
                node.set_label(label)
        for key, node in list(self._group_nodes.items()):
            if not node.children:
                node.remove()
                del self._group_nodes[key]

    def filter_names(self, query: str) -> int:
        """Show only scopes whose name contains `query`; returns how many are shown."""
        if query != self.name_filter:
            # Rebuilt in order: nodes added back one by one would land after the others.
            self.name_filter = query
            self.clear()
            self._scope_nodes.clear()
            self._group_nodes.clear()
            self._base_nodes.clear()
            self.show(self._all, self._labels)
        return len(self._infos)

    def mark(self, refs: set[ScopeRef], on: bool = True) -> None:
        """Mark scopes as changed elsewhere (`on`), or clear their mark."""
        for ref in refs:
            if on == (ref in self.marked):
                continue
            if on:
                self.marked.add(ref)
            else:
                self.marked.discard(ref)
            node, info = self._scope_nodes.get(ref), self._infos.get(ref)
            if node is not None and info is not None:
                node.set_label(scope_label(group_of(ref.scope)[1], info, on, self.name_room))

    @property
    def name_room(self) -> int:
        """Characters a scope's label may take at the tree's width now (0: not known yet)."""
        width = self.scrollable_content_region.width
        return max(0, width - GUIDES) if width else 0

    def on_resize(self) -> None:
        """Long names are cut to the width: cut them again for the new one."""
        for ref, node in self._scope_nodes.items():
            info = self._infos.get(ref)
            if info is not None:
                name = group_of(ref.scope)[1]
                node.set_label(scope_label(name, info, ref in self.marked, self.name_room))

    def select_ref(self, ref: ScopeRef) -> bool:
        node = self._scope_nodes.get(ref)
        if node is None:
            return False
        self.move_cursor(node)
        return True

    @property
    def cursor_ref(self) -> ScopeRef | None:
        node = self.cursor_node
        return node.data if node is not None and isinstance(node.data, ScopeRef) else None

    def node_for(self, ref: ScopeRef) -> TreeNode[NodeData] | None:
        return self._scope_nodes.get(ref)


def _sort_key(scope: str) -> tuple[int, str]:
    group, name = group_of(scope)
    rank = {None: 0, "flows": 1, "daemons": 2}.get(group, 3)
    return rank, name.casefold()
