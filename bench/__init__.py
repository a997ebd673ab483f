"""Benchmarks for axon-scopes; run `make bench` (or `python -m bench --help`)."""
