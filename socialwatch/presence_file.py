"""The TinyDB store's presence board: `presence.json` beside the store files (see presence.py).

The file is small (one entry per agent on a mention) and lives apart from the queue: it has
its own lock (`presence.lock`, held for a few milliseconds), so marking a mention as viewed
never waits for a long import holding the store lock, and never replaces `open.json` (which
the live triage of every agent watches). Reads take no lock: the file is replaced whole.
"""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from socialwatch import model
from socialwatch.store.files import FORMAT, MARKER, atomic_write, dump, read_json
from socialwatch.store.locking import FileLock

KIND = "presence"
LOCK_TIMEOUT = 5.0


def stamp(dt: datetime) -> str:
    """UTC ISO 8601 with milliseconds (expiry is finer than the seconds of `model.iso`)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class PresenceFile:
    """put / clear / live over `presence.json` (the interface `presence.py` expects of a board)."""

    def __init__(self, data_dir: pathlib.Path) -> None:
        self.path = pathlib.Path(data_dir) / "presence.json"
        self.lock = FileLock(pathlib.Path(data_dir) / "presence.lock", "the presence file")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.lock.acquire(timeout=LOCK_TIMEOUT)
        try:
            yield
        finally:
            self.lock.release()

    def _read(self) -> list[dict]:
        data = read_json(self.path, KIND) or {}
        return [m for m in data.get("marks", []) if isinstance(m, dict) and "mention_id" in m and "agent" in m]

    def _write(self, marks: list[dict]) -> None:
        atomic_write(self.path, dump({MARKER: {"format": FORMAT, "kind": KIND}, "marks": marks}))

    @staticmethod
    def _live(marks: list[dict], now: datetime) -> list[dict]:
        out = []
        for m in marks:
            try:
                if model.parse_time(m.get("expires_at")) > now:
                    out.append(m)
            except ValueError:
                continue
        return out

    def put(self, mention_id: str, agent: str, activity: str, ttl: float) -> dict:
        """Set or refresh a mark; returns it."""
        with self._locked():
            now = model.utcnow()
            marks = self._live(self._read(), now)
            old = next((m for m in marks if m["mention_id"] == mention_id and m["agent"] == agent), None)
            since = old["since"] if old is not None and old.get("activity") == activity else stamp(now)
            new = {"mention_id": mention_id, "agent": agent, "activity": activity, "since": since,
                   "expires_at": stamp(now + timedelta(seconds=ttl))}
            marks = [m for m in marks if m is not old] + [new]
            self._write(marks)
        return new

    def clear(self, agent: str, mention_id: str | None = None) -> None:
        """Remove one mark of `agent`, or all of them (and every expired mark)."""
        if not self.path.exists():
            return
        with self._locked():
            marks = self._read()
            kept = [m for m in self._live(marks, model.utcnow())
                    if not (m["agent"] == agent and (mention_id is None or m["mention_id"] == mention_id))]
            if kept != marks:
                self._write(kept)

    def live(self, mention_id: str | None = None) -> list[dict]:
        """The marks that have not expired, of one mention or of all."""
        marks = self._live(self._read(), model.utcnow())
        return [m for m in marks if mention_id is None or m["mention_id"] == mention_id]
