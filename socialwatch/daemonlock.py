"""One daemon per store: the lock `socialwatch run` holds for its whole life.

Two daemons on one store would poll every source twice as often (double the API calls and
the spend) and fight over the same locks, so a second `run` is refused (exit 2) naming the
process that holds the store. Cron `poll`s never take this lock: beside a daemon they keep
working under the per-source poll locks.

- TinyDB: an exclusive `flock` on `daemon.lock` in the data directory, which also holds the
  holder's pid, host and start time (JSON). The kernel drops the lock when the daemon dies,
  even by SIGKILL, so it is never stale; the file's text is only read while the lock is held.
- PostgreSQL: a session-level advisory lock on a connection of its own, whose
  `application_name` names the holder; who holds it is read from `pg_locks` and
  `pg_stat_activity`. The server drops the lock when that connection ends.

`holder()` tells whether a daemon runs (for `health`) without disturbing it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pathlib
import socket
import time
from collections.abc import Callable
from typing import Any

import orjson

from socialwatch import model
from socialwatch.errors import StoreError, UsageError

#: how long a starting daemon waits for the lock: a `health` check holds it for a moment
ACQUIRE_TIMEOUT = 3.0


class AlreadyRunning(UsageError):
    """Another daemon holds the store (exit 2)."""


def holder_text(info: dict | None) -> str:
    """'pid 123 on host db1, since 2026-12-04T10:00:00Z' (or what is known of it)."""
    if not info:
        return "a process that did not say who it is"
    text = f"pid {info.get('pid', '?')}"
    if info.get("host"):
        text += f" on {info['host']}"
    if info.get("started_at"):
        text += f", since {info['started_at']}"
    return text


def _refusal(store_text: str, info: dict | None) -> AlreadyRunning:
    return AlreadyRunning(
        f"another socialwatch daemon is running on this store ({store_text}): {holder_text(info)}; "
        "stop it first (one daemon polls every source; `poll` from cron can run beside it)"
    )


#: the locks this process holds, so that a forked child can let go of its copies
_HELD: list[Any] = []
_ORPHANS: list[Any] = []


def forget_in_child() -> None:
    """In a forked child: drop the inherited daemon locks without unlocking them (they stay the
    parent's), so the lock ends with the daemon and never outlives it in a running poll."""
    for lock in _HELD:
        lock.forget()
    _HELD.clear()


def _me() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "started_at": model.iso(model.utcnow())}


class FileDaemonLock:
    """The TinyDB store's daemon lock (`DATA/daemon.lock`)."""

    def __init__(self, path: pathlib.Path, where: str,
                 on_os_error: Callable[[OSError], Exception] | None = None) -> None:
        self.path = path
        self.where = where
        self._on_os_error = on_os_error
        self._fd: int | None = None

    def acquire(self, timeout: float = ACQUIRE_TIMEOUT) -> "FileDaemonLock":
        """Take the lock, or raise AlreadyRunning naming the holder."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if self._on_os_error is None:
                raise
            raise self._on_os_error(exc) from None
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise _refusal(self.where, self._read()) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, orjson.dumps(_me()) + b"\n", 0)
        self._fd = fd
        _HELD.append(self)
        return self

    def forget(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # only this process's descriptor: the lock stays the parent's
            self._fd = None

    def _read(self) -> dict | None:
        try:
            data = orjson.loads(self.path.read_bytes() or b"null")
        except (OSError, orjson.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def holder(self) -> dict | None:
        """Who holds the lock ({"pid", "host", "started_at"}), or None when no daemon runs."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    return self._read() or {}
                raise
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def fileno(self) -> int | None:
        return self._fd

    def alive(self) -> bool:
        """Whether the lock is still ours (a flock cannot be lost while the process lives)."""
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        if self in _HELD:
            _HELD.remove(self)
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


class PgDaemonLock:
    """The PostgreSQL store's daemon lock (an advisory lock on a connection of its own)."""

    APP_PREFIX = "socialwatch run"

    def __init__(self, store: Any, key: int) -> None:
        self.store = store
        self.key = key
        self._conn: Any = None

    def _split(self) -> tuple[int, int]:
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        return unsigned >> 32, unsigned & 0xFFFFFFFF  # pg_locks' classid and objid

    def acquire(self, timeout: float = ACQUIRE_TIMEOUT) -> "PgDaemonLock":
        me = _me()
        conn = self.store._connect(autocommit=True)
        try:
            name = f"{self.APP_PREFIX} pid={me['pid']} host={me['host']}"[:63]
            conn.execute("SELECT set_config('application_name', %s, false)", (name,))
            deadline = time.monotonic() + timeout
            while not conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]:
                if time.monotonic() >= deadline:
                    info = self._holder(conn)
                    raise _refusal(self.store.describe(), info)
                time.sleep(0.05)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        _HELD.append(self)
        return self

    def forget(self) -> None:
        # the parent's socket: never used nor closed here (kept referenced, so that no
        # finaliser can end the parent's session from this process)
        _ORPHANS.append(self._conn)
        self._conn = None

    def _holder(self, conn: Any) -> dict | None:
        classid, objid = self._split()
        row = conn.execute(
            "SELECT a.application_name, a.client_hostname, host(a.client_addr), a.backend_start "
            "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = %s AND l.objid::bigint = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
            (classid, objid),
        ).fetchone()
        if row is None:
            return None
        app_name, client_host, client_addr, started = row
        info: dict[str, Any] = {}
        for part in (app_name or "").split():
            key, sep, value = part.partition("=")
            if sep and key in ("pid", "host"):
                info[key] = int(value) if key == "pid" and value.isdigit() else value
        info.setdefault("host", client_host or client_addr or None)
        if started is not None:
            info["started_at"] = model.iso(started)
        return info

    def holder(self) -> dict | None:
        """Who holds the lock ({"pid", "host", "started_at"}), or None when no daemon runs."""
        import psycopg

        conn = self.store._connect(autocommit=True)
        try:
            return self._holder(conn)
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: cannot read the daemon lock: {exc}") from None
        finally:
            conn.close()

    def fileno(self) -> int | None:
        return None

    def alive(self) -> bool:
        """Whether the lock's connection still stands (the server drops the lock with it)."""
        if self._conn is None or self._conn.closed:
            return False
        try:
            self._conn.execute("SELECT 1")
            return True
        except Exception:
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        if self in _HELD:
            _HELD.remove(self)
        with contextlib.suppress(Exception):
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        with contextlib.suppress(Exception):
            self._conn.close()
        self._conn = None
