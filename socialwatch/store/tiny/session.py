"""One locked read-modify-write over the TinyDB store's files (`TinyStore.session()`)."""

from __future__ import annotations

import pathlib
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from tinydb import Query, TinyDB
from tinydb.table import Table

from socialwatch import audit as audit_log
from socialwatch import model
from socialwatch.store import AddResult, Mention, SessionBase
from socialwatch.store.files import AtomicJSONStorage, commit_files
from socialwatch.store.rawdoc import RawDoc
from socialwatch.store.tiny.conversations import ConversationIndex
from socialwatch.store.tiny.shards import KEY_FIELDS, SEGMENT_SIZE, SHARDS, JsonShard, shard_of

if TYPE_CHECKING:
    from socialwatch.store.tiny.store import TinyStore


class Session(ConversationIndex, SessionBase):
    """One locked read-modify-write over the store's files (use `TinyStore.session()`)."""

    def __init__(self, store: "TinyStore") -> None:
        self.store = store
        self._dbs: dict[pathlib.Path, TinyDB] = {}
        self._tables: dict[tuple[pathlib.Path, str], Table] = {}
        self._shards: dict[tuple[str, int], JsonShard] = {}
        self._open_ids: dict[str, int] | None = None
        self._conversations_ready = False
        self.after_commit: list[Callable[[], None]] = []

    # ---- files ----------------------------------------------------------------------------
    def table(self, path: pathlib.Path, kind: str, name: str) -> Table:
        key = (path, name)
        if key not in self._tables:
            db = self._dbs.get(path)
            if db is None:
                db = self._dbs[path] = TinyDB(path, storage=AtomicJSONStorage, kind=kind)
                db.storage.read()  # refuse a corrupt or foreign file before anything else
            self._tables[key] = db.table(name, cache_size=0)
        return self._tables[key]

    def open_table(self) -> Table:
        return self.table(self.store.open_path, "open", "mentions")

    def segment_table(self, number: int) -> Table:
        return self.table(self.store.segment_path(number), "archive", "mentions")

    def state_table(self, name: str = "sources") -> Table:
        return self.table(self.store.state_path, "state", name)

    def outbox_table(self) -> Table:
        return self.table(self.store.outbox_path, "outbox", "replies")

    def index_shard(self, mention_id: str) -> dict:
        return self._shard("index", shard_of(mention_id)).data

    def _shard(self, kind: str, number: int) -> JsonShard:
        key = (kind, number)
        shard = self._shards.get(key)
        if shard is None:
            path = self.store.shard_path(kind, number)
            shard = self._shards[key] = JsonShard(path, kind, "ids" if kind == "index" else kind)
        return shard

    def _dirty(self, kind: str, key: str) -> dict:
        """The shard holding `key`, marked as changed (written at commit)."""
        shard = self._shard(kind, shard_of(key))
        shard.dirty = True
        return shard.data

    # ---- mentions -------------------------------------------------------------------------
    def open_ids(self) -> dict[str, int]:
        """id -> TinyDB doc_id of every open mention (built once per session)."""
        if self._open_ids is None:
            self.open_table()  # loads (and checks) the file
            raw = self._dbs[self.store.open_path].storage.read().get("mentions", {})
            self._open_ids = {doc["id"]: int(key) for key, doc in raw.items()}
        return self._open_ids

    def archived_segment(self, mention_id: str) -> int | None:
        value = self.index_shard(mention_id).get(mention_id)
        return value if isinstance(value, int) else None

    def get(self, mention_id: str) -> Mention | None:
        doc_id = self.open_ids().get(mention_id)
        if doc_id is not None:
            doc = self.open_table().get(doc_id=doc_id)
            return dict(doc) if doc is not None else None
        seg = self.archived_segment(mention_id)
        if seg is not None:
            doc = self.segment_table(seg).get(Query().id == mention_id)
            return dict(doc) if doc is not None else None
        return None

    def add(self, mentions: list[Mention | RawDoc]) -> AddResult:
        """Store mentions not seen before (by id), in one write per file. A mention may come
        encoded (`RawDoc`, the store's `row_codec`: see `add_rows`); it is written as it is."""
        result = AddResult()
        new, duplicates = result.new, result.duplicates
        fresh_open: list[Mention] = []
        fresh_closed: list[Mention] = []
        seen: set[str] = set()
        open_ids = self.open_ids()
        index: list[dict | None] = [None] * SHARDS  # the index shards looked at (`archived_segment`, inlined)
        open_statuses = model.OPEN_STATUSES
        crc32 = zlib.crc32
        for m in mentions:
            mid = m["id"]
            if mid in seen or mid in open_ids:
                duplicates.append(mid)
                continue
            number = crc32(mid.encode("utf-8", "surrogatepass")) % SHARDS
            archived = index[number]
            if archived is None:
                archived = index[number] = self._shard("index", number).data
            if isinstance(archived.get(mid), int):
                duplicates.append(mid)
                continue
            seen.add(mid)
            new.append(mid)
            (fresh_open if m.get("status", "new") in open_statuses else fresh_closed).append(m)
        if fresh_open or fresh_closed:
            # (before the new mentions are in: building the index reads every stored document,
            # which would turn the new RawDocs back into documents)
            self._ensure_conversations()
        if fresh_closed:
            self._archive(fresh_closed)
        if fresh_open:
            doc_ids = _append(self.open_table(), fresh_open)
            ids = self.open_ids()
            for m, doc_id in zip(fresh_open, doc_ids, strict=False):
                ids[m["id"]] = doc_id
        self._remember_authors(fresh_open + fresh_closed)
        self._remember_conversations(fresh_open + fresh_closed)
        return result

    def put(self, mention: Mention) -> None:
        """Replace a stored mention (same id), moving it between open work and history."""
        mid = mention["id"]
        open_ids = self.open_ids()
        if model.is_open(mention):
            if mid in open_ids:
                self.open_table().update(_replace(mention), doc_ids=[open_ids[mid]])
            else:
                # A reopened mention's archived copy stays where it is (removing it first could
                # lose the mention in a crash); the open copy wins on every read, and the next
                # close replaces the archived copy in place.
                open_ids[mid] = self.open_table().insert(mention)
        else:
            self._archive([mention])
            if mid in open_ids:
                self.open_table().remove(doc_ids=[open_ids.pop(mid)])

    def _archive(self, mentions: list[Mention]) -> None:
        """Write closed mentions into the archive: in place if already there, else appended."""
        appended: list[Mention] = []
        for m in mentions:
            seg = self.archived_segment(m["id"])
            if seg is not None:
                table = self.segment_table(seg)
                found = table.get(Query().id == m["id"])
                if found is not None:
                    table.update(_replace(m), doc_ids=[found.doc_id])
                    continue
            appended.append(m)
        if not appended:
            return
        number = self.store.last_segment()
        table = self.segment_table(number)
        room = SEGMENT_SIZE - len(table)
        start = 0
        while start < len(appended):
            if room <= 0:
                number += 1
                table = self.segment_table(number)
                room = SEGMENT_SIZE - len(table)
            chunk = appended[start : start + room]
            _append(table, chunk)
            for m in chunk:
                self._dirty("index", m["id"])[m["id"]] = number
            start += len(chunk)
            room -= len(chunk)

    def _remember_authors(self, mentions: list[Mention]) -> None:
        """Add each mention's id to its author's list (one shard lookup per author, not per mention)."""
        # handle as given -> (its shard, its list of ids, the same as a set): a set, so that an
        # author with a long history costs one look-up per new mention, not a pass over the list
        known: dict[str, tuple[JsonShard, list[str], set[str]]] = {}
        for mention in mentions:
            author = mention.get("author")
            given = author.get("handle") if author else None
            if not given:
                continue
            entry = known.get(given)
            if entry is None:
                handle = given.lower()
                shard = self._shard("authors", shard_of(handle))
                ids = shard.data.get(handle)
                if ids is None:
                    ids = shard.data[handle] = []
                entry = known[given] = (shard, ids, set(ids))
            shard, ids, present = entry
            mid = mention["id"]
            if mid not in present:
                present.add(mid)
                ids.append(mid)
                shard.dirty = True


    def next_unassigned(self, filters: Any) -> Mention | None:
        """The highest-priority unassigned open mention matching `filters` (a `queue.Filters`),
        to be claimed in this session; None if there is none."""
        from socialwatch import queue

        candidates = [dict(d) for d in self.open_table().all() if not d.get("assignee") and filters.matches(d)]
        now = filters.at()
        return min(candidates, key=lambda m: queue.sort_key(m, now)) if candidates else None

    # ---- small state documents ----------------------------------------------------------
    def state_get(self, namespace: str, key: str) -> dict | None:
        """A small state document (namespaces: sources, alerts, hourly); None if absent."""
        return _find(self.state_table(namespace), KEY_FIELDS[namespace], key)

    def state_put(self, namespace: str, key: str, doc: dict) -> None:
        """Create or replace a state document."""
        field_name = KEY_FIELDS[namespace]
        _upsert(self.state_table(namespace), field_name, {**doc, field_name: key})

    def state_prune(self, namespace: str, before: str) -> None:
        """Remove the state documents whose key sorts before `before`."""
        self.state_table(namespace).remove(Query()[KEY_FIELDS[namespace]] < before)

    def state_all(self, namespace: str) -> dict[str, dict]:
        """Every document of a namespace, by key (read in this session)."""
        field_name = KEY_FIELDS[namespace]
        return {d[field_name]: dict(d) for d in self.state_table(namespace).all() if field_name in d}

    def state_delete(self, namespace: str, key: str) -> None:
        """Remove one state document (nothing if absent)."""
        self.state_table(namespace).remove(Query()[KEY_FIELDS[namespace]] == key)

    # ---- outbox -----------------------------------------------------------------------------
    def replies_for(self, mention_id: str) -> list[dict]:
        """The outbox records of one mention, oldest first."""
        found = [dict(r) for r in self.outbox_table().search(Query().mention_id == mention_id)]
        return sorted(found, key=lambda r: r.get("created_at") or "")

    def reply(self, record_id: str) -> dict | None:
        return _find(self.outbox_table(), "id", record_id)

    def reply_by_key(self, key: str) -> dict | None:
        return _find(self.outbox_table(), "idempotency_key", key)

    def save_reply(self, record: dict) -> None:
        """Create or replace an outbox record (by its `id`)."""
        _upsert(self.outbox_table(), "id", record)

    # ---- audit ------------------------------------------------------------------------------
    def audit(self, entries: list[dict]) -> None:
        """Append audit entries once the session's changes are stored."""
        if entries:
            path = self.store.audit_path
            self.after_commit.append(lambda: audit_log.append(path, entries))

    # ---- commit ---------------------------------------------------------------------------
    def commit(self) -> None:
        """Write every changed file as one (`storage.commit_files`): all of the session's changes
        land, or none do, even when the process is killed half-way through the writes."""
        order = {"archive": 0, "index": 1, "authors": 2, "conversations": 2, "open": 3, "state": 4, "outbox": 5}
        items: list[Any] = [db.storage for db in self._dbs.values()]
        items += list(self._shards.values())
        writes = []
        for item in sorted(items, key=lambda i: order.get(i.kind, 9)):
            pending = item.pending()
            if pending is not None:
                writes.append(pending)
        commit_files(self.store.data_dir, writes)
        for item in items:
            item.dirty = False



def _append(table: Table, docs: list[Mention | RawDoc]) -> list[int]:
    """Add documents to `table` under new document ids, numbered as TinyDB numbers them; a
    `RawDoc` goes in as it is (the file turns it into a document if it is read again before it
    is written). One pass, where TinyDB's `insert_multiple` copies the whole table."""
    storage = table.storage
    data = storage.data()
    rows = data.setdefault(table.name, {})
    next_id = max(map(int, rows), default=0) + 1
    doc_ids = list(range(next_id, next_id + len(docs)))
    raw = storage.raw_docs
    fragment = orjson.Fragment
    for doc_id, doc in zip(doc_ids, docs, strict=True):
        key = str(doc_id)
        if isinstance(doc, RawDoc):
            rows[key] = fragment(doc.json)  # (written by orjson as it is, with no call back into Python)
            raw.append((rows, key, doc))
        else:
            rows[key] = dict(doc)
    storage.write(data)
    table._next_id = None  # (TinyDB's own count of ids is behind now: it counts again)
    table.clear_cache()
    return doc_ids


def _find(table: Table, field_name: str, value: str) -> dict | None:
    """The document whose `field_name` is `value` (a copy), or None."""
    doc = table.get(Query()[field_name] == value)
    return dict(doc) if doc is not None else None


def _upsert(table: Table, field_name: str, doc: dict) -> None:
    """Insert `doc`, or replace the document with the same `field_name` value."""
    found = table.get(Query()[field_name] == doc[field_name])
    if found is None:
        table.insert(doc)
    else:
        table.update(_replace(doc), doc_ids=[found.doc_id])


def _replace(new: Mention) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        doc.clear()
        doc.update(new)

    return apply
