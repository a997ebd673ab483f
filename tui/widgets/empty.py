"""What the main view says when a source holds nothing: where it looked, how to look elsewhere."""

from __future__ import annotations

from textual.content import Content

from axon_scopes.core import ScopeSource

from ..display import safe

FILE_HINTS = (
    "\n\nPoint axon-scopes elsewhere:\n"
    "  axon-scopes path/to/axon-server   (the server's base path)\n"
    "  axon-scopes path/to/directory     (every store in it)\n\n"
    "or press a to add the first entry here."
)


def empty_message(source: ScopeSource, offline: str = "", token_wanted: bool = False) -> Content:
    """For files, the pattern and the directory; for other sources, their own account.

    A source that could not be read (`offline` says why) is not said to be empty.
    """
    if offline:
        return Content.assemble(
            Content.styled("The scopes could not be listed.\n\n", "bold"),
            "Asked  ",
            safe(source.location, style="$text-accent"),
            "\n\n",
            safe(offline, keep_layout=True),
            "\n\nPress ctrl+r to enter a token."
            if token_wanted
            else "\n\nRetrying: the scopes show as soon as they can be read.",
        )
    if source.kind == "files":
        return Content.assemble(
            Content.styled("No Axon session files found.\n\n", "bold"),
            "Looked for  ",
            safe(source.location, style="$text-accent"),
            "\nin          ",
            safe(source.where),
            FILE_HINTS,
        )
    return Content.assemble(
        Content.styled("No scopes found.\n\n", "bold"),
        "Looked in  ",
        safe(source.location, style="$text-accent"),
        "\n\n",
        safe(source.describe_empty(), keep_layout=True),
        "\n\nPress a to add the first entry here.",
    )
