"""The TinyDB store's reads that take no lock (files are only ever replaced whole), a mixin of
`TinyStore`."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from socialwatch import audit as audit_log
from socialwatch.store import Mention
from socialwatch.store.files import DocFile, needs_recovery, read_json, recover
from socialwatch.store.tiny.shards import KEY_FIELDS, LOCK_TIMEOUT, SHARDS, shard_of

if TYPE_CHECKING:
    from socialwatch.store.locking import FileLock


class LockFreeReads:
    """The lock-free reads of `TinyStore` (which gives the paths, `lock`, `segments` and `session`)."""

    data_dir: pathlib.Path
    open_path: pathlib.Path
    state_path: pathlib.Path
    outbox_path: pathlib.Path
    audit_path: pathlib.Path
    lock: "FileLock"

    # ---- lock-free reads ------------------------------------------------------------------
    def _settle(self) -> None:
        """Before a lock-free read: finish a commit that a killed process left half-done (a stat
        when there is none), so that readers never see one file of a commit without the others."""
        if needs_recovery(self.data_dir):
            self.lock.acquire(timeout=LOCK_TIMEOUT)
            try:
                recover(self.data_dir)
            finally:
                self.lock.release()

    def open_mentions(self) -> list[Mention]:
        """A snapshot of the open queue (no lock: the file is replaced whole, never torn)."""
        self._settle()
        data = read_json(self.open_path, "open")
        if data is None:
            return []
        return list(data.get("mentions", {}).values())

    def snapshot(self) -> list[Mention] | None:
        """The open queue read once, for a command that looks up several mentions (pass it as
        `open_list`); a database backend returns None and answers each lookup by index."""
        return self.open_mentions()

    def select_open(self, filters: Any, limit: int | None = None) -> list[Mention]:
        """Open mentions matching `filters` (a `queue.Filters`), highest priority first."""
        from socialwatch import queue

        found = queue.select(self.open_mentions(), filters)
        return found if limit is None else found[:limit]


    def get(self, mention_id: str, open_list: list[Mention] | None = None) -> Mention:
        """One mention by id, open or archived; NotFound if unknown.

        Lock-free: the open file, else the archive segment the index names (files are replaced
        whole, never torn). A mention moved between the two reads is found under the lock.
        """
        if open_list is None:
            found = self.open_file().doc(mention_id)
            if found is not None:
                return found
        else:
            for m in open_list:
                if m.get("id") == mention_id:
                    return m
        found = self._archived(mention_id)
        if found is not None:
            return found
        with self.session() as s:
            return s.require(mention_id)

    def _archived(self, mention_id: str) -> Mention | None:
        index = read_json(self.shard_path("index", shard_of(mention_id)), "index") or {}
        seg = index.get("ids", {}).get(mention_id)
        if not isinstance(seg, int):
            return None
        return DocFile(self.segment_path(seg), "archive").doc(mention_id)

    def open_file(self) -> DocFile:
        """The open file for lookups of a few mentions by id (see store.files.DocFile)."""
        self._settle()
        return DocFile(self.open_path, "open")

    def iter_all(self) -> Iterator[Mention]:
        """Every stored mention once, open first, then history one segment at a time."""
        import itertools

        return itertools.chain.from_iterable(self.iter_batches())

    def iter_batches(self) -> Iterator[list[Mention]]:
        """The open queue, then each archive segment, as lists (memory bounded by one segment);
        an archived copy of a reopened mention is left out (the open copy wins)."""
        open_list = self.open_mentions()
        open_ids = {m["id"] for m in open_list}
        yield open_list
        for number in self.segments():
            data = read_json(self.segment_path(number), "archive") or {}
            yield [m for m in data.get("mentions", {}).values() if m.get("id") not in open_ids]

    def count(self) -> dict[str, int]:
        """Open and archived counts (a reopened mention counts once, as open)."""
        self._settle()
        open_ids = {m.get("id") for m in self.open_mentions()}
        archived = 0
        for number in self.segments():
            data = read_json(self.segment_path(number), "archive")
            archived += sum(1 for m in (data or {}).get("mentions", {}).values() if m.get("id") not in open_ids)
        return {"open": len(open_ids), "archived": archived}

    def author_history(self, handle: str | None, exclude: str | None = None, limit: int = 20,
                       open_list: list[Mention] | None = None) -> list[Mention]:
        """The author's other mentions (any source), newest first (`open_list`: a snapshot of the
        open queue the caller already read)."""
        if not handle:
            return []
        key = handle.lower()
        data = read_json(self.shard_path("authors", shard_of(key)), "authors") or {}
        ids = [i for i in data.get("authors", {}).get(key, []) if i != exclude]
        if not ids:
            return []
        wanted = set(ids)
        if open_list is None:  # a few lookups in the open file's bytes, not the whole queue parsed
            opened = self.open_file()
            found = [m for m in (opened.doc(i) for i in dict.fromkeys(ids)) if m is not None]
        else:
            found = [m for m in open_list if m.get("id") in wanted]
        missing = wanted - {m["id"] for m in found}
        if missing:
            by_segment: dict[int, set[str]] = {}
            shards: dict[int, dict] = {}
            for mid in missing:
                number = shard_of(mid)
                if number not in shards:
                    shards[number] = (read_json(self.shard_path("index", number), "index") or {}).get("ids", {})
                seg = shards[number].get(mid)
                if isinstance(seg, int):
                    by_segment.setdefault(seg, set()).add(mid)
            for seg, mids in by_segment.items():
                segment = DocFile(self.segment_path(seg), "archive")
                found += [m for m in (segment.doc(i) for i in sorted(mids)) if m is not None]
        found.sort(key=lambda m: m.get("created_at") or "", reverse=True)
        return found[:limit]

    def source_states(self) -> dict[str, dict]:
        return self.state_all("sources")

    def state_all(self, namespace: str) -> dict[str, dict]:
        """Every state document of a namespace, by key."""
        self._settle()
        data = read_json(self.state_path, "state") or {}
        field_name = KEY_FIELDS[namespace]
        return {d[field_name]: d for d in data.get(namespace, {}).values() if isinstance(d, dict) and field_name in d}

    def replies(self, states: tuple[str, ...] | None = None) -> list[dict]:
        """Outbox records, oldest first, optionally only in some states."""
        self._settle()
        data = read_json(self.outbox_path, "outbox") or {}
        out = [r for r in data.get("replies", {}).values() if isinstance(r, dict)]
        if states:
            out = [r for r in out if r.get("state") in states]
        return sorted(out, key=lambda r: r.get("created_at") or "")

    def replies_of(self, mention_id: str) -> list[dict]:
        """The outbox records of one mention, oldest first (no lock)."""
        return [r for r in self.replies() if r.get("mention_id") == mention_id]

    def audit_entries(self, mention_id: str | None = None) -> Iterator[dict]:
        """Audit entries in order, optionally only those of one mention."""
        return audit_log.read(self.audit_path, mention_id)


    # ---- lookups by what agents type ---------------------------------------------------------
    def ids_with_native(self, native: str, limit: int = 20) -> list[str]:
        """The stored ids (open or archived) whose native part (after "PLATFORM:") is `native`.

        Reads the open queue and the archive's index shards (no lock; each file is replaced
        whole): only for an agent typing a bare native id, never on a hot path."""
        suffix = ":" + native
        found = {m["id"] for m in self.open_mentions() if str(m.get("id", "")).endswith(suffix)}
        for number in range(SHARDS):
            data = read_json(self.shard_path("index", number), "index") or {}
            found.update(i for i in data.get("ids", {}) if i.endswith(suffix))
            if len(found) >= limit:
                break
        return sorted(i for i in found if i.split(":", 1)[-1] == native)[:limit]

    def handles_like(self, local: str, limit: int = 20) -> list[str]:
        """Stored author handles (lower-cased) whose local part is `local` (lower-cased):
        "sian" finds "sian@toot.wales" (Mastodon) and "sian.bsky.social" (Bluesky)."""
        found: set[str] = set()
        for number in range(SHARDS):
            data = read_json(self.shard_path("authors", number), "authors") or {}
            found.update(h for h in data.get("authors", {}) if h.startswith((local + "@", local + ".")))
        return sorted(found)[:limit]

