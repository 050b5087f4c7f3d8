"""`TinyStore`: the TinyDB store's paths, sessions and locks (its lock-free reads are in `reads`)."""

from __future__ import annotations

import contextlib
import errno
import pathlib
from collections.abc import Iterator
from typing import Any

from socialwatch.errors import ConfigError, SocialwatchError, StoreError
from socialwatch.store import RowCodec
from socialwatch.store.files import recover
from socialwatch.store.locking import FileLock
from socialwatch.store.rawdoc import FILE_ROWS
from socialwatch.store.tiny.reads import LockFreeReads
from socialwatch.store.tiny.session import Session
from socialwatch.store.tiny.shards import LOCK_TIMEOUT, SHARDS
from socialwatch.store.tiny.watcher import FileWatcher

#: errors writing the data directory that mean its path or permissions are wrong (configuration)
_PATH_ERRNOS = {errno.ENOENT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}


class TinyStore(LockFreeReads):
    """The TinyDB store behind a small interface (see the package docstring)."""

    backend = "tinydb"
    row_codec: RowCodec | None = FILE_ROWS  # mentions encoded as JSON, written as they are (see rawdoc)

    def __init__(self, data_dir: pathlib.Path, *, config_file: str | None = None, key: str | None = None) -> None:
        self.data_dir = pathlib.Path(data_dir)
        self.open_path = self.data_dir / "open.json"
        self.state_path = self.data_dir / "state.json"
        self.outbox_path = self.data_dir / "outbox.json"
        self.audit_path = self.data_dir / "audit.jsonl"
        # where the data directory was configured, so that a directory that cannot be written
        # is reported as the configuration error it is (naming the file and the key)
        self.config_file = config_file
        self.key = key
        self.lock = FileLock(self.data_dir / "store.lock", "the store", on_os_error=self.unwritable)
        self._shard_paths: dict[str, list[pathlib.Path]] = {}

    def unwritable(self, exc: OSError) -> SocialwatchError:
        """The error for a data directory that cannot be written (missing, read-only, not ours)."""
        reason = exc.strerror or type(exc).__name__
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(self.data_dir) else ""
        message = f"cannot write in the data directory {self.data_dir}: {reason}{where}"
        if self.key and exc.errno in _PATH_ERRNOS:
            return ConfigError(message + ": fix the path or the directory's permissions", path=self.config_file,
                               key=self.key)
        return StoreError(message)  # (a full disk, an I/O error: not the configuration's fault)

    def shard_path(self, kind: str, number: int) -> pathlib.Path:
        paths = self._shard_paths.get(kind)
        if paths is None:
            base = self.data_dir / kind
            paths = self._shard_paths[kind] = [base / f"{n:02d}.json" for n in range(SHARDS)]
        return paths[number]

    def segment_path(self, number: int) -> pathlib.Path:
        return self.data_dir / "archive" / f"seg-{number:06d}.json"

    def conversations_marker(self) -> pathlib.Path:
        """The file that says the conversation index covers every stored mention."""
        return self.data_dir / "conversations" / "built.json"

    def last_segment(self) -> int:
        numbers = [int(p.stem[4:]) for p in (self.data_dir / "archive").glob("seg-*.json") if p.stem[4:].isdigit()]
        return max(numbers, default=1)

    def segments(self) -> list[int]:
        return sorted(int(p.stem[4:]) for p in (self.data_dir / "archive").glob("seg-*.json") if p.stem[4:].isdigit())

    # ---- sessions -------------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, timeout: float = LOCK_TIMEOUT) -> Iterator[Session]:
        """Hold the store lock; commit the session's writes if the block ends without error."""
        from socialwatch.paths import ensure_private_dir

        try:
            ensure_private_dir(self.data_dir)
        except OSError as exc:
            raise self.unwritable(exc) from None
        self.lock.acquire(timeout=timeout)
        try:
            recover(self.data_dir)  # a commit a killed process left half-done is finished first
            session = Session(self)
            yield session
            try:
                session.commit()
            except OSError as exc:
                raise self.unwritable(exc) from None
        finally:
            self.lock.release()
        for hook in session.after_commit:
            hook()


    def use_pool(self, size: int) -> None:
        """Nothing to pool: files are opened per session (see PgStore.use_pool)."""

    def watch(self) -> "FileWatcher":
        """Changes other processes make to the queue, for a live `triage` (see FileWatcher)."""
        return FileWatcher(self)


    def source_lock(self, name: str) -> FileLock:
        """The lock one poll of source `name` holds, so that two pollers never poll it at once."""
        import hashlib
        import re

        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60] + "-" + hashlib.sha1(name.encode()).hexdigest()[:8]
        return FileLock(self.data_dir / "locks" / f"source-{safe}.lock", f"source {name}", on_os_error=self.unwritable)

    def daemon_lock(self) -> Any:
        """The lock `socialwatch run` holds on this store (see daemonlock.py)."""
        from socialwatch.daemonlock import FileDaemonLock

        return FileDaemonLock(self.data_dir / "daemon.lock", self.describe(), on_os_error=self.unwritable)

    def size_bytes(self) -> int:
        """Bytes the store's files take on disk."""
        total = 0
        for p in self.data_dir.rglob("*"):
            try:
                if p.is_file():
                    total += p.stat().st_size
            except OSError:
                pass
        return total

    def describe(self) -> str:
        """Where the store lives, for people (no secret)."""
        return f"tinydb {self.data_dir}"


    # ---- presence (see presence.py) -----------------------------------------------------------
    def presence_board(self) -> Any:
        """Who is viewing what: `presence.json`, apart from the queue (see presence_file.py)."""
        from socialwatch.presence_file import PresenceFile

        return PresenceFile(self.data_dir)

    def close(self) -> None:
        """Release resources (nothing for files)."""
