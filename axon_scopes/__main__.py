"""`python -m axon_scopes`: the same command as `axon-scopes`."""

from axon_scopes.cli import run

if __name__ == "__main__":
    raise SystemExit(run())
