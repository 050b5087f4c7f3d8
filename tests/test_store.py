"""The TinyDB store: dedupe, open/closed split, crash safety, corrupt files, concurrency."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from socialwatch import model
from socialwatch.errors import NotFound, StoreError
from socialwatch.store import SEGMENT_SIZE, TinyStore


def mention(i: int | str, status: str = "new", handle: str | None = None, text: str = "hello") -> dict:
    m = model.normalize({"id": f"m{i}", "text": text, "author": {"handle": handle or f"user{i}"}}, platform="file", source="t")
    m["status"] = status
    if status in model.CLOSED_STATUSES:
        m["resolved_at"] = m["fetched_at"]
    m["priority"] = 10
    return m


@pytest.fixture
def store(tmp_path: pathlib.Path) -> TinyStore:
    return TinyStore(tmp_path / "data")


def test_add_deduplicates_on_id(store: TinyStore) -> None:
    with store.session() as s:
        r1 = s.add([mention(1), mention(2), mention(1)])
    assert r1.new == ["file:m1", "file:m2"]
    assert r1.duplicates == ["file:m1"]
    with store.session() as s:
        r2 = s.add([mention(2), mention(3)])
    assert r2.new == ["file:m3"] and r2.duplicates == ["file:m2"]
    assert sorted(m["id"] for m in store.iter_all()) == ["file:m1", "file:m2", "file:m3"]


def test_closed_mentions_go_to_the_archive_and_stay_deduplicated(store: TinyStore) -> None:
    with store.session() as s:
        s.add([mention(1, "resolved"), mention(2)])
    assert [m["id"] for m in store.open_mentions()] == ["file:m2"]
    assert store.get("file:m1")["status"] == "resolved"
    with store.session() as s:
        assert s.add([mention(1)]).duplicates == ["file:m1"]


def test_resolve_moves_to_history_and_reopen_brings_it_back(store: TinyStore) -> None:
    with store.session() as s:
        s.add([mention(1), mention(2)])
    m = store.get("file:m1")
    m["status"] = "resolved"
    with store.session() as s:
        s.put(m)
    assert [x["id"] for x in store.open_mentions()] == ["file:m2"]
    assert store.count() == {"open": 1, "archived": 1}
    m["status"] = "open"
    with store.session() as s:
        s.put(m)
    assert store.count() == {"open": 2, "archived": 0}
    assert sorted(x["id"] for x in store.iter_all()) == ["file:m1", "file:m2"]
    m["status"] = "ignored"
    with store.session() as s:
        s.put(m)
    assert store.get("file:m1")["status"] == "ignored"
    assert sorted(x["id"] for x in store.iter_all()) == ["file:m1", "file:m2"]


def test_archive_is_split_into_segments(store: TinyStore) -> None:
    batch = [mention(i, "resolved") for i in range(SEGMENT_SIZE + 10)]
    with store.session() as s:
        s.add(batch)
    assert store.segments() == [1, 2]
    assert store.count()["archived"] == SEGMENT_SIZE + 10
    assert store.get(f"file:m{SEGMENT_SIZE + 5}")["status"] == "resolved"


def test_unknown_id_is_not_found(store: TinyStore) -> None:
    with pytest.raises(NotFound):
        store.get("file:nope")


def test_author_history_across_open_and_archive(store: TinyStore) -> None:
    with store.session() as s:
        s.add([mention(1, "resolved", handle="Ann"), mention(2, handle="ann"), mention(3, handle="bob")])
    ids = [m["id"] for m in store.author_history("ANN", exclude="file:m2")]
    assert ids == ["file:m1"]


def test_a_failed_session_writes_nothing(store: TinyStore) -> None:
    with store.session() as s:
        s.add([mention(1)])
    before = store.open_path.read_bytes()
    with pytest.raises(RuntimeError):
        with store.session() as s:
            s.add([mention(2)])
            raise RuntimeError("boom")
    assert store.open_path.read_bytes() == before


@pytest.mark.parametrize("garbage", [b'{"not": json', b"[]", b'{"mentions": {}}', b""])
def test_corrupt_or_foreign_files_are_refused_and_kept(store: TinyStore, garbage: bytes) -> None:
    with store.session() as s:
        s.add([mention(1)])
    store.open_path.write_bytes(garbage)
    with pytest.raises(StoreError):
        store.open_mentions()
    with pytest.raises(StoreError):
        with store.session() as s:
            s.add([mention(2)])
    assert store.open_path.read_bytes() == garbage


def test_files_are_private(store: TinyStore) -> None:
    with store.session() as s:
        s.add([mention(1)])
    assert store.open_path.stat().st_mode & 0o077 == 0
    assert store.data_dir.stat().st_mode & 0o077 == 0


def test_fresh_tinydb_per_session_sees_other_writers(store: TinyStore, tmp_path: pathlib.Path) -> None:
    """A second store object (another process's view) never works from a stale cache."""
    other = TinyStore(store.data_dir)
    with store.session() as s:
        s.add([mention(1)])
    with other.session() as s:
        s.add([mention(2)])
    with store.session() as s:
        assert s.add([mention(2), mention(3)]).new == ["file:m3"]
    assert len(store.open_mentions()) == 3


# ---- real processes ------------------------------------------------------------------------------
WRITER = textwrap.dedent(
    """
    import sys
    from socialwatch import model
    from socialwatch.store import TinyStore
    store = TinyStore(sys.argv[1])
    start, count, step = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    for lo in range(start, start + count, step):
        batch = []
        for i in range(lo, min(lo + step, start + count)):
            m = model.normalize({"id": f"m{i}", "text": "t", "author": {"handle": f"u{i % 7}"}}, platform="file", source="p")
            m["priority"] = i % 100
            batch.append(m)
        with store.session() as s:
            s.add(batch)
        print(batch[-1]["id"], flush=True)
    """
)


def _spawn(code: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(store: TinyStore) -> None:
    # four processes: three distinct ranges and one overlapping the first
    procs = [_spawn(WRITER, store.data_dir, 0, 300, 25), _spawn(WRITER, store.data_dir, 300, 300, 30),
             _spawn(WRITER, store.data_dir, 600, 300, 50), _spawn(WRITER, store.data_dir, 0, 150, 10)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    ids = [m["id"] for m in store.iter_all()]
    assert len(ids) == len(set(ids)) == 900


UPDATER = textwrap.dedent(
    """
    import sys
    from socialwatch.store import TinyStore
    store = TinyStore(sys.argv[1])
    agent = sys.argv[2]
    for i in range(int(sys.argv[3])):
        with store.session() as s:
            m = s.require("file:m0")
            m["notes"] = m["notes"] + [agent + str(i)]
            s.put(m)
    """
)


def test_concurrent_updates_of_one_mention_lose_no_update(store: TinyStore) -> None:
    with store.session() as s:
        s.add([mention(0)])
    procs = [_spawn(UPDATER, store.data_dir, f"agent{n}-", 15) for n in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    notes = store.get("file:m0")["notes"]
    assert len(notes) == 60 and len(set(notes)) == 60


def test_sigkill_during_writes_leaves_a_loadable_store_with_every_reported_mention(store: TinyStore) -> None:
    proc = _spawn(WRITER, store.data_dir, 0, 200_000, 400)
    reported: list[str] = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while len(reported) < 8 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            reported.append(line.strip())
    time.sleep(0.05)  # land somewhere inside a later write
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(reported) >= 8
    stored = {m["id"] for m in TinyStore(store.data_dir).iter_all()}
    # every batch whose last id was reported is stored in full
    for last in reported:
        n = int(last.split("m")[-1])
        assert all(f"file:m{i}" in stored for i in range(n - 399, n + 1))
    with store.session() as s:  # and the store still takes writes
        assert s.add([mention("after")]).new == ["file:mafter"]


# -- a session that writes several files commits them as one --------------------------------------

KILLED_COMMIT = textwrap.dedent("""
    import os, signal, sys
    from socialwatch.store import files as storage
    from socialwatch.store import TinyStore
    where = sys.argv[2]
    if where == "after-journal":  # the journal is written: the commit has happened
        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        storage._apply_journal = killed
    else:  # killed while staging, before the journal: nothing happened
        real = storage.atomic_write
        def killed(path, payload):
            if path.name == storage.JOURNAL:
                os.kill(os.getpid(), signal.SIGKILL)
            real(path, payload)
        storage.atomic_write = killed
    store = TinyStore(sys.argv[1])
    with store.session() as s:
        m = s.get("file:m1")
        m["status"] = "pending"
        m["tags"] = ["crash"]
        s.put(m)
        s.state_put("csat_due", "file:m1", {"id": "file:m1", "due_at": "2026-12-04T10:00:00Z"})
        s.save_reply({"id": "r1", "mention_id": "file:m1", "state": "sending", "created_at": "2026-12-04T10:00:00Z"})
""")


@pytest.mark.parametrize("where", ["after-journal", "before-journal"])
def test_a_commit_of_several_files_is_all_or_nothing_when_killed(store: TinyStore, where: str) -> None:
    with store.session() as s:
        s.add([mention(1)])
    before = {p.name: p.read_bytes() for p in (store.open_path, store.state_path) if p.exists()}
    proc = subprocess.run([sys.executable, "-c", KILLED_COMMIT, str(store.data_dir), where], capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    staged = list((store.data_dir / ".commit").iterdir())
    assert staged  # the killed process left its staged files behind
    if where == "after-journal":
        # every lock-free reader sees the whole commit, never one file of it
        assert store.get("file:m1")["tags"] == ["crash"]
        assert [r["id"] for r in store.replies()] == ["r1"]
        assert "file:m1" in store.state_all("csat_due")
    else:
        assert store.get("file:m1")["tags"] == []
        assert store.replies() == [] and store.state_all("csat_due") == {}
        assert {p.name: p.read_bytes() for p in (store.open_path, store.state_path) if p.exists()} == before
        with store.session():
            pass  # a locked session sweeps the orphans
    assert not (store.data_dir / "commit.journal").exists()
    assert list((store.data_dir / ".commit").iterdir()) == []


# -- the staged files of a commit are fsynced together, all before the journal ---------------------

def _writes(root: pathlib.Path, n: int) -> list[tuple[pathlib.Path, bytes]]:
    return [(root / "authors" / f"{i:02d}.json", b'{"n": %d}' % i) for i in range(n)] + [
        (root / "open.json", b"x" * 300_000)]


def test_a_commit_fsyncs_every_staged_file_before_its_journal(tmp_path: pathlib.Path, monkeypatch) -> None:
    from socialwatch.store import files as storage

    synced: set[int] = set()  # inodes
    real_fsync, real_atomic = os.fsync, storage.atomic_write
    staged_when_journaled: list[set[int]] = []

    def fsync(fd: int) -> None:
        real_fsync(fd)
        synced.add(os.fstat(fd).st_ino)

    def atomic_write(path: pathlib.Path, payload: bytes) -> None:
        if path.name == storage.JOURNAL:
            staged_when_journaled.append({os.stat(tmp).st_ino for tmp, _ in orjson.loads(payload)["replace"]})
            assert staged_when_journaled[-1] <= synced  # every file the journal names is on disk already
        real_atomic(path, payload)

    import orjson

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(storage, "atomic_write", atomic_write)
    monkeypatch.setattr(storage, "_SYNC_BATCH", 16)  # several batches
    writes = _writes(tmp_path, 40)
    storage.commit_files(tmp_path, writes)
    assert len(staged_when_journaled) == 1 and len(staged_when_journaled[0]) == 41
    for path, payload in writes:
        assert path.read_bytes() == payload
    assert list((tmp_path / storage.STAGING).iterdir()) == []


def test_a_failed_fsync_fails_the_commit_and_changes_nothing(tmp_path: pathlib.Path, monkeypatch) -> None:
    from socialwatch.store import files as storage

    old = _writes(tmp_path, 10)
    storage.commit_files(tmp_path, old)
    open_fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    real_fsync = os.fsync
    calls = []

    def failing(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 5:
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    new = [(path, payload + b" ") for path, payload in old]
    with pytest.raises(OSError, match="Input/output error"):
        storage.commit_files(tmp_path, new)
    monkeypatch.setattr(os, "fsync", real_fsync)
    for path, payload in old:
        assert path.read_bytes() == payload  # the old files stand
    assert not (tmp_path / storage.JOURNAL).exists()
    assert list((tmp_path / storage.STAGING).iterdir()) == []  # no staged file left behind
    if open_fds is not None:
        assert len(os.listdir("/proc/self/fd")) == open_fds  # every staged file was closed
