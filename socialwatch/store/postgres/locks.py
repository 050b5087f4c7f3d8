"""Advisory locks of the PostgreSQL store: one source polled by one process at a time, the
schema migrated by one process at a time."""

from __future__ import annotations

import contextlib
import zlib
from typing import TYPE_CHECKING, Any

from socialwatch.errors import Busy

if TYPE_CHECKING:
    from socialwatch.store.postgres.store import PgStore


def _lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for a name."""
    text = "\x00".join(parts).encode("utf-8", "surrogatepass")
    value = (zlib.crc32(text) << 32) | zlib.adler32(text)
    return value - (1 << 64) if value >= 1 << 63 else value



class AdvisoryLock:
    """A session-level advisory lock on its own connection, held while one source is polled."""

    def __init__(self, store: PgStore, key: int, what: str) -> None:
        self.store = store
        self.key = key
        self.what = what
        self._conn: Any = None

    def acquire(self, timeout: float | None = None) -> "AdvisoryLock":
        import time

        conn = self.store._connect(autocommit=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]:
                self._conn = conn
                return self
            if deadline is not None and time.monotonic() >= deadline:
                conn.close()
                raise Busy(f"{self.what} is locked by another process")
            time.sleep(0.05)

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            self._conn.close()
            self._conn = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def __enter__(self) -> "AdvisoryLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

