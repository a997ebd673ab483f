"""Real Redis servers for the tests: started on free loopback ports, stopped at the end.

Never skipped: without `redis-server` the tests fail and say how to install it.
Fixtures: `redis_server` (one server for the session; `redis_url` empties its
database 0 for each test), `own_redis` (a server of the test's own, to stop,
restart or protect with a password), `redis_cluster` (three masters, one slot
range each, for the session).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

INSTALL = "apt-get install -y redis-server"


def require(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        pytest.fail(
            f"{program} is not installed; install it with `{INSTALL}` (as root), "
            "or run `make test`, which installs it",
            pytrace=False,
        )
    return found


def free_port() -> int:
    """A free loopback port whose cluster bus port (+10000) is free too."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port >= 55_000:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10_000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair found")


class PortTaken(RuntimeError):
    """redis-server could not bind the port `free_port` found."""


class RedisServer:
    """One `redis-server` process on 127.0.0.1; `stop` and `start` keep its port."""

    def __init__(
        self,
        *,
        password: str | None = None,
        cluster: bool = False,
        durable: bool = False,
        tls: bool = False,
    ) -> None:
        self.port = free_port()
        #: Serve TLS only, with a self-signed certificate for 127.0.0.1 (`certificate`).
        self.tls = tls
        #: Keep the data across `stop` and `start` (an append-only file, synced each write).
        self.durable = durable
        self.password = password
        self.cluster = cluster
        self.directory = Path(tempfile.mkdtemp(prefix=f"redis-{self.port}-"))
        self.process: subprocess.Popen[bytes] | None = None
        #: Once up, the port is the server's for good (`stop` and `start` keep it).
        self.started_once = False

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        if self.tls:
            return f"rediss://{auth}127.0.0.1:{self.port}/0?ssl_ca_certs={self.certificate}"
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def certificate(self) -> Path:
        return self.directory / "server.crt"

    def _make_certificate(self) -> list[str]:
        key = self.directory / "server.key"
        if not self.certificate.exists():
            subprocess.run(
                [require("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                 "-keyout", str(key), "-out", str(self.certificate), "-days", "1",
                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
            )  # fmt: skip
        return [
            "--port", "0", "--tls-port", str(self.port),
            "--tls-cert-file", str(self.certificate), "--tls-key-file", str(key),
            "--tls-ca-cert-file", str(self.certificate), "--tls-auth-clients", "no",
        ]  # fmt: skip

    @property
    def socket_path(self) -> Path:
        return self.directory / "redis.sock"

    def start(self) -> RedisServer:
        """Start on our port; a first start whose port was taken meanwhile takes another.

        `free_port` cannot hold the port it found: another process (a parallel test
        worker's server, anything else on the machine) may bind it before we do.
        """
        for _ in range(5):
            try:
                return self._start()
            except PortTaken:
                if self.started_once:  # A restart keeps its port: the test relies on it.
                    raise
                self.port = free_port()
        return self._start()

    def _start(self) -> RedisServer:
        args = [
            require("redis-server"),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.durable else "no",
            "--appendfsync", "always",
            "--protected-mode", "no",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.directory / "redis.log"),
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
        ]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        if self.tls:
            args += self._make_certificate()
        if self.cluster:
            args += [
                "--cluster-enabled", "yes",
                "--cluster-config-file", str(self.directory / "nodes.conf"),
                "--cluster-node-timeout", "2000",
            ]  # fmt: skip
        logfile = self.directory / "redis.log"
        logged = logfile.stat().st_size if logfile.exists() else 0
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                with logfile.open("rb") as log_file:  # What this start wrote.
                    log_file.seek(logged)
                    log = log_file.read()[-2000:].decode(errors="replace")
                self.process = None
                if "Address already in use" in err + log:
                    raise PortTaken(f"port {self.port} was taken: {err} {log}")
                raise RuntimeError(f"redis-server exited: {err} {log}")
            try:
                # Through our own socket file: a server answering on the port may be another
                # one. Redis binds its TCP port before the socket file, so the port is ours.
                local = redis.Redis(unix_socket_path=str(self.socket_path), password=self.password)
                with local:
                    local.ping()
                self.started_once = True
                return self
            except redis.RedisError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def client(self, db: int = 0) -> redis.Redis:
        tls = {"ssl": True, "ssl_ca_certs": str(self.certificate)} if self.tls else {}
        return redis.Redis(
            host="127.0.0.1",
            port=self.port,
            db=db,
            password=self.password,
            socket_timeout=5,
            **tls,  # type: ignore[arg-type]
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class RedisCluster:
    """Three masters on loopback, slots split by `redis-cli --cluster create`."""

    def __init__(self) -> None:
        self.nodes = [RedisServer(cluster=True) for _ in range(3)]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.nodes[0].port}/0"

    def start(self) -> RedisCluster:
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run(
            [require("redis-cli"), "--cluster", "create", *addresses,
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = [node.client().cluster("INFO") for node in self.nodes]
            if all(state.get("cluster_state") == "ok" for state in states):
                return self
            time.sleep(0.1)
        raise RuntimeError("the cluster did not reach cluster_state:ok")

    def close(self) -> None:
        for node in self.nodes:
            node.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's server with an empty database 0 (its data removed before the test)."""
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    redis_server.client().flushall()
    return redis_server.url


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A server of the test's own, started; the test may stop and start it (data kept)."""
    server = RedisServer(durable=True)
    try:
        yield server.start()
    finally:
        server.close()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    cluster = RedisCluster()
    try:
        yield cluster.start()
    finally:
        cluster.close()


def unique_base() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


__all__ = ["INSTALL", "RedisCluster", "RedisServer", "free_port", "os", "unique_base"]
