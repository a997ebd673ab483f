"""Package layout: the `core/`, `tui/`, `cli/`, `server/` and `web/` folders install as
`axon_scopes.core`, `axon_scopes.tui`, `axon_scopes.cli`, `axon_scopes.server` and
`axon_scopes.web`. Their subpackages are found here, so a new one cannot be left out."""

from setuptools import find_packages, setup

ROOTS = {
    "axon_scopes": "axon_scopes",
    "axon_scopes.core": "core",
    "axon_scopes.tui": "tui",
    "axon_scopes.cli": "cli",
    "axon_scopes.server": "server",
    "axon_scopes.web": "web",
}

packages = ["axon_scopes"]
for name, folder in ROOTS.items():
    if name != "axon_scopes":
        packages += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=ROOTS)
