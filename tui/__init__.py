"""axon-scopes terminal app (Textual) over `core`."""
