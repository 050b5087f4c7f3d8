"""Crash-safe JSON files: the TinyDB storage socialwatch uses, and the plain index files.

Every write goes to a temporary file in the same directory, is flushed and fsynced, and then
replaces the old file with `os.replace` (atomic on POSIX); the directory is fsynced so that the
rename itself survives a power cut. A reader therefore sees the old file or the new one, never
a torn one, and a process killed at any moment leaves a file that loads.

Every file carries a marker (`_socialwatch` table/key) so that a foreign or corrupt file is
refused with a clear error and never overwritten.
"""

from __future__ import annotations

import os
import pathlib
import re
from typing import Any

import orjson
from tinydb.storages import Storage

from socialwatch.errors import StoreError
from socialwatch.store.rawdoc import RawDoc, materialise

FORMAT = 1
MARKER = "_socialwatch"


def _write_temp(directory: pathlib.Path, name: str, payload: bytes) -> str:
    """`payload` in a new owner-only temp file in `directory`, fsynced; its path."""
    import tempfile  # (here: it costs 4 ms to import, which read-only commands never need)

    fd, tmp = tempfile.mkstemp(prefix=f"{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def atomic_write(path: pathlib.Path, payload: bytes) -> None:
    """Write `payload` to `path` atomically (temp file, fsync, os.replace, fsync dir)."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _write_temp(directory, f".{path.name}", payload)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: pathlib.Path) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:  # some filesystems refuse fsync on directories
        pass


#: The journal of a commit that replaces several files (see `commit_files`).
JOURNAL = "commit.journal"
#: Where a commit of several files stages their new contents (renamed from there into place).
STAGING = ".commit"


def commit_files(data_dir: pathlib.Path, writes: list[tuple[pathlib.Path, bytes]]) -> None:
    """Replace several files as one: all of them or none, even if the process dies half-way.

    One file is simply `atomic_write`. For more, every new content goes to a temp file in the
    staging folder (fsynced), then a journal naming the (temp, target) pairs is written atomically
    in `data_dir`: from that instant the commit has happened. The temps are then renamed over
    their targets and the journal removed. A process killed before the journal leaves only
    orphan temps (the old files stand); killed after it, `recover` (run under the store lock by
    the next session, and by lock-free readers) finishes the renames. The caller holds the lock.
    """
    if not writes:
        return
    if len(writes) == 1:
        atomic_write(*writes[0])
        return
    import tempfile  # (here: it costs 4 ms to import, which read-only commands never need)

    pairs: list[tuple[str, str]] = []
    staging = data_dir / STAGING
    staging.mkdir(exist_ok=True, mode=0o700)
    unsynced: list[int] = []  # open temps written but not yet fsynced
    try:
        for path, payload in writes:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=staging)  # (mode 0600)
            pairs.append((tmp, str(path)))
            unsynced.append(fd)
            _write_all(fd, payload)
            if len(unsynced) >= _SYNC_BATCH:
                _fsync_together(unsynced)
        _fsync_together(unsynced)  # every temp is on disk before the journal names it
        atomic_write(data_dir / JOURNAL, orjson.dumps({"format": FORMAT, "replace": pairs}))
    except BaseException:
        for fd in unsynced:
            os.close(fd)
        for tmp, _ in pairs:
            _unlink(tmp)
        raise
    _apply_journal(data_dir, pairs)


#: Temps held open at most before they are fsynced (and closed): well below any limit on open files.
_SYNC_BATCH = 128
#: Threads that fsync a commit's temps at once.
_SYNC_THREADS = 8


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def _fsync_together(fds: list[int]) -> None:
    """fsync and close `fds` (emptying the list), several at a time: the file system then
    makes them durable in one journal commit, instead of one disk flush per file in turn (on
    this project's shared machine, 64 author shards: 0.02-0.29 s one after the other, depending
    on what else writes to the disk, 0.015-0.045 s this way). The first error is raised once every file is closed."""
    pending = fds[:]
    fds.clear()
    errors: list[BaseException] = []

    def sync() -> None:
        while pending:
            try:
                fd = pending.pop()
            except IndexError:
                return
            try:
                os.fsync(fd)
            except BaseException as exc:  # raised by the caller, after every file is closed
                errors.append(exc)
            finally:
                os.close(fd)

    if len(pending) > 2:
        import threading

        threads = [threading.Thread(target=sync, name="fsync", daemon=True)
                   for _ in range(min(_SYNC_THREADS, len(pending)) - 1)]
        for t in threads:
            t.start()
        sync()
        for t in threads:
            t.join()
    else:
        sync()
    if errors:
        raise errors[0]


def _apply_journal(data_dir: pathlib.Path, pairs: list[tuple[str, str]]) -> None:
    dirs = set()
    for tmp, target in pairs:
        try:
            os.replace(tmp, target)
        except FileNotFoundError:
            continue  # renamed already, by the run this journal was written by
        dirs.add(pathlib.Path(target).parent)
    for directory in dirs:
        _fsync_dir(directory)
    try:
        os.unlink(data_dir / JOURNAL)
    except FileNotFoundError:
        pass


def needs_recovery(data_dir: pathlib.Path) -> bool:
    """Whether a commit was interrupted after its journal was written (a stat: cheap)."""
    return os.path.exists(data_dir / JOURNAL)


def recover(data_dir: pathlib.Path) -> bool:
    """Finish a commit that a killed process left half-done (call under the store lock);
    remove the temp files of commits that never reached their journal. True if it did anything."""
    journal = data_dir / JOURNAL
    did = False
    try:
        raw = journal.read_bytes()
    except FileNotFoundError:
        raw = None
    if raw is not None:
        try:
            pairs = [(str(t), str(p)) for t, p in orjson.loads(raw)["replace"]]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise StoreError(f"the commit journal {journal} is corrupt; it was left untouched: "
                             "move it away to use the store as it is") from None
        _apply_journal(data_dir, pairs)
        did = True
    try:
        orphans = os.listdir(data_dir / STAGING)  # (usually empty: one cheap call)
    except FileNotFoundError:
        orphans = []
    for name in orphans:
        try:
            os.unlink(data_dir / STAGING / name)
            did = True
        except OSError:
            pass
    return did


def atomic_write_text(path: str | os.PathLike, write: Any) -> Any:
    """Call write(stream) on a temp file beside `path`, then move it into place atomically.

    A failed export never leaves a half-written file where the old one was.
    """
    import tempfile

    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="", buffering=1 << 20) as fh:
            result = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return result


def read_json(path: pathlib.Path, kind: str) -> dict | None:
    """Load one of our JSON files; None if it does not exist; StoreError if corrupt or foreign."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read store file {path}: {exc.strerror}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreError(
            f"store file {path} is corrupt ({exc.msg} at byte {exc.pos}); it was left untouched: "
            "restore it from a backup or move it away"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get(MARKER), dict):
        raise StoreError(f"{path} is not a socialwatch store file; it was left untouched")
    marker = data[MARKER]
    meta = next(iter(marker.values()), {}) if marker and "format" not in marker else marker
    if not isinstance(meta, dict) or meta.get("kind") != kind:
        raise StoreError(f"{path} is not a socialwatch {kind} file; it was left untouched")
    if meta.get("format", 0) > FORMAT:
        raise StoreError(f"{path} was written by a newer socialwatch (format {meta.get('format')}); upgrade")
    return data


_DOC_END = re.compile(rb'\},"\d+":\{|\}\}\}\s*$')
_DOC_KEY = re.compile(rb'"\d+":$')


class DocFile:
    """One of our TinyDB files read as bytes, from which single mentions are parsed by id.

    Looking up a few mentions (`show`, customer history) needs neither the whole open file (5 MB
    for 5,000 open mentions: 40 ms to parse) nor whole archive segments parsed. Every file is
    written compactly by orjson, and each stored mention is one object `"DOC_ID":{"id":"…",…}`
    under "mentions" (the id first, as `model.normalize` builds it and jsonb orders it): the
    object is cut out of the bytes and parsed alone. Anything unexpected (a mention whose id is
    not its first key, an object that does not parse) falls back to parsing the whole file, so
    a lookup is never wrong, at worst slower; a mention is absent only if its id appears nowhere.
    """

    def __init__(self, path: pathlib.Path, kind: str) -> None:
        self.path = path
        self.kind = kind
        try:
            self.raw: bytes | None = path.read_bytes()
        except FileNotFoundError:
            self.raw = None
        except OSError as exc:
            raise StoreError(f"cannot read store file {path}: {exc.strerror}") from None
        self._full: dict | None = None
        if self.raw is not None and not self.raw.startswith(b'{"' + MARKER.encode() + b'":{"1":{"format":1,"kind":"'
                                                             + kind.encode() + b'"}}'):
            self._parse()  # an unusual head: the full check (corrupt, foreign, newer) decides

    def _parse(self) -> dict:
        if self._full is None:
            self._full = read_json(self.path, self.kind) or {}
        return self._full

    def doc(self, mention_id: str) -> dict | None:
        """The stored mention with this id, or None if the file does not hold it."""
        if self.raw is None:
            return None
        if self._full is not None:
            return _by_id(self._full, mention_id)
        quoted = orjson.dumps(mention_id)
        if b'"id":' + quoted not in self.raw:
            return None  # (compact JSON: every stored mention holds its id exactly so)
        needle = b'{"id":' + quoted
        start = self.raw.find(needle)
        while start != -1:
            if _DOC_KEY.search(self.raw, max(0, start - 24), start):
                for end in _DOC_END.finditer(self.raw, start):
                    try:
                        found = orjson.loads(self.raw[start : end.start() + 1])
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(found, dict) and found.get("id") == mention_id:
                        return found
                    break
            start = self.raw.find(needle, start + 1)
        return _by_id(self._parse(), mention_id)


def _by_id(data: dict, mention_id: str) -> dict | None:
    for m in (data.get("mentions") or {}).values():
        if isinstance(m, dict) and m.get("id") == mention_id:
            return m
    return None


def dump(data: Any) -> bytes:
    """A store file's content, compact."""
    return orjson.dumps(data)


class AtomicJSONStorage(Storage):
    """A TinyDB storage: reads once per instance, writes atomically.

    One instance lives for one lock session (see `store.Session`), so TinyDB never sees data
    cached from before another process wrote the file.
    """

    def __init__(self, path: str | os.PathLike, kind: str = "mentions") -> None:
        self.path = pathlib.Path(path)
        self.kind = kind
        self._data: dict | None = None
        self.dirty = False
        # (table, key, RawDoc) of the documents the data holds as JSON (`orjson.Fragment`, see
        # `Session.add`): they become documents again on the next read
        self.raw_docs: list[tuple[dict, str, RawDoc]] = []

    def read(self) -> dict | None:
        if self._data is None:
            data = read_json(self.path, self.kind)
            if data is None:
                data = {MARKER: {"1": {"format": FORMAT, "kind": self.kind}}}
            self._data = data
        if self.raw_docs:
            materialise(self.raw_docs)
        return self._data

    def data(self) -> dict:
        """The content as it is, RawDocs included (for `Session.add`, which appends to it)."""
        if self._data is None:
            self.read()
        assert self._data is not None
        return self._data

    def write(self, data: dict) -> None:
        data.setdefault(MARKER, {"1": {"format": FORMAT, "kind": self.kind}})
        self._data = data
        self.dirty = True

    def flush(self) -> None:
        """Write the file if anything changed."""
        pending = self.pending()
        if pending is not None:
            atomic_write(*pending)
            self.dirty = False

    def pending(self) -> tuple[pathlib.Path, bytes] | None:
        """(path, new content) if anything changed, for a commit of several files."""
        if self.dirty and self._data is not None:
            return self.path, dump(self._data)
        return None

    def close(self) -> None:
        self._data = None
