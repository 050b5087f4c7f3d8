"""Shared test set-up: every test gets its own SOCIALWATCH_HOME; no test touches the network."""

from __future__ import annotations

import ipaddress
import os
import pathlib
import socket
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.pg_server import PgTestServer

ROOT = pathlib.Path(__file__).resolve().parent.parent


FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def fixtures_dir() -> pathlib.Path:
    """The recordings and data the tests replay, kept in the repository (see tests/fixtures/SOURCES.md)."""
    return FIXTURES


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch) -> pathlib.Path:
    """Each test's own SOCIALWATCH_HOME (config and data), and no user dirs touched."""
    home = tmp_path / "swhome"
    home.mkdir()
    monkeypatch.setenv("SOCIALWATCH_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("SOCIALWATCH_AGENT", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the socialwatch logger back as it was after each test: a command run in-process that
    configures logging (`poll` with alerts, `run`) stops it propagating, and a later test's
    `caplog` would see nothing."""
    import logging

    logger = logging.getLogger("socialwatch")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    yield
    logger.handlers[:] = saved[0]
    logger.propagate, logger.level = saved[1], saved[2]


def is_local_address(address: object) -> bool:
    """Whether a socket address stays on this machine: a unix socket path, or a loopback host."""
    if isinstance(address, (str, bytes)):  # AF_UNIX path (or abstract name)
        return True
    if isinstance(address, tuple) and address:
        host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
        except ValueError:
            return False
    return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a real network connection fails the test loudly.

    Loopback and unix sockets stay allowed: they reach only servers the tests start themselves
    (the throwaway PostgreSQL server).
    """
    real_connect = socket.socket.connect
    real_create_connection = socket.create_connection

    def guard_connect(self, address, *args, **kwargs):
        if self.family == socket.AF_UNIX or is_local_address(address):
            return real_connect(self, address, *args, **kwargs)
        raise RuntimeError("tests must not use the network")

    def guard_create_connection(address, *args, **kwargs):
        if is_local_address(address):
            return real_create_connection(address, *args, **kwargs)
        raise RuntimeError("tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", guard_connect)
    monkeypatch.setattr(socket, "create_connection", guard_create_connection)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgTestServer]:
    """A real throwaway PostgreSQL server for the whole session (one per xdist worker).

    If it cannot be started the tests that use it fail with the reason: never skipped.
    """
    from tests.pg_server import PgTestServer  # here, so a missing psycopg fails only the PostgreSQL tests

    server = PgTestServer()
    try:
        server.start()
    except Exception as exc:
        pytest.fail(f"could not start the PostgreSQL test server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgTestServer) -> Iterator[str]:
    """The libpq URL of a fresh, empty database of this test's own, dropped afterwards."""
    name = f"sw_test_{uuid.uuid4().hex[:16]}"
    url = pg_server.create_database(name)
    try:
        yield url
    finally:
        pg_server.drop_database(name)


# ---- the store backends -------------------------------------------------------------------------
BACKENDS = ("tinydb", "postgres")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once per store backend; for PostgreSQL, a fresh database of its own
    (its URL in $SOCIALWATCH_TEST_DB, as a config would read $DATABASE_URL)."""
    if request.param == "postgres":
        monkeypatch.setenv("SOCIALWATCH_TEST_DB", request.getfixturevalue("pg_url"))
    return request.param


def use_backend(home: pathlib.Path, backend: str) -> None:
    """Point the config that `socialwatch init` wrote in `home` at `backend` (and create the schema)."""
    if backend == "tinydb":
        return
    config = home / "socialwatch.toml"
    text = config.read_text(encoding="utf-8")
    assert 'backend = "tinydb"' in text
    config.write_text(text.replace('backend = "tinydb"', 'backend = "postgres"\nurl = "$SOCIALWATCH_TEST_DB"', 1),
                      encoding="utf-8")
    from socialwatch.store.postgres import upgrade

    upgrade(os.environ["SOCIALWATCH_TEST_DB"])
