"""The PostgreSQL test harness itself: a real server starts, and each test gets its own database."""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import tempfile

import psycopg
import pytest

from tests.pg_server import ENV_BIN, INSTALL_HINT, PgBinariesNotFound, PgTestServer, find_pg_bin


def test_server_runs_on_loopback_in_its_own_directory(pg_server: PgTestServer) -> None:
    assert pg_server.url.startswith("postgresql://socialwatch_test@127.0.0.1:")
    assert pg_server.base is not None and pg_server.data_dir.is_dir()
    assert pg_server.proc is not None and pg_server.proc.poll() is None
    with psycopg.connect(pg_server.url) as conn:
        row = conn.execute("SHOW server_encoding").fetchone()
        assert row == ("UTF8",)
        assert conn.execute("SHOW fsync").fetchone() == ("off",)
        assert conn.execute("SHOW max_connections").fetchone() == ("100",)


def test_query_in_per_test_database(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE mention (id text PRIMARY KEY, body text NOT NULL)")
        conn.execute("INSERT INTO mention VALUES (%s, %s)", ("m1", "héllo ✓"))
        assert conn.execute("SELECT body FROM mention WHERE id = %s", ("m1",)).fetchone() == ("héllo ✓",)
        # A fresh database from template0 holds no tables but the one this test made.
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        assert tables == [("mention",)]


def test_per_test_databases_are_distinct_and_isolated(pg_server: PgTestServer) -> None:
    first = pg_server.create_database("sw_iso_first")
    second = pg_server.create_database("sw_iso_second")
    try:
        assert first != second
        with psycopg.connect(first) as conn:
            conn.execute("CREATE TABLE t (x int)")
            conn.execute("INSERT INTO t VALUES (1)")
        with psycopg.connect(second) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("sw_iso_second",)
            with pytest.raises(psycopg.errors.UndefinedTable):
                conn.execute("SELECT x FROM t")
    finally:
        pg_server.drop_database("sw_iso_first")
        pg_server.drop_database("sw_iso_second")
    with psycopg.connect(pg_server.url) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
    assert not names & {"sw_iso_first", "sw_iso_second"}


def test_pg_url_fixture_database_is_dropped_afterwards(pg_server: PgTestServer, request) -> None:
    url = request.getfixturevalue("pg_url")
    name = url.rsplit("/", 1)[1]
    assert name.startswith("sw_test_")
    with psycopg.connect(pg_server.url) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() == (1,)


def test_network_guard_still_blocks_non_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(RuntimeError, match="network"):
        sock.connect(("192.0.2.1", 5432))  # TEST-NET-1: never actually contacted
    with pytest.raises(RuntimeError, match="network"):
        socket.create_connection(("example.invalid", 80))


def test_missing_binaries_give_a_clear_error(tmp_path, monkeypatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv(ENV_BIN, str(empty))
    with pytest.raises(PgBinariesNotFound) as info:
        find_pg_bin()
    message = str(info.value)
    assert str(empty) in message and ENV_BIN in message
    assert INSTALL_HINT in message
    assert "initdb" in message and "postgres" in message
    # PgTestServer.start() raises the same error (a RuntimeError), leaving nothing behind.
    server = PgTestServer()
    with pytest.raises(RuntimeError, match="not found"):
        server.start()
    assert server.base is None and server.proc is None


def test_search_without_env_var_lists_where_it_looked(tmp_path, monkeypatch) -> None:
    """With nothing on PATH and no other location usable, the error lists every place looked at."""
    monkeypatch.delenv(ENV_BIN, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("tests.pg_server._pgserver_bin", lambda: None)
    monkeypatch.setattr("tests.pg_server.DEBIAN_ROOT", tmp_path / "no-postgresql")
    with pytest.raises(PgBinariesNotFound) as info:
        find_pg_bin()
    message = str(info.value)
    for place in ("pg_config", "no-postgresql/*/bin", "$PATH", "pgserver"):
        assert place in message
    assert INSTALL_HINT in message


def test_found_binaries_are_a_real_bin_dir() -> None:
    directory = find_pg_bin()
    assert os.access(directory / "initdb", os.X_OK) and os.access(directory / "postgres", os.X_OK)


def _fake_bin(initdb: str, postgres: str) -> pathlib.Path:
    """A bin dir of shell-script stand-ins, reachable by the unprivileged server user (so not in tmp_path)."""
    directory = pathlib.Path(tempfile.mkdtemp(prefix="socialwatch-fakepg-"))
    directory.chmod(0o755)
    for name, body in (("initdb", initdb), ("postgres", postgres)):
        script = directory / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
    return directory


def test_initdb_failure_reports_its_stderr() -> None:
    fake = _fake_bin("echo 'initdb: error: something broke' >&2; exit 1", "exit 1")
    try:
        server = PgTestServer(bin_dir=fake)
        with pytest.raises(RuntimeError, match=r"(?s)initdb .* failed with exit code 1.*something broke"):
            server.start()
        assert server.base is None
    finally:
        shutil.rmtree(fake)


def test_server_exit_on_start_reports_the_log_tail() -> None:
    fake = _fake_bin('mkdir -p "$2"', "echo 'FATAL:  no way' >&2; exit 3")
    try:
        server = PgTestServer(bin_dir=fake)
        with pytest.raises(
            RuntimeError, match=r"(?s)postgres .* exited with code 3 on start; log tail:\nFATAL:  no way"
        ):
            server.start()
        assert server.base is None
    finally:
        shutil.rmtree(fake)
