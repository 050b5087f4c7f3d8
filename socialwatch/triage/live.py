"""Live with the team: what other agents and pollers change, as it is committed.

PostgreSQL sends `NOTIFY socialwatch_queue` with every commit (the watcher's connection becomes
readable); with TinyDB the watcher reads the audit log's new lines and notices the open file
being replaced, checked every `interval` seconds. `Feed.wait` blocks for at most one interval,
so the inbox runs it in a worker thread and re-reads the queue there when something changed.
"""

from __future__ import annotations

import select
import time
from typing import Any

from socialwatch.errors import SocialwatchError

INTERVAL = 1.0


class Feed:
    """Changes by others (and by this agent in another terminal) to the queue."""

    def __init__(self, store: Any, interval: float = INTERVAL) -> None:
        self.interval = interval
        try:
            self.watcher: Any = store.watch()
        except SocialwatchError:
            self.watcher = None  # no live updates; the inbox still works and refreshes on demand

    @property
    def live(self) -> bool:
        return self.watcher is not None

    def wait(self) -> list[dict]:
        """The changes since the last call, waiting up to one interval for the first."""
        if self.watcher is None:
            time.sleep(self.interval)
            return []
        fd = self.watcher.fileno()
        if fd is None:
            time.sleep(self.interval)
        else:
            select.select([fd], [], [], self.interval)
        try:
            return self.watcher.poll()
        except Exception:  # noqa: BLE001 - a dropped connection: say so once, keep the inbox working
            self.close()
            return [{"action": "offline"}]

    def close(self) -> None:
        if self.watcher is not None:
            try:
                self.watcher.close()
            finally:
                self.watcher = None


def reader_store(store: Any) -> Any:
    """A store a worker thread may read from: PostgreSQL's with a connection of its own (one
    connection is never shared between threads); the TinyDB store reads files, lock-free."""
    clone = getattr(store, "clone", None)
    return clone() if clone is not None else store
