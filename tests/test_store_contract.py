"""The store interface, run against both backends (TinyDB files and a real PostgreSQL server):
every operation the commands use must behave the same on each."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import subprocess
import sys

import pytest

from socialwatch import model, queue
from socialwatch.errors import NotFound, StoreError
from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl


def mention(i: int | str, status: str = "new", handle: str | None = None, text: str = "hello", **extra: object) -> dict:
    return {"id": f"t:{i}", "source": "demo", "kind": "mention", "text": text, "status": status,
            "author": {"handle": handle or f"user{i}"}, "created_at": f"2026-11-20T10:{int(str(i)[-2:] or 0) % 60:02d}:00Z",
            "score": {"priority": 10, "angry": False, "viral": False}, "priority": 10, **extra}


@pytest.fixture
def store(backend: str, tmp_path: pathlib.Path):
    if backend == "postgres":
        from socialwatch.store.postgres import PgStore, upgrade

        upgrade(os.environ["SOCIALWATCH_TEST_DB"])
        s = PgStore(os.environ["SOCIALWATCH_TEST_DB"])
    else:
        from socialwatch.store import TinyStore

        s = TinyStore(tmp_path / "data")
    yield s
    s.close()


def test_add_deduplicates_on_id_and_reports_new_and_duplicates(store) -> None:
    with store.session() as s:
        r = s.add([mention(1), mention(2), mention(1)])
    assert r.new == ["t:1", "t:2"] and r.duplicates == ["t:1"]
    with store.session() as s:
        r = s.add([mention(2), mention(3)])
    assert r.new == ["t:3"] and r.duplicates == ["t:2"]
    assert store.count() == {"open": 3, "archived": 0}
    assert sorted(m["id"] for m in store.open_mentions()) == ["t:1", "t:2", "t:3"]


def test_closing_moves_to_history_and_reopening_brings_it_back(store) -> None:
    with store.session() as s:
        s.add([mention(1), mention(2, status="resolved")])
    assert store.count() == {"open": 1, "archived": 1}
    with store.session() as s:
        m = s.require("t:1")
        m["status"] = "resolved"
        s.put(m)
    assert store.count() == {"open": 0, "archived": 2} and store.get("t:1")["status"] == "resolved"
    with store.session() as s:
        m = s.require("t:1")
        m["status"] = "open"
        s.put(m)
    assert store.count() == {"open": 1, "archived": 1}
    assert [m["id"] for m in store.open_mentions()] == ["t:1"]
    assert sorted(m["id"] for m in store.iter_all()) == ["t:1", "t:2"]


def test_unknown_ids_are_not_found(store) -> None:
    with pytest.raises(NotFound):
        store.get("t:nope")
    with store.session() as s:
        assert s.get("t:nope") is None
        with pytest.raises(NotFound):
            s.require("t:nope")


def test_a_failed_session_changes_nothing(store) -> None:
    with store.session() as s:
        s.add([mention(1)])
    with pytest.raises(RuntimeError):
        with store.session() as s:
            s.add([mention(2)])
            m = s.require("t:1")
            m["status"] = "resolved"
            s.put(m)
            s.state_put("sources", "demo", {"cursor": "x"})
            s.audit([{"id": "t:1", "at": "now", "action": "resolve"}])
            raise RuntimeError("boom")
    assert [m["id"] for m in store.open_mentions()] == ["t:1"]
    assert store.count() == {"open": 1, "archived": 0}
    assert store.source_states() == {} and list(store.audit_entries()) == []


def test_author_history_spans_open_work_and_history_newest_first(store) -> None:
    with store.session() as s:
        s.add([mention(1, handle="Ann"), mention(2, handle="ann", status="resolved"), mention(3, handle="bob"),
               mention(14, handle="ANN")])
    found = store.author_history("ann", exclude="t:1")
    assert [m["id"] for m in found] == ["t:14", "t:2"]
    assert store.author_history("nobody") == [] and store.author_history(None) == []


def test_state_documents(store) -> None:
    with store.session() as s:
        assert s.source_state("demo") == {"name": "demo"}
        s.set_source_state("demo", {"cursor": "c1"})
        s.state_put("hourly", "2026-11-20T10", {"hour": "2026-11-20T10", "total": 3, "negative": 1})
        s.state_put("hourly", "2026-11-21T10", {"hour": "2026-11-21T10", "total": 1, "negative": 0})
        s.state_put("alerts", "k1", {"key": "k1", "count": 1})
    with store.session() as s:
        assert s.source_state("demo")["cursor"] == "c1"
        assert s.state_get("alerts", "k1")["count"] == 1 and s.state_get("alerts", "k2") is None
        s.state_prune("hourly", "2026-11-21")
    assert store.source_states()["demo"]["cursor"] == "c1"
    assert list(store.state_all("hourly")) == ["2026-11-21T10"]


def test_outbox_records(store) -> None:
    rec = {"id": "r1", "mention_id": "t:1", "idempotency_key": "k" * 32, "state": "sending", "created_at": "2026-11-20T10:00:00Z",
           "text": "hi", "agent": "priya"}
    with store.session() as s:
        s.add([mention(1)])
        s.save_reply(rec)
    with store.session() as s:
        assert s.reply("r1")["state"] == "sending" and s.reply_by_key("k" * 32)["id"] == "r1"
        assert [r["id"] for r in s.replies_for("t:1")] == ["r1"] and s.replies_for("t:2") == []
        s.save_reply({**rec, "state": "sent"})
    assert [r["state"] for r in store.replies()] == ["sent"]
    assert store.replies(("failed",)) == [] and len(store.replies(("sent", "failed"))) == 1


def test_audit_entries_in_order_and_per_mention(store) -> None:
    with store.session() as s:
        s.audit([{"id": "t:1", "at": "1", "action": "a"}, {"id": "t:2", "at": "2", "action": "b"}])
    with store.session() as s:
        s.audit([{"id": "t:1", "at": "3", "action": "c"}])
    assert [e["action"] for e in store.audit_entries()] == ["a", "b", "c"]
    assert [e["action"] for e in store.audit_entries("t:1")] == ["a", "c"]


def test_queue_order_filters_and_claim_candidate(store) -> None:
    with store.session() as s:
        s.add([mention(1, priority=30), mention(2, priority=80, source="x"), mention(3, priority=80),
               mention(4, priority=90, assignee="tom"), mention(5, priority=99, status="resolved"),
               mention(6, priority=50, score={"priority": 50, "angry": True, "viral": False})])
    everything = queue.Filters()
    assert [m["id"] for m in store.select_open(everything)] == ["t:4", "t:2", "t:3", "t:6", "t:1"]
    assert [m["id"] for m in store.select_open(everything, limit=2)] == ["t:4", "t:2"]
    assert [m["id"] for m in store.select_open(queue.Filters(angry=True))] == ["t:6"]
    assert [m["id"] for m in store.select_open(queue.Filters(sources={"x"}))] == ["t:2"]
    assert [m["id"] for m in store.select_open(queue.Filters(min_priority=60, text="HELLO"))] == ["t:4", "t:2", "t:3"]
    with store.session() as s:
        assert s.next_unassigned(everything)["id"] == "t:2"
        assert s.next_unassigned(queue.Filters(angry=True))["id"] == "t:6"
        assert s.next_unassigned(queue.Filters(sources={"nope"})) is None


def test_text_the_database_cannot_hold_round_trips_exactly(store) -> None:
    nasty = "nul\x00byte, \u202eRTL, emoji \U0001f600, quote \" backslash \\u0000"
    with store.session() as s:
        s.add([mention(1, text=nasty, author={"handle": "a\x00b"})])
        s.audit([{"id": "t:1", "at": "1", "action": "note", "after": {"text": nasty}}])
        s.save_reply({"id": "r1", "mention_id": "t:1", "idempotency_key": "k", "state": "sent", "created_at": "", "text": nasty})
    assert store.get("t:1")["text"] == nasty and store.get("t:1")["author"]["handle"] == "a\x00b"
    assert next(iter(store.audit_entries()))["after"]["text"] == nasty
    assert store.replies()[0]["text"] == nasty


def test_big_adds_store_documents_that_queries_and_filters_read(store, backend: str) -> None:
    # Enough mentions at once for the database's bulk path (COPY): the documents must land as
    # documents (the angry filter reads inside them), whatever their text holds.
    angry = {"priority": 50, "angry": True, "viral": False}
    batch = [mention(i, text="nul\x00 and \u2028" if i == 7 else f"text {i}", score=angry if i % 50 == 0 else None)
             for i in range(300)]
    with store.session() as s:
        s.add([mention(5)])
    with store.session() as s:
        r = s.add(batch + [mention(10)])
    assert r.new == [f"t:{i}" for i in range(300) if i != 5] and r.duplicates == ["t:5", "t:10"]
    assert store.count() == {"open": 300, "archived": 0}
    assert store.get("t:7")["text"] == "nul\x00 and \u2028" and store.get("t:8")["text"] == "text 8"
    assert store.get("t:5")["score"] == {"priority": 10, "angry": False, "viral": False}  # the first one stays
    assert sorted(m["id"] for m in store.select_open(queue.Filters(angry=True))) == sorted(
        f"t:{i}" for i in range(0, 300, 50) if i != 5)
    if backend == "postgres":
        import psycopg

        with psycopg.connect(os.environ["SOCIALWATCH_TEST_DB"]) as conn:
            kinds = conn.execute("SELECT jsonb_typeof(doc), count(*) FROM mentions GROUP BY 1").fetchall()
        assert kinds == [("object", 300)]


@pytest.mark.parametrize("other_commits", [True, False])
def test_a_bulk_add_racing_another_session_for_an_id_stores_it_once(pg_url: str, other_commits: bool) -> None:
    # The other session stores t:42 and has not committed when the bulk add starts: the add does
    # not see it, waits on it, and then either meets the primary key (and falls back to INSERT …
    # ON CONFLICT for the whole batch) or, if the other rolls back, stores it itself.
    import threading
    import time

    import psycopg

    from socialwatch.store.postgres import COPY_MIN, PgStore, upgrade

    upgrade(pg_url)
    first, second = PgStore(pg_url), PgStore(pg_url)
    with second.session() as s:
        pid = s.conn.info.backend_pid
    results: dict = {}

    def bulk() -> None:
        with second.session(timeout=60) as s:
            results["add"] = s.add([mention(i, text="bulk") for i in range(COPY_MIN * 2)])

    class GiveUp(Exception):
        pass

    with contextlib.suppress(GiveUp), first.session() as s:
        s.add([mention(42, text="first")])
        worker = threading.Thread(target=bulk)
        worker.start()
        with psycopg.connect(pg_url, autocommit=True) as watcher:
            deadline = time.monotonic() + 60  # (a hang guard only)
            while watcher.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                                  (pid,)).fetchone()[0] != "Lock":
                assert time.monotonic() < deadline and worker.is_alive(), "the bulk add never waited on t:42"
                time.sleep(0.02)
        if not other_commits:
            raise GiveUp  # the session rolls back
    worker.join(timeout=120)
    added = results["add"]
    everything = {f"t:{i}" for i in range(COPY_MIN * 2)}
    if other_commits:
        assert added.duplicates == ["t:42"] and set(added.new) == everything - {"t:42"}
        assert first.get("t:42")["text"] == "first"
    else:
        assert added.duplicates == [] and set(added.new) == everything
        assert first.get("t:42")["text"] == "bulk"
    assert first.count() == {"open": COPY_MIN * 2, "archived": 0}
    first.close()
    second.close()


def test_source_lock_is_exclusive_across_processes(store, backend: str) -> None:
    lock = store.source_lock("demo")
    lock.acquire(timeout=0)
    try:
        code = ("import os, sys\n"
                "from socialwatch.errors import Busy\n"
                + ("from socialwatch.store.postgres import PgStore\nst = PgStore(os.environ['SOCIALWATCH_TEST_DB'])\n"
                   if backend == "postgres" else
                   f"from socialwatch.store import TinyStore\nst = TinyStore({str(store.data_dir)!r})\n")
                + "try:\n    st.source_lock('demo').acquire(timeout=0)\n    print('got it')\n"
                "except Busy as e:\n    print('busy:', e)\n"
                "l2 = st.source_lock('other').acquire(timeout=0); print('other ok'); l2.release()\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=120)
        assert "busy: source demo is locked" in out.stdout and "other ok" in out.stdout, out.stderr
    finally:
        lock.release()
    again = store.source_lock("demo").acquire(timeout=0)
    again.release()


def test_many_processes_adding_and_claiming_lose_nothing_and_hand_out_nothing_twice(store, backend: str) -> None:
    with store.session() as s:
        s.add([mention(i) for i in range(60)])
    opener = ("from socialwatch.store.postgres import PgStore\nst = PgStore(os.environ['SOCIALWATCH_TEST_DB'])\n"
              if backend == "postgres" else f"from socialwatch.store import TinyStore\nst = TinyStore({str(store.data_dir)!r})\n")
    code = ("import os, sys, json\nfrom socialwatch import queue\n" + opener +
            "agent = sys.argv[1]\n"
            "with st.session() as s:\n"
            "    s.add([{'id': f'n:{agent}:{i}', 'text': 'x', 'status': 'new', 'author': {'handle': agent}} for i in range(20)])\n"
            "got = []\n"
            "while True:\n"
            "    with st.session() as s:\n"
            "        m = s.next_unassigned(queue.Filters(sources={'demo'}))\n"
            "        if m is None: break\n"
            "        m['assignee'] = agent; s.put(m)\n"
            "    got.append(m['id'])\n"
            "print(json.dumps(got))\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, f"a{n}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=os.environ) for n in range(4)]
    claimed = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        claimed += json.loads(out)
    assert sorted(claimed) == sorted(f"t:{i}" for i in range(60))
    assert store.count()["open"] == 60 + 80
    assert all(m.get("assignee") for m in store.open_mentions() if m["id"].startswith("t:"))


# ---- the commands, on both backends --------------------------------------------------------------
@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    return isolated_home


def test_poll_triage_show_resolve_and_history_behave_the_same(home: pathlib.Path, backend: str) -> None:
    code, _, err = sw("poll")
    assert code == 0, err
    code, out, err = sw("poll")
    assert code == 0, err
    queue_items = lines(sw("triage", "--json", "--limit", "5")[1])
    assert len(queue_items) == 5
    prios = [model.effective_priority(m) for m in queue_items]
    assert prios == sorted(prios, reverse=True)
    top = queue_items[0]["id"]
    assert json.loads(sw("show", top, "--json")[1])["id"] == top
    assert sw("--as", "priya", "resolve", top)[0] == 0
    assert json.loads(sw("show", top, "--json")[1])["status"] == "resolved"
    assert top not in [m["id"] for m in lines(sw("triage", "--json")[1])]
    history = lines(sw("history", top, "--json")[1])
    assert [e["action"] for e in history] == ["resolve"] and history[0]["agent"] == "priya"
    code, out, _ = sw("sources", "--json")
    assert code == 0 and lines(out)[0]["name"] == "demo"


def test_claim_and_workflow_on_both_backends(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    recs = [{"id": "file:calm", "text": "hello there"},
            {"id": "file:angry", "text": "WORST service EVER!!! cancel my account, useless"}]
    assert sw("import", str(write_jsonl(tmp_path / "r.jsonl", recs)))[0] == 0
    m = json.loads(sw("--as", "priya", "claim", "--json")[1])
    assert m["id"] == "file:angry" and m["assignee"] == "priya"
    assert json.loads(sw("--as", "tom", "claim", "--json")[1])["id"] == "file:calm"
    code, _, err = sw("claim")
    assert code == 1 and "Nothing to claim" in err
    assert sw("tag", "file:calm", "billing")[0] == 0
    assert sw("note", "file:calm", "called back")[0] == 0
    shown = json.loads(sw("show", "file:calm", "--json")[1])
    assert shown["tags"] == ["billing"] and shown["notes"][0]["text"] == "called back"


def test_export_and_report_read_the_same_on_both(home: pathlib.Path) -> None:
    assert sw("poll")[0] == 0
    code, out, err = sw("export", "--format", "jsonl")
    assert code == 0, err
    exported = lines(out)
    assert exported and len(exported) == sum(json.loads(sw("health", "--json")[1])["store"][k] for k in ("open", "archived"))
    code, out, err = sw("report", "--json", "--since", "3650d")
    assert code == 0, err


def test_an_old_or_empty_schema_is_refused_with_a_clear_line(isolated_home: pathlib.Path, pg_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALWATCH_TEST_DB", pg_url)
    assert sw("init")[0] == 0
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text().replace('backend = "tinydb"', 'backend = "postgres"\nurl = "$SOCIALWATCH_TEST_DB"'))
    code, _, err = sw("triage", "--json")
    assert code == 2 and "schema version 0" in err and "socialwatch db upgrade" in err
    code, _, err = sw("db", "upgrade")
    assert code == 0 and "upgraded from version 0" in err
    from socialwatch.store.postgres.schema import SCHEMA_VERSION

    assert SCHEMA_VERSION >= 2  # 2: the presence table and the index of native ids
    assert sw("db", "upgrade")[2].strip().endswith(f"schema already at version {SCHEMA_VERSION}")
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO socialwatch_schema (version, description) VALUES (99, 'future')")
    code, _, err = sw("triage", "--json")
    assert code == 2 and "newer than this socialwatch" in err and "Traceback" not in err


def test_the_password_never_shows(isolated_home: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from socialwatch.store.postgres import PgStore, masked_url

    url = "postgresql://agent:s3cr3t-pw@127.0.0.1:9/nowhere"
    assert "s3cr3t-pw" not in masked_url(url) and "s3cr3t-pw" not in PgStore(url).describe()
    monkeypatch.setenv("DATABASE_URL", url)
    assert sw("init")[0] == 0
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text().replace('backend = "tinydb"', 'backend = "postgres"\nurl = "$DATABASE_URL"'))
    for args in (("triage", "--json"), ("--traceback", "triage", "--json"), ("db", "upgrade"), ("db", "status")):
        code, out, err = sw(*args)
        assert code != 0 and "s3cr3t-pw" not in out + err and "Error:" in err, (args, err)
    code, out, err = sw("health", "--json")  # an unreachable store is a failing health report
    report = json.loads(out)
    assert code == 2 and report["state"] == "failing" and "cannot connect" in report["store"]["error"]
    assert "s3cr3t-pw" not in out + err
    code, out, err = sw("health")
    assert code == 2 and "s3cr3t-pw" not in out + err and "cannot connect" in out
    with pytest.raises(StoreError) as exc:
        PgStore(url).count()
    assert "s3cr3t-pw" not in str(exc.value)


def test_busy_is_reported_when_a_source_is_being_polled(home: pathlib.Path, backend: str) -> None:
    from socialwatch.app import App

    app = App()
    lock = app.store.source_lock("demo").acquire(timeout=0)
    try:
        code, out, err = sw("poll")
        assert code == 0 and "already being polled by another process" in err and out == ""
    finally:
        lock.release()
    code, out, err = sw("poll")
    assert code == 0 and "new" in out, err


# ---- migration between backends -------------------------------------------------------------------
def _fill_tiny_home(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    assert sw("poll")[0] == 0
    recs = [{"id": f"file:m{i}", "text": f"my bill is wrong {i}\x00", "author": {"handle": f"c{i % 7}"},
             "status": "resolved" if i % 3 == 0 else "new"} for i in range(1200)]
    assert sw("import", str(write_jsonl(tmp_path / "many.jsonl", recs)))[0] == 0
    assert sw("--as", "priya", "resolve", "file:m1")[0] == 0
    assert sw("--as", "priya", "note", "file:m2", "called")[0] == 0
    assert sw("--as", "tom", "claim")[0] == 0


def _everything(args: tuple[str, ...] = ()) -> dict:
    code, out, err = sw(*args, "export", "--format", "jsonl")
    assert code == 0, err
    return {m["id"]: m for m in lines(out)}


def _switch(home: pathlib.Path, to: str) -> None:
    config = home / "socialwatch.toml"
    text = config.read_text()
    if to == "postgres":
        text = text.replace('backend = "tinydb"', 'backend = "postgres"\nurl = "$SOCIALWATCH_TEST_DB"')
    else:
        text = text.replace('backend = "postgres"\nurl = "$SOCIALWATCH_TEST_DB"', 'backend = "tinydb"')
    config.write_text(text)


def test_migrate_tinydb_to_postgres_and_back_copies_everything(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                              pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALWATCH_TEST_DB", pg_url)
    assert sw("init")[0] == 0
    _fill_tiny_home(isolated_home, tmp_path)
    before = _everything()
    history = lines(sw("history", "file:m1", "--json")[1])
    sources = lines(sw("sources", "--json")[1])
    assert sw("db", "upgrade", "--url", "$SOCIALWATCH_TEST_DB")[0] == 0
    code, out, err = sw("db", "migrate", "--from", "tinydb", "--to", "postgres", "--url", "$SOCIALWATCH_TEST_DB", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["copied"] == len(before) and report["verified"]["mentions"] == len(before) and report["audit"] >= 3
    _switch(isolated_home, "postgres")
    assert _everything() == before
    assert lines(sw("history", "file:m1", "--json")[1]) == history
    assert [s["cursor"] for s in lines(sw("sources", "--json")[1])] == [s["cursor"] for s in sources]
    # Running it again copies nothing and still verifies.
    _switch(isolated_home, "tinydb")
    code, out, err = sw("db", "migrate", "--from", "tinydb", "--to", "postgres", "--url", "$SOCIALWATCH_TEST_DB", "--json")
    assert code == 0 and json.loads(out)["copied"] == 0 and json.loads(out)["audit"] == 0, err
    # And back into an empty TinyDB directory.
    back = tmp_path / "back"
    code, out, err = sw("db", "migrate", "--from", "postgres", "--to", "tinydb", "--url", "$SOCIALWATCH_TEST_DB",
                        "--path", str(back), "--json")
    assert code == 0, err
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text().replace('path = "data"', f'path = "{back}"'))
    assert _everything() == before
    assert lines(sw("history", "file:m1", "--json")[1]) == history


def test_an_interrupted_migration_can_be_run_again(isolated_home: pathlib.Path, tmp_path: pathlib.Path, pg_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALWATCH_TEST_DB", pg_url)
    assert sw("init")[0] == 0
    _fill_tiny_home(isolated_home, tmp_path)
    before = _everything()
    assert sw("db", "upgrade", "--url", "$SOCIALWATCH_TEST_DB")[0] == 0
    code = ("import os, signal\n"
            "from socialwatch.store import migrate\n"
            "from socialwatch.app import App\n"
            "from socialwatch.store.postgres import PgStore\n"
            "n = 0\n"
            "def progress(k):\n"
            "    global n\n"
            "    n += k\n"
            "    if n >= 600: os.kill(os.getpid(), signal.SIGKILL)\n"
            "migrate.migrate(App().store, PgStore(os.environ['SOCIALWATCH_TEST_DB']), progress)\n")
    p = subprocess.run([sys.executable, "-c", code], env=os.environ, capture_output=True, text=True, timeout=300)
    assert p.returncode == -9, p.stderr
    from socialwatch.store.postgres import PgStore

    partial = PgStore(pg_url).count()
    assert 0 < sum(partial.values()) < len(before)
    code, out, err = sw("db", "migrate", "--from", "tinydb", "--to", "postgres", "--url", "$SOCIALWATCH_TEST_DB", "--json")
    assert code == 0, err
    assert json.loads(out)["copied"] == len(before) - sum(partial.values())
    _switch(isolated_home, "postgres")
    assert _everything() == before


def test_migrating_into_a_store_with_a_different_audit_log_is_refused(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                     pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALWATCH_TEST_DB", pg_url)
    assert sw("init")[0] == 0
    _fill_tiny_home(isolated_home, tmp_path)
    from socialwatch.store.postgres import PgStore, upgrade

    upgrade(pg_url)
    with PgStore(pg_url).session() as s:
        s.audit([{"id": "x:1", "at": "2020", "action": "something else"}])
    code, _, err = sw("db", "migrate", "--from", "tinydb", "--to", "postgres", "--url", "$SOCIALWATCH_TEST_DB")
    assert code == 1 and "audit log" in err and "Traceback" not in err


def test_import_in_many_transactions_keeps_first_occurrences_and_joins_threads(home: pathlib.Path, tmp_path: pathlib.Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from socialwatch import importer

    monkeypatch.setattr(importer, "SERVER_CHUNK", 3)  # many small transactions, committed by two threads
    recs = []
    for i in range(40):
        recs.append({"id": f"file:p{i}", "text": f"my router {i} is broken", "author": {"handle": f"c{i}"}})
        if i % 4 == 0:  # the customer follows up in their own thread, further down the file
            recs.append({"id": f"file:f{i}", "text": "still broken!!!", "author": {"handle": f"c{i}"},
                         "in_reply_to": f"file:p{i}"})
    recs.append({"id": "file:p7", "text": "a second copy of p7, later in the file", "author": {"handle": "other"}})
    code, out, err = sw("import", str(write_jsonl(tmp_path / "many.jsonl", recs)), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["new"] == 50 and report["duplicates"] == 1
    assert json.loads(sw("show", "file:p7", "--json")[1])["text"] == "my router 7 is broken"
    root = json.loads(sw("show", "file:p8", "--json")[1])
    assert root["followups"] == ["file:f8"]
    assert json.loads(sw("show", "file:f8", "--json")[1])["case_id"] == "file:p8"
    assert "file:f8" not in [m["id"] for m in lines(sw("triage", "--json")[1])]  # triage shows cases


def test_a_deadlock_between_two_agents_is_one_clear_conflict_and_changes_nothing(pg_url: str) -> None:
    import threading

    from socialwatch.errors import Conflict
    from socialwatch.store.postgres import PgStore, upgrade

    upgrade(pg_url)
    first, second = PgStore(pg_url), PgStore(pg_url)
    with first.session() as s:
        s.add([mention(1), mention(2)])
    both_locked = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def agent(store: PgStore, order: tuple[str, str], name: str) -> None:
        try:
            with store.session(timeout=30) as s:
                m = s.require(order[0])
                both_locked.wait(timeout=30)
                other = s.require(order[1])
                m["tags"] = other["tags"] = [name]
                s.put(m)
                s.put(other)
            outcomes[name] = "ok"
        except Conflict as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=agent, args=(first, ("t:1", "t:2"), "a")),
               threading.Thread(target=agent, args=(second, ("t:2", "t:1"), "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    conflicts = [o for o in outcomes.values() if isinstance(o, Conflict)]
    assert sorted(map(str, outcomes)) == ["a", "b"] and len(conflicts) == 1 and "run the command again" in str(conflicts[0])
    winner = next(name for name, o in outcomes.items() if o == "ok")
    assert first.get("t:1")["tags"] == [winner] and first.get("t:2")["tags"] == [winner]
    first.close()
    second.close()


def _children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc)."""
    found = []
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(p) for p in task.read_text().split()]
    return found


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_sigkill_during_an_import_into_postgres_leaves_whole_transactions_and_a_rerun_completes(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("SOCIALWATCH_TEST_DB", pg_url)
    assert sw("init")[0] == 0
    use_backend(isolated_home, "postgres")
    recs = [{"id": f"file:k{i}", "text": f"outage number {i}, still no signal", "author": {"handle": f"k{i % 50}"}}
            for i in range(30000)]
    path = write_jsonl(tmp_path / "big.jsonl", recs)
    from socialwatch.store.postgres import PgStore

    store = PgStore(pg_url)
    proc = subprocess.Popen([sys.executable, "-m", "socialwatch", "import", str(path)], env=os.environ,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120  # a hang guard
    while store.count()["open"] == 0 and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    workers = _children(proc.pid)
    assert workers or (os.cpu_count() or 1) < 2  # a big import is prepared by worker processes too
    proc.kill()
    proc.wait(timeout=30)
    while any(_running(pid) for pid in workers):  # the workers notice and stop preparing
        assert time.monotonic() < deadline, f"import workers {workers} outlived the import"
        time.sleep(0.05)
    partial = store.count()["open"]
    assert 0 < partial <= 30000
    assert partial % 2000 == 0 or partial == 30000  # whole transactions of SERVER_CHUNK mentions, never a torn one
    code, out, err = sw("import", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["new"] == 30000 - partial and report["duplicates"] == partial
    assert store.count() == {"open": 30000, "archived": 0}
    store.close()
