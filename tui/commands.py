"""Every action, once: the command palette entries and the help screen come from here."""

from __future__ import annotations

#: (title, help, action) for the command palette.
COMMANDS: list[tuple[str, str, str]] = [
    ("Filter entries", "Show entries whose key or value contains text (/)", "filter"),
    ("Sort: next column", "Cycle key, time, layer, source_step; again to reverse (s)", "sort"),
    ("Sort by key", "Sort by key; again to reverse", "sort('key')"),
    ("Sort by time", "Sort by timestamp; again to reverse", "sort('time')"),
    ("Sort by layer", "Sort memory before store; again to reverse", "sort('layer')"),
    ("Sort by source step", "Sort by source_step; again to reverse", "sort('source_step')"),
    ("Edit entry", "Edit the selected entry's value (enter / e)", "edit"),
    ("Add entry", "Add an entry to the memory or store layer (a)", "add"),
    ("Purge entry", "Delete the selected entry, after a confirmation (d)", "purge"),
    ("Bulk purge", "Delete every entry matching a query, after a preview (D)", "bulk_purge"),
    ("Copy value", "Copy the selected value to the clipboard (c)", "copy"),
    ("Export scope", "Write the scope as JSON or CSV (x)", "export"),
    ("Undo", "Undo the last edit, add or purge made here (u)", "undo"),
    ("Reload", "Re-read the store files now (ctrl+r)", "reload"),
    ("Pause live updates", "Hold changes from other processes; again to apply (p)", "pause"),
    ("Follow mode", "Keep the cursor on the most recently written entry (f)", "follow"),
    ("Scope file info", "The selected scope's file, and why it is unreadable (i)", "scope_info"),
    ("Help", "All keys (?)", "help"),
]

HELP_SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Move",
        [
            ("tab / shift+tab", "between the scope tree and the entry table"),
            ("↑ ↓ pgup pgdn home end", "move the cursor"),
            ("i", "the scope's file, and why it is unreadable"),
        ],
    ),
    (
        "View",
        [
            ("/", "filter by key or value (case-insensitive); escape clears"),
            ("s", "sort: key, time, layer, source_step; again to reverse"),
            ("ctrl+p", "command palette: every action by name"),
        ],
    ),
    (
        "Live",
        [
            ("p", "pause live updates (changes are counted); again to apply them"),
            ("f", "follow: keep the cursor on the most recently written entry"),
            ("ctrl+r", "reload from disk now"),
        ],
    ),
    (
        "Change",
        [
            ("enter / e", "edit the selected entry"),
            ("a", "add an entry (store or memory)"),
            ("d / delete", "purge the selected entry"),
            ("D", "bulk purge by query, after a preview"),
            ("u", "undo the last change made here"),
        ],
    ),
    (
        "Other",
        [
            ("c", "copy the value (OSC 52 clipboard)"),
            ("x", "export the scope as JSON or CSV"),
            ("?", "this help"),
            ("q", "quit"),
        ],
    ),
]
