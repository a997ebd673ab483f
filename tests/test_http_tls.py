"""An AxonServer over https: a certificate from a private CA is trusted only when the
operator says so (SSL_CERT_FILE), and a refused certificate reads as what it is."""

from __future__ import annotations

import os
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from axon_scopes.core import SourceOptions, open_source
from axon_scopes.core.errors import SourceUnavailableError
from tests.axon_replay import AxonReplay

from .test_cli_support import AXON, one_line_error


@pytest.fixture
def private_ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    """A CA no system trusts, and its certificate written where SSL_CERT_FILE can name it."""
    ca = trustme.CA()
    pem = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return ca, pem


def tls_for(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


@pytest.fixture
def https_axon(private_ca: tuple[trustme.CA, Path]) -> Iterator[AxonReplay]:
    server = AxonReplay(tls=tls_for(private_ca[0], "127.0.0.1"))
    server.put("global", "store", "motd", "over tls", "boot")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def axon_scopes(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AXON, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=30
    )


def test_a_private_ca_is_refused_until_ssl_cert_file_names_it(
    https_axon: AxonReplay, private_ca: tuple[trustme.CA, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert https_axon.url.startswith("https://")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    source = open_source(https_axon.url, SourceOptions())
    try:
        with pytest.raises(SourceUnavailableError) as refused:
            source.discover()
        said = str(refused.value)
        assert "certificate is not trusted" in said and "SSL_CERT_FILE" in said
        assert "is the server running" not in said
    finally:
        source.close()
    monkeypatch.setenv("SSL_CERT_FILE", str(private_ca[1]))
    source = open_source(https_axon.url, SourceOptions())
    try:
        source.discover()
        (service,) = source.services().values()
        assert [e.value for e in service.entries("global")] == ["over tls"]
        service.put("global", "motd", "written over tls", "op")
        assert https_axon.scopes["global"].store["motd"]["value"] == "written over tls"
    finally:
        source.close()


def test_the_command_line_says_why_a_certificate_is_refused(
    https_axon: AxonReplay, private_ca: tuple[trustme.CA, Path]
) -> None:
    untrusted = axon_scopes("get", https_axon.url, "global", "motd", env={"SSL_CERT_FILE": ""})
    assert untrusted.returncode != 0
    assert "certificate is not trusted" in one_line_error(untrusted)
    trusted = axon_scopes(
        "get", https_axon.url, "global", "motd", env={"SSL_CERT_FILE": str(private_ca[1])}
    )
    assert (trusted.returncode, trusted.stdout, trusted.stderr) == (0, "over tls", "")


def test_a_certificate_for_another_host_is_refused_even_from_a_trusted_ca(
    private_ca: tuple[trustme.CA, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = AxonReplay(tls=tls_for(private_ca[0], "elsewhere.example"))
    server.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(private_ca[1]))
    source = open_source(server.url, SourceOptions())
    try:
        with pytest.raises(SourceUnavailableError, match="certificate is not trusted"):
            source.discover()
        assert server.requests == []  # Nothing, the token included, was sent.
    finally:
        source.close()
        server.stop()


def test_plain_http_to_an_https_server_is_a_clear_message(https_axon: AxonReplay) -> None:
    source = open_source(https_axon.url.replace("https://", "http://"), SourceOptions())
    try:
        with pytest.raises(SourceUnavailableError) as refused:
            source.discover()
        assert "Traceback" not in str(refused.value)
        assert "is the server running" not in str(refused.value)
    finally:
        source.close()
