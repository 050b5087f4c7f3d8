"""Committed queue changes of the PostgreSQL store (LISTEN), for a live `triage`."""

from __future__ import annotations

from typing import Any

import orjson


class PgWatcher:
    """A LISTEN connection: `fileno()` turns readable when a notification arrives."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def fileno(self) -> int | None:
        return self.conn.fileno()

    def poll(self) -> list[dict]:
        out = []
        for n in self.conn.notifies(timeout=0.0):
            try:
                change = orjson.loads(n.payload)
            except orjson.JSONDecodeError:
                continue
            if isinstance(change, dict):
                out.append(change)
        return out

    def close(self) -> None:
        self.conn.close()

