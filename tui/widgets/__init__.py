"""Widgets of the axon-scopes app."""
