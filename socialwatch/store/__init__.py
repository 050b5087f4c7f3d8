"""The store: mentions, source state and replies, in TinyDB files, safe across processes.

Layout of the data directory:

    open.json               TinyDB: the open work (status new/open/pending), table "mentions"
    archive/seg-NNNNNN.json TinyDB: closed history (resolved/ignored), appended in segments of
                            at most SEGMENT_SIZE mentions, so one update never rewrites more
                            than one small file however long the history grows
    index/NN.json           where each archived id lives (id -> segment), 64 shards by hash
    authors/NN.json         customer history: lower-cased handle -> mention ids, 64 shards
    conversations/NN.json   threads: conversation id -> lower-cased handle -> ids of the mentions
                            in it whose own id is not the conversation id, 64 shards by
                            conversation (how a customer's later DM finds its case, see cases.py);
                            conversations/built.json marks it complete (a store from before it is
                            indexed once, by the first session that adds mentions)
    state.json              TinyDB: per-source cursor and health ("sources"), alerts, meta
    outbox.json             TinyDB: reply records of the exactly-once outbox ("replies")
    audit.jsonl             append-only audit log (see audit.py)
    store.lock              the inter-process lock taken by every read-modify-write

Rules (see storage.py for the file format):
- Every read-modify-write runs in a `Session` holding `store.lock`. A session opens fresh
  TinyDB objects, so no cache from before the lock is trusted, and writes each changed file
  once, atomically, when it commits. Files are written in an order that never loses a
  mention: archive before index before open, mentions before cursors.
- Reads of the open queue need no lock: files are only ever replaced whole.
- Mentions are keyed on our own id ("twitter:123"), never on TinyDB's doc_id.
- An id present both in the open file and in the archive (a crash between two writes of a
  move) counts once: the open copy wins, and the next move replaces the archived copy.
"""

from __future__ import annotations

import contextlib
import errno
import pathlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tinydb import Query, TinyDB
from tinydb.table import Table

from socialwatch import audit as audit_log
from socialwatch import model
from socialwatch.errors import ConfigError, NotFound, SocialwatchError, StoreError
from socialwatch.store.files import (
    FORMAT,
    MARKER,
    AtomicJSONStorage,
    DocFile,
    commit_files,
    dump,
    needs_recovery,
    read_json,
    recover,
)
from socialwatch.store.locking import FileLock

#: errors writing the data directory that mean its path or permissions are wrong (configuration)
_PATH_ERRNOS = {errno.ENOENT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}

SEGMENT_SIZE = 500
SHARDS = 64
LOCK_TIMEOUT = 120.0
# The field that keys each namespace of small state documents in state.json.
KEY_FIELDS = {"sources": "name", "alerts": "key", "hourly": "hour",
              # CSAT surveys (see socialwatch.csat): cases whose survey is due, sent surveys by their platform
              # reference, and the last survey per customer
              "csat_due": "id", "csat_refs": "ref", "csat_customers": "customer"}

Mention = dict[str, Any]


def shard_of(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS


@dataclass
class AddResult:
    """What `add_mentions` did: ids stored for the first time and ids already present."""

    new: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RowCodec:
    """How a store that writes mentions in a form of its own (a database server's rows) encodes
    a mention for `Session.add_rows` and reads one back: plain functions, safe in any process.
    `plain(row)`: whether the row survives a trip through JSON unchanged."""

    encode: Callable[[Mention], Any]
    decode: Callable[[Any], Mention]
    plain: Callable[[Any], bool]


class _JsonShard:
    """A plain JSON file holding one dict under `key` (index and author shards)."""

    def __init__(self, path: pathlib.Path, kind: str, key: str) -> None:
        self.path = path
        self.kind = kind
        self.key = key
        data = read_json(path, kind)
        self.data: dict = (data or {}).get(key, {})
        self.dirty = False

    def pending(self) -> tuple[pathlib.Path, bytes] | None:
        if self.dirty:
            return self.path, dump({MARKER: {"format": FORMAT, "kind": self.kind}, self.key: self.data})
        return None


class SessionBase:
    """What every backend's session shares: `require` and the source state, on top of `get`
    and the state documents each backend implements."""

    def get(self, mention_id: str) -> Mention | None:
        raise NotImplementedError

    def state_get(self, namespace: str, key: str) -> dict | None:
        raise NotImplementedError

    def state_put(self, namespace: str, key: str, doc: dict) -> None:
        raise NotImplementedError

    def state_claim(self, namespace: str, key: str) -> dict | None:
        """A state document taken for this session, or None when it is absent or (on a database)
        another session holds it right now: a queue of work items that several processes drain
        (the default: `state_get`, which the TinyDB store's single lock already serialises)."""
        return self.state_get(namespace, key)

    def state_delete(self, namespace: str, key: str) -> None:
        raise NotImplementedError

    def state_all(self, namespace: str) -> dict[str, dict]:
        raise NotImplementedError

    def add(self, mentions: list[Mention]) -> AddResult:
        raise NotImplementedError

    def add_rows(self, rows: list[Any]) -> AddResult:
        """`add` for mentions encoded by the store's `row_codec` (the mentions themselves
        when it has none)."""
        return self.add(rows)

    def peek(self, mention_id: str) -> Mention | None:
        """The mention as stored, without locking it for this session (a database's sessions lock
        what they `get`; the files' session holds the one store lock anyway)."""
        return self.get(mention_id)

    def conversation_mentions(self, conversation_id: str, handle: str) -> list[Mention]:
        """The stored mentions by `handle` (any case) in the conversation `conversation_id`
        (not locked), found by an index whatever the size of the history."""
        raise NotImplementedError

    def get_in_case(self, mention_id: str) -> Mention | None:
        """`get`, having locked the mention's case root first when it is a follow-up (see
        `cases`): every change to a case locks its root before any other member, so that two
        sessions changing one case wait for each other instead of deadlocking."""
        return self.get(mention_id)

    def require(self, mention_id: str) -> Mention:
        """The mention, or NotFound."""
        mention = self.get(mention_id)
        if mention is None:
            raise NotFound(f"no mention with id {mention_id!r}")
        return mention

    def source_state(self, name: str) -> dict:
        """A source's cursor and health ({"name": name} before its first poll)."""
        return self.state_get("sources", name) or {"name": name}

    def set_source_state(self, name: str, state: dict) -> None:
        self.state_put("sources", name, {**state, "name": name})


class Session(SessionBase):
    """One locked read-modify-write over the store's files (use `TinyStore.session()`)."""

    def __init__(self, store: "TinyStore") -> None:
        self.store = store
        self._dbs: dict[pathlib.Path, TinyDB] = {}
        self._tables: dict[tuple[pathlib.Path, str], Table] = {}
        self._shards: dict[tuple[str, int], _JsonShard] = {}
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

    def _shard(self, kind: str, number: int) -> _JsonShard:
        key = (kind, number)
        shard = self._shards.get(key)
        if shard is None:
            path = self.store.shard_path(kind, number)
            shard = self._shards[key] = _JsonShard(path, kind, "ids" if kind == "index" else kind)
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

    def add(self, mentions: list[Mention]) -> AddResult:
        """Store mentions not seen before (by id), in one write per file."""
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
        if fresh_closed:
            self._archive(fresh_closed)
        if fresh_open:
            doc_ids = self.open_table().insert_multiple(fresh_open)
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
            table.insert_multiple(chunk)
            for m in chunk:
                self._dirty("index", m["id"])[m["id"]] = number
            start += len(chunk)
            room -= len(chunk)

    def _remember_authors(self, mentions: list[Mention]) -> None:
        """Add each mention's id to its author's list (one shard lookup per author, not per mention)."""
        # handle as given -> (its shard, its list of ids, the same as a set): a set, so that an
        # author with a long history costs one look-up per new mention, not a pass over the list
        known: dict[str, tuple[_JsonShard, list[str], set[str]]] = {}
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

    # ---- conversations (see the module docstring) ---------------------------------------------
    def _remember_conversations(self, mentions: list[Mention]) -> None:
        """Add each mention that continues a conversation (its conversation id is not its own id)
        to the conversation index, under its author."""
        todo = [m for m in mentions if _conversation_key(m) is not None]
        if not todo and self._conversations_ready:
            return
        self._ensure_conversations()
        for m in todo:
            self._index_conversation(m)

    def _index_conversation(self, mention: Mention) -> None:
        key = _conversation_key(mention)
        if key is None:
            return
        conversation, handle = key
        shard = self._shard("conversations", shard_of(conversation))
        ids = shard.data.setdefault(conversation, {}).setdefault(handle, [])
        if mention["id"] not in ids:
            ids.append(mention["id"])
            shard.dirty = True

    def _ensure_conversations(self) -> None:
        """Index the conversations of every stored mention once, in a store from before the index
        (the marker file says it is complete): a pass over the whole history, the first time only."""
        if self._conversations_ready:
            return
        self._conversations_ready = True
        marker_path = self.store.conversations_marker()
        if marker_path.exists():
            return
        for m in self.open_table().all():
            self._index_conversation(m)
        archive = self.store.data_dir / "archive"
        numbers = set(self.store.segments()) | {
            int(path.stem[4:]) for path, _ in self._tables if path.parent == archive and path.stem[4:].isdigit()}
        for number in sorted(numbers):
            path = self.store.segment_path(number)
            loaded = self._tables.get((path, "mentions"))
            docs = loaded.all() if loaded is not None else (read_json(path, "archive") or {}).get("mentions", {}).values()
            for m in docs:
                self._index_conversation(m)
        marker = self._shards[("conversations", -1)] = _JsonShard(marker_path, "conversations", "built")
        marker.data = {"complete": True}
        marker.dirty = True

    def conversation_mentions(self, conversation_id: str, handle: str) -> list[Mention]:
        """The stored mentions by `handle` (any case) in the conversation `conversation_id`, the
        one whose own id it is included (an index lookup, however long the history)."""
        self._ensure_conversations()
        key = handle.lower()
        ids = list(self._shard("conversations", shard_of(conversation_id)).data.get(conversation_id, {}).get(key, []))
        if conversation_id not in ids:
            ids.insert(0, conversation_id)
        found = []
        for mid in ids:
            m = self.get(mid)
            if (m is not None and m.get("conversation_id") == conversation_id
                    and ((m.get("author") or {}).get("handle") or "").lower() == key):
                found.append(m)
        return found

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


def _conversation_key(mention: Mention) -> tuple[str, str] | None:
    """(conversation id, lower-cased author handle) of a mention that continues a conversation
    other than itself, else None."""
    conversation = mention.get("conversation_id")
    if not conversation or not isinstance(conversation, str) or conversation == mention.get("id"):
        return None
    handle = (mention.get("author") or {}).get("handle")
    if not handle or not isinstance(handle, str):
        return None
    return conversation, handle.lower()


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


class TinyStore:
    """The TinyDB store behind a small interface (see the module docstring)."""

    backend = "tinydb"
    row_codec: RowCodec | None = None  # the files take the mentions themselves (see RowCodec)

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

    def use_pool(self, size: int) -> None:
        """Nothing to pool: files are opened per session (see PgStore.use_pool)."""

    def watch(self) -> "FileWatcher":
        """Changes other processes make to the queue, for a live `triage` (see FileWatcher)."""
        return FileWatcher(self)

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
        """The open file for lookups of a few mentions by id (see storage.DocFile)."""
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

    # ---- presence (see presence.py) -----------------------------------------------------------
    def presence_board(self) -> Any:
        """Who is viewing what: `presence.json`, apart from the queue (see presence_file.py)."""
        from socialwatch.presence_file import PresenceFile

        return PresenceFile(self.data_dir)

    def close(self) -> None:
        """Release resources (nothing for files)."""



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


def open_store(data_dir: pathlib.Path) -> TinyStore:
    """The TinyDB store of a data directory (created on the first write if it does not exist)."""
    if data_dir.exists() and not data_dir.is_dir():
        raise StoreError(f"{data_dir} is not a directory")
    return TinyStore(data_dir)


def store_for(config: Any) -> Any:
    """The store a configuration names: `[store] backend` "tinydb" (default) or "postgres".

    A data directory set with `[store] path` must exist (`socialwatch init` creates it): a
    mistyped path is a configuration error naming the key, never an empty queue. The default
    data directory (no `path`) is created on the first write.
    """
    from socialwatch.errors import ConfigError

    table = config.table("store")
    if table.get("backend", "tinydb") == "postgres":
        from socialwatch.pgstore import PgStore

        return PgStore(config.resolve_value(table["url"], "store.url"))
    data_dir = config.data_dir
    if "path" not in table:
        return open_store(data_dir)
    where = {"path": str(config.path), "key": "store.path"}
    if not data_dir.exists():
        raise ConfigError(f"the data directory {data_dir} does not exist: fix the path, or run `socialwatch init` "
                          "to create it", **where)
    if not data_dir.is_dir():
        raise ConfigError(f"{data_dir} is not a directory", **where)
    return TinyStore(data_dir, config_file=str(config.path), key="store.path")


__all__ = ["AddResult", "Session", "SessionBase", "TinyStore", "open_store", "store_for"]
