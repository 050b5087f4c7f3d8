"""Queue changes other processes make to the TinyDB store, for a live `triage`."""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING

from socialwatch import audit as audit_log

if TYPE_CHECKING:
    from socialwatch.store.tiny.store import TinyStore


class FileWatcher:
    """Queue changes by other processes, read from the audit log's new lines (who did what)
    and the open file's replacement (new mentions). `fileno()` is None: poll it on a timer."""

    def __init__(self, store: TinyStore) -> None:
        self.store = store
        self._audit_size = self._size(store.audit_path)
        self._stamp = self._open_stamp()

    @staticmethod
    def _size(path: pathlib.Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0

    def _open_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.store.open_path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def fileno(self) -> int | None:
        return None

    def poll(self) -> list[dict]:
        """The changes since the last call: audit entries ({action, id, agent}) or {"action": "changed"}."""
        out: list[dict] = []
        size = self._size(self.store.audit_path)
        if size > self._audit_size:
            with open(self.store.audit_path, "rb") as fh:
                fh.seek(self._audit_size)
                chunk = fh.read(size - self._audit_size)
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self._audit_size += len(complete)
            out += [audit_log.summary(e) for e in audit_log.parse_lines(complete.splitlines())]
        elif size < self._audit_size:
            self._audit_size = size
        stamp = self._open_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            if not out:
                out.append({"action": "changed"})
        return out

    def close(self) -> None:
        """Nothing to release."""

