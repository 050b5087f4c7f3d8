"""Presence marks (presence.py): who is viewing or drafting a mention, kept apart from the queue,
expiring by themselves, on both store backends and across real processes."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from socialwatch import model, presence
from tests.test_store_contract import mention


@pytest.fixture
def store(backend: str, tmp_path: pathlib.Path):
    if backend == "postgres":
        from socialwatch.store.postgres import PgStore, upgrade

        upgrade(os.environ["SOCIALWATCH_TEST_DB"])
        s = PgStore(os.environ["SOCIALWATCH_TEST_DB"])
    else:
        from socialwatch.store import TinyStore

        s = TinyStore(tmp_path / "data")
    with s.session() as session:
        session.add([mention(1), mention(2)])
    yield s
    s.close()


def _open_file_state(store) -> object:
    """What a live triage watches: the open file (TinyDB) or nothing to compare (PostgreSQL)."""
    if store.backend == "tinydb":
        st = store.open_path.stat()
        return (st.st_mtime_ns, st.st_ino)
    return None


def test_marks_are_set_refreshed_listed_and_cleared(store) -> None:
    first = presence.mark_viewing(store, "priya", "t:1")
    assert (first.mention_id, first.agent, first.activity) == ("t:1", "priya", "viewing")
    time.sleep(0.05)
    again = presence.mark_viewing(store, "priya", "t:1")
    assert again.since == first.since and again.expires_at > first.expires_at  # a refresh keeps `since`
    presence.mark_drafting(store, "tom", "t:1")
    presence.mark_viewing(store, "tom", "t:2")
    marks = presence.who_is_viewing(store, "t:1")
    assert [(m.agent, m.activity) for m in marks] == [("priya", "viewing"), ("tom", "drafting")]
    assert [m.agent for m in presence.who_is_viewing(store, "t:1", exclude="priya")] == ["tom"]
    assert "tom is drafting a reply" in marks[1].describe() and "priya is viewing it" in marks[0].describe()
    presence.clear(store, "tom", "t:1")
    assert [m.agent for m in presence.who_is_viewing(store, "t:1")] == ["priya"]
    assert [m.mention_id for m in presence.everyone(store)] == ["t:1", "t:2"]
    presence.clear(store, "tom")
    presence.clear(store, "priya")
    assert presence.everyone(store) == []


def test_a_mark_expires_by_itself(store) -> None:
    mark = presence.mark_viewing(store, "priya", "t:1", ttl=1.0)
    assert presence.who_is_viewing(store, "t:1") == [mark]
    time.sleep(1.3)
    assert presence.who_is_viewing(store, "t:1") == []  # never refreshed: gone, without anyone clearing it
    presence.mark_viewing(store, "tom", "t:2")
    assert [m.agent for m in presence.everyone(store)] == ["tom"]


def test_the_default_viewing_mark_lasts_a_few_minutes(store) -> None:
    mark = presence.mark_viewing(store, "priya", "t:1")
    left = (model.parse_time(mark.expires_at) - model.utcnow()).total_seconds()
    assert 60 <= left <= presence.VIEWING_TTL <= 300


def test_marking_never_touches_the_queue_its_audit_or_its_notifications(store) -> None:
    watcher = store.watch()
    try:
        watcher.poll()
        before = _open_file_state(store)
        docs = {m["id"]: m for m in store.open_mentions()}
        for _ in range(3):
            presence.mark_viewing(store, "priya", "t:1")
            presence.mark_drafting(store, "priya", "t:2")
        presence.clear(store, "priya")
        time.sleep(0.2)
        assert watcher.poll() == []  # a live triage sees no change to the queue
        assert _open_file_state(store) == before
        assert {m["id"]: m for m in store.open_mentions()} == docs
        assert list(store.audit_entries()) == []
    finally:
        watcher.close()


def test_a_tracker_moves_refreshes_and_clears_its_own_mark(store) -> None:
    tracker = presence.Tracker(store, "priya", refresh_every=0.0)
    other = presence.Tracker(store, "priya")  # the same agent in a second terminal
    other.on("t:2")
    with tracker:
        tracker.on("t:1")
        first = presence.who_is_viewing(store, "t:1")[0]
        time.sleep(0.05)
        tracker.tick()
        assert presence.who_is_viewing(store, "t:1")[0].expires_at > first.expires_at
        tracker.drafting()
        assert presence.who_is_viewing(store, "t:1")[0].activity == "drafting"
        tracker.viewing()
        tracker.on("t:2")
        assert presence.who_is_viewing(store, "t:1") == []
    assert presence.who_is_viewing(store, "t:1") == []
    other.close()
    assert presence.everyone(store) == []


def test_a_store_error_never_reaches_the_agent(tmp_path: pathlib.Path) -> None:
    class Broken:
        def presence_board(self):
            from socialwatch.errors import StoreError

            raise StoreError("the database went away")

    tracker = presence.Tracker(Broken(), "priya", refresh_every=0.0)
    tracker.on("t:1")
    tracker.tick()
    tracker.drafting()
    tracker.close()


def test_presence_does_not_wait_for_the_store_lock(tmp_path: pathlib.Path) -> None:
    """A long import holding the store lock must not freeze an agent's screen."""
    from socialwatch.store import TinyStore

    store = TinyStore(tmp_path / "data")
    store.lock.acquire()
    try:
        code = ("import sys, pathlib; from socialwatch import presence; from socialwatch.store import TinyStore; "
                "presence.mark_viewing(TinyStore(pathlib.Path(sys.argv[1])), 'tom', 't:1')")
        subprocess.run([sys.executable, "-c", code, str(tmp_path / "data")], check=True, timeout=30)
    finally:
        store.lock.release()
    assert [m.agent for m in presence.who_is_viewing(store, "t:1")] == ["tom"]


_MARKER = """
import sys, time
from socialwatch import presence
from socialwatch.app import App
store = App().store
for n in range(int(sys.argv[2])):
    presence.mark_viewing(store, sys.argv[1], f"t:{n % 2 + 1}")
    presence.who_is_viewing(store, "t:1")
presence.mark_viewing(store, sys.argv[1], "t:1")
print("marked", flush=True)
time.sleep(60)
"""


def test_two_processes_see_each_other_and_never_lose_a_mark(isolated_home: pathlib.Path, backend: str) -> None:
    from socialwatch.app import App
    from tests.conftest import use_backend
    from tests.test_cli import sw

    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    store = App().store
    with store.session() as s:
        s.add([mention(1), mention(2)])
    procs = [subprocess.Popen([sys.executable, "-c", _MARKER, agent, "30"], stdout=subprocess.PIPE, text=True)
             for agent in ("priya", "tom")]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "marked"
        # Both wrote at once, many times: neither mark was lost (TinyDB: the presence file's own lock).
        assert sorted(m.agent for m in presence.who_is_viewing(store, "t:1")) == ["priya", "tom"]
        procs[0].kill()  # killed: nobody clears its mark, which expires by itself
        procs[0].wait(timeout=30)
        left = [m for m in presence.who_is_viewing(store, "t:1") if m.agent == "priya"]
        assert left and model.parse_time(left[0].expires_at) <= model.utcnow() + timedelta(seconds=presence.VIEWING_TTL + 5)
    finally:
        for p in procs:
            p.kill()
            p.wait(timeout=30)
    store.close()

