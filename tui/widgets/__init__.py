"""Reusable widgets of the axon-scopes app; each talks to the app only through messages."""
