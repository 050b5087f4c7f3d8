"""Imports that meet each other or fail half-way: concurrent imports of the same mentions into
PostgreSQL both succeed, a transaction that crosses another is run again, and an import that
stops after storing part of its file says exactly what is stored (never "nothing was changed")."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from socialwatch.errors import Contention
from tests.conftest import use_backend
from tests.test_cli import sw, write_jsonl

# The real entry point, with transactions of a given size (a real import's SERVER_CHUNK is 2,000), so
# that a file of a few thousand mentions is one transaction, which meets the other import's in the
# middle of the file, or several, committed by both writer threads. (Without rows in id order
# about one round in three deadlocked.)
IMPORT = ("import sys; from socialwatch import importer; importer.SERVER_CHUNK = int(sys.argv.pop(1)); "
          "from socialwatch.cli import main; main(sys.argv[1:])")


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    code, _, err = sw("init")
    assert code == 0, err
    use_backend(isolated_home, backend)
    return isolated_home


def records(n: int, prefix: str = "x") -> list[dict]:
    return [{"id": f"file:{prefix}{i:05d}", "text": f"my bill number {i} is wrong, please fix it",
             "author": {"handle": f"c{i % 300}"}} for i in range(n)]


def stored_ids(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM mentions")]


def test_two_imports_of_the_same_mentions_in_opposite_orders_both_succeed(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path, pg_server, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = records(3000)
    forward = write_jsonl(tmp_path / "forward.jsonl", recs)
    backward = write_jsonl(tmp_path / "backward.jsonl", recs[::-1])
    assert sw("init")[0] == 0
    for round_ in range(12):
        name = f"sw_import_race_{os.getpid()}_{round_}"
        url = pg_server.create_database(name)
        try:
            monkeypatch.setenv("SOCIALWATCH_TEST_DB", url)
            if round_ == 0:
                use_backend(isolated_home, "postgres")
            else:
                from socialwatch.store.postgres import upgrade

                upgrade(url)
            chunk = ("3000", "1500", "1000")[round_ % 3]  # one transaction each, or several
            procs = [subprocess.Popen([sys.executable, "-c", IMPORT, chunk, "import", str(path), "--json"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)
                     for path in (forward, backward)]
            outcomes = [p.communicate(timeout=300) for p in procs]
            for p, (_, err) in zip(procs, outcomes, strict=True):
                assert p.returncode == 0, f"round {round_}: {err}"
            reports = [json.loads(out) for out, _ in outcomes]
            assert sum(r["new"] for r in reports) == 3000, reports  # each mention stored by exactly one of them
            assert all(r["new"] + r["duplicates"] == 3000 for r in reports)
            ids = stored_ids(url)
            assert len(ids) == 3000 and set(ids) == {r["id"] for r in recs}
        finally:
            pg_server.drop_database(name)


def test_a_transaction_that_crosses_another_is_run_again(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                         pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # (only a database server's transactions cross: the files' sessions take turns under one lock)
    from socialwatch import importer

    monkeypatch.setenv("SOCIALWATCH_TEST_DB", pg_url)
    assert sw("init")[0] == 0
    use_backend(isolated_home, "postgres")
    from socialwatch.store.postgres import PgSession

    monkeypatch.setattr(importer, "SERVER_CHUNK", 500)
    real = PgSession.add_rows
    calls: list[str] = []

    def crossing(self, rows):  # every chunk's first two attempts meet a deadlock, as if another import crossed it
        calls.append(rows[0][0])
        if calls.count(rows[0][0]) < 3:
            raise Contention("deadlock detected")
        return real(self, rows)

    monkeypatch.setattr(PgSession, "add_rows", crossing)
    code, out, err = sw("import", str(write_jsonl(tmp_path / "r.jsonl", records(2000))), "--json")
    assert code == 0, err
    assert json.loads(out)["new"] == 2000 and len(calls) == 12
    assert len(stored_ids(os.environ["SOCIALWATCH_TEST_DB"])) == 2000


def test_an_import_that_stops_half_way_says_what_is_stored(home: pathlib.Path, tmp_path: pathlib.Path, backend: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from socialwatch import importer

    monkeypatch.setattr(importer, "SERVER_CHUNK", 1000)
    monkeypatch.setattr(importer, "CHUNK", 1000)
    monkeypatch.setattr(importer, "RETRIES", 2)
    if backend == "postgres":
        from socialwatch.store.postgres import PgSession as Session
    else:
        from socialwatch.store import Session
    real = Session.add_rows
    calls: list[int] = []

    def failing(self, rows):  # the first two chunks are stored; then the database keeps deadlocking
        calls.append(len(rows))
        if len(calls) > 2:
            raise Contention("another agent changed the same mentions at the same moment; nothing was changed: "
                             "run the command again")
        return real(self, rows)

    monkeypatch.setattr(Session, "add_rows", failing)
    path = write_jsonl(tmp_path / "big.jsonl", records(6000))
    code, out, err = sw("import", str(path))
    assert code == 1 and out == ""
    assert "nothing was changed" not in err and "Traceback" not in err
    found = re.search(r"(\d+) of the (\d+) mentions read so far are stored \((\d+) new, 0 already there\)", err)
    assert found, err
    assert found.group(1) == found.group(3) == "2000" and 2000 < int(found.group(2)) <= 6000
    assert "run the same import again to complete it" in err
    monkeypatch.setattr(Session, "add_rows", real)
    code, out, err = sw("import", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["new"] == 4000 and report["duplicates"] == 2000


def test_an_import_that_fails_before_storing_anything_keeps_its_own_error(home: pathlib.Path, tmp_path: pathlib.Path,
                                                                         backend: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from socialwatch import importer
    from socialwatch.errors import StoreError

    monkeypatch.setattr(importer, "RETRIES", 1)
    if backend == "postgres":
        from socialwatch.store.postgres import PgSession as Session
    else:
        from socialwatch.store import Session

    def failing(self, rows):
        raise StoreError("the disk is full")

    monkeypatch.setattr(Session, "add_rows", failing)
    code, _, err = sw("import", str(write_jsonl(tmp_path / "r.jsonl", records(50))))
    assert code == 1 and err.strip() == "Error: the disk is full"
