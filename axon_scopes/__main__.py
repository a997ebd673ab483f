"""`python -m axon_scopes`: the same command as `axon-scopes`."""

from axon_scopes.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
