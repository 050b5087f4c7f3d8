"""The PostgreSQL store: the same interface as `store.TinyStore`, for teams on several machines.

Chosen with `[store] backend = "postgres"` and `url = "$DATABASE_URL"` (a libpq URL read from
the environment). psycopg is imported only when this backend is used.

How it keeps the TinyDB store's promises the database's way:
- A `PgSession` is one transaction. Every mention, outbox record or state document it reads
  for writing is locked (`SELECT … FOR UPDATE`), so two agents changing one mention are
  serialised and no update is lost; the transaction commits when the block ends without error
  and rolls back otherwise, so a failed command changes nothing.
- New mentions are upserted on their id (`INSERT … ON CONFLICT DO NOTHING`; big batches by
  COPY, falling back to that insert when another session stores one of their ids meanwhile):
  polling the same data twice, or from two machines at once, stores each mention once. Rows go
  in by id order, so that two sessions adding overlapping ids (two imports of one file, in any
  order) wait for each other one way only and never deadlock.
- `claim` takes the best unassigned open mention with `FOR UPDATE SKIP LOCKED`: agents racing
  for the queue never wait on each other and never get the same mention.
- Per-source polling holds a session-level advisory lock, so pollers on different machines
  never poll one source at once.
- Each committed change to the queue sends `NOTIFY socialwatch_queue` (payload: action, id,
  agent), which `triage` listens to.
- The password of the URL never appears in errors, logs or `health`: `describe()` masks it.

One-shot commands use one connection; the daemon calls `use_pool()` for a connection pool.
A forked child (the daemon's polls) never touches its parent's connections.
"""

from __future__ import annotations

import contextlib
import os
import zlib
from collections.abc import Iterator
from typing import Any

import orjson

from socialwatch import model
from socialwatch.errors import Busy, Contention, NotFound, StoreError
from socialwatch.pgschema import MIGRATIONS, ON_FIRST_USE, SCHEMA_VERSION
from socialwatch.secrets import mask
from socialwatch.store import AddResult, Mention, RowCodec, SessionBase

CHANNEL = "socialwatch_queue"
BATCH = 2000
_COLUMNS = "id, doc, raw, status, is_open, priority, created_at, assignee, source, author_key"
# Many mentions in one statement, one array per column. Binary parameters: the text format would
# escape every quote of every document. The documents arrive as text and are parsed one by one
# (`d::jsonb`): casting the whole array (`text[]::jsonb[]`) costs the server half as much again.
_INSERT_MANY = (
    f"INSERT INTO mentions ({_COLUMNS}) SELECT i, d::jsonb, r, st, o, p, c, a, so, au FROM unnest("
    "%b::text[], %b::text[], %b::bytea[], %b::text[], %b::bool[], %b::int[], %b::text[], %b::text[], %b::text[], "
    "%b::text[]) AS u(i, d, r, st, o, p, c, a, so, au) ON CONFLICT (id) DO NOTHING RETURNING id"
)
# Bigger adds are copied in (see `PgSession._copy_new`).
COPY_MIN = 100
_COPY = f"COPY mentions ({_COLUMNS}) FROM STDIN (FORMAT BINARY)"
# (the document goes as jsonb's own binary field, made by `_jsonb_field`, hence "bytea" here)
_COPY_TYPES = ["text", "bytea", "bytea", "text", "bool", "int4", "text", "text", "text", "text"]


def _jsonb_field(doc: str) -> bytes:
    """A JSON text as jsonb's binary COPY field (format version 1, then the text), sent as it is:
    psycopg's jsonb dumper would encode a str again, as a JSON string."""
    return b"\x01" + doc.encode("utf-8")


class SchemaMismatch(StoreError):
    """The database's schema version is not the one this socialwatch uses (exit 2)."""

    exit_code = 2


def masked_url(url: str) -> str:
    """The URL without its password (for people and logs)."""
    try:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(url)
        if "password" in params:
            params["password"] = "***"
            if "://" in url:
                return mask(url)
            return make_conninfo(**params)
    except Exception:  # a URL libpq cannot parse is still masked as text
        pass
    return mask(url)


# ---- documents ---------------------------------------------------------------------------
def encode(doc: dict) -> tuple[str, bytes | None]:
    """(jsonb text, exact bytes when the document holds a NUL that jsonb cannot)."""
    data = orjson.dumps(doc)
    if b"\\u0000" not in data:
        return data.decode("utf-8"), None
    return data.replace(b"\\u0000", b"\\ufffd").decode("utf-8"), data


def decode(doc: Any, raw: bytes | memoryview | None) -> dict:
    if raw is not None:
        return orjson.loads(bytes(raw))
    if isinstance(doc, (str, bytes)):
        return orjson.loads(doc)
    return doc


def _text(value: Any) -> str | None:
    """A value for an indexed text column (None unless a string; NUL, which text cannot hold,
    becomes U+FFFD there, while the document keeps the original)."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else None


Row = tuple  # (id, doc, raw, status, is_open, priority, created_at, assignee, source, author_key)


def encode_row(m: Mention) -> Row:
    """The mentions table's row for a mention (`_COLUMNS`); a pure function, so that an import
    can encode in the worker process that scored the mention."""
    doc, raw = encode(m)
    handle = (m.get("author") or {}).get("handle")
    return (m["id"], doc, raw, _text(m.get("status")) or "new", model.is_open(m), model.effective_priority(m),
            _text(m.get("created_at")) or "", _text(m.get("assignee")), _text(m.get("source")),
            _text(handle.lower()) if isinstance(handle, str) and handle else None)


def _row_id(row: Row) -> str:
    return row[0]


def _decode_row(row: Row) -> Mention:
    return decode(row[1], row[2])


def _plain_row(row: Row) -> bool:
    return row[2] is None  # (the exact bytes of a document holding a NUL are no JSON)


ROWS = RowCodec(encode_row, _decode_row, _plain_row)


def _lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for a name."""
    text = "\x00".join(parts).encode("utf-8", "surrogatepass")
    value = (zlib.crc32(text) << 32) | zlib.adler32(text)
    return value - (1 << 64) if value >= 1 << 63 else value


# ---- sessions ----------------------------------------------------------------------------
class PgSession(SessionBase):
    """One transaction over the store (use `PgStore.session()`); the interface of `store.Session`."""

    def __init__(self, store: "PgStore", conn: Any) -> None:
        self.store = store
        self.conn = conn
        self.after_commit: list = []
        self._notes: list[dict] = []

    def _doc(self, sql: str, params: tuple) -> dict | None:
        """The one document (doc, raw) a query selects, or None."""
        row = self.conn.execute(sql, params).fetchone()
        return decode(row[0], row[1]) if row else None

    # ---- mentions -------------------------------------------------------------------------
    def get(self, mention_id: str) -> Mention | None:
        return self._doc("SELECT doc, raw FROM mentions WHERE id = %s FOR UPDATE", (mention_id,))

    def peek(self, mention_id: str) -> Mention | None:
        return self._doc("SELECT doc, raw FROM mentions WHERE id = %s", (mention_id,))

    def conversation_mentions(self, conversation_id: str, handle: str) -> list[Mention]:
        """The stored mentions by `handle` (any case) in the conversation `conversation_id`
        (unlocked; by the index `mentions_conversation`)."""
        rows = self.conn.execute(
            "SELECT doc, raw FROM mentions WHERE (doc->>'conversation_id') = %s AND author_key = %s ORDER BY seq",
            (_text(conversation_id), _text(handle.lower()))).fetchall()
        return [decode(d, r) for d, r in rows]

    def get_in_case(self, mention_id: str) -> Mention | None:
        row = self.conn.execute("SELECT doc->>'case_id' FROM mentions WHERE id = %s", (mention_id,)).fetchone()
        if row is None:
            return None
        if row[0] and row[0] != mention_id:
            self.get(row[0])  # the root first (a follow-up never leaves its case)
        return self.get(mention_id)

    def add(self, mentions: list[Mention]) -> AddResult:
        """Store mentions not seen before (by id); the rest are reported as duplicates."""
        return self.add_rows([encode_row(m) for m in mentions])

    def add_rows(self, rows: list[Row]) -> AddResult:
        """`add` for mentions already encoded by `encode_row` (perhaps in another process)."""
        result = AddResult()
        if not rows:
            return result
        seen: set[str] = set()
        unique = []
        for row in rows:
            if row[0] not in seen:
                seen.add(row[0])
                unique.append(row)
        # In id order: sessions adding overlapping ids then wait for each other in one direction
        # only, so that two imports of the same mentions in any order never deadlock.
        unique.sort(key=_row_id)
        inserted: set[str] = set()
        for start in range(0, len(unique), BATCH):
            chunk = unique[start : start + BATCH]
            inserted |= self._copy_new(chunk) if len(chunk) >= COPY_MIN else self._insert_new(chunk)
        for row in rows:
            mid = row[0]
            if mid in inserted:
                inserted.discard(mid)  # a repeat within the batch is a duplicate
                result.new.append(mid)
            else:
                result.duplicates.append(mid)
        if result.new:
            self._notes.append({"action": "new", "count": len(result.new)})
        return result

    def _insert_new(self, rows: list[Row]) -> set[str]:
        """Insert the rows whose id is not stored yet; the ids inserted."""
        with self.conn.cursor() as cur:
            cur.execute(_INSERT_MANY, [list(col) for col in zip(*rows, strict=True)])
            return {r[0] for r in cur.fetchall()}

    def _copy_new(self, rows: list[Row]) -> set[str]:
        """`_insert_new` by COPY, which costs the server about half as much as INSERT … ON
        CONFLICT (one bulk insert instead of a speculative insertion per row): the biggest part of
        an import's load on the server, after parsing the documents.

        The rows (in id order, see `add_rows`) already stored are left out first. Should another
        session store one of the rest in the meantime, the primary key stops the copy (waiting for
        that session to commit, as an insert would; or, with a session that does not add in id
        order, the wait ends in a deadlock); the copy is rolled back to its savepoint and the rows
        go in by INSERT … ON CONFLICT DO NOTHING after all, so nothing is stored twice or lost,
        whoever wins.
        """
        import psycopg

        stored = {r[0] for r in self.conn.execute("SELECT id FROM mentions WHERE id = ANY(%s)", ([r[0] for r in rows],))}
        fresh = [r for r in rows if r[0] not in stored]
        if not fresh:
            return set()
        try:
            with self.conn.transaction(), self.conn.cursor() as cur, cur.copy(_COPY) as copy:
                copy.set_types(_COPY_TYPES)
                for row in fresh:
                    copy.write_row((row[0], _jsonb_field(row[1]), *row[2:]))
        except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected):
            return self._insert_new(fresh)
        return {r[0] for r in fresh}

    def put(self, mention: Mention) -> None:
        """Replace a stored mention (same id), or store it."""
        self.conn.execute(
            f"INSERT INTO mentions ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc, raw = EXCLUDED.raw, status = EXCLUDED.status, "
            "is_open = EXCLUDED.is_open, priority = EXCLUDED.priority, created_at = EXCLUDED.created_at, "
            "assignee = EXCLUDED.assignee, source = EXCLUDED.source, author_key = EXCLUDED.author_key",
            encode_row(mention),
        )

    def next_unassigned(self, filters: Any) -> Mention | None:
        """The best unassigned open mention matching `filters`, locked for this transaction;
        rows another agent is claiming right now are skipped, never waited for."""
        # Candidates are read without locks, best first; only the one taken is locked (SKIP
        # LOCKED, with the conditions checked again on the row's latest version), so agents
        # claiming at once each get the best mention nobody else is taking.
        where, params = _pushdown(filters)
        live, at = _live(filters)
        sql = ("SELECT id, doc, raw FROM mentions WHERE is_open AND assignee IS NULL" + where +
               f" ORDER BY {live} DESC, created_at, id LIMIT %s OFFSET %s")
        params = (*params, at)
        take = "SELECT doc, raw FROM mentions WHERE id = %s AND is_open AND assignee IS NULL FOR UPDATE SKIP LOCKED"
        offset = 0
        while True:
            rows = self.conn.execute(sql, (*params, 50, offset)).fetchall()
            for mid, doc, raw in rows:
                if not filters.matches(decode(doc, raw)):
                    continue
                m = self._doc(take, (mid,))
                if m is not None and not m.get("assignee") and filters.matches(m):
                    return m
            if len(rows) < 50:
                return None
            offset += len(rows)

    # ---- state documents ------------------------------------------------------------------
    def state_get(self, namespace: str, key: str) -> dict | None:
        # A missing document is locked by name, so that two sessions creating it are serialised.
        self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("state", namespace, key),))
        return self._doc("SELECT doc, raw FROM state WHERE namespace = %s AND key = %s FOR UPDATE", (namespace, _text(key)))

    def state_put(self, namespace: str, key: str, doc: dict) -> None:
        self.conn.execute(
            "INSERT INTO state (namespace, key, doc, raw) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (namespace, key) DO UPDATE SET doc = EXCLUDED.doc, raw = EXCLUDED.raw",
            (namespace, _text(key), *encode(doc)),
        )

    def state_prune(self, namespace: str, before: str) -> None:
        self.conn.execute("DELETE FROM state WHERE namespace = %s AND key < %s", (namespace, before))

    def state_claim(self, namespace: str, key: str) -> dict | None:
        """The document locked for this transaction; None if absent or another session holds it
        (FOR UPDATE SKIP LOCKED: senders draining a queue never wait on each other)."""
        return self._doc("SELECT doc, raw FROM state WHERE namespace = %s AND key = %s FOR UPDATE SKIP LOCKED",
                         (namespace, _text(key)))

    def state_all(self, namespace: str) -> dict[str, dict]:
        """Every document of a namespace, by key (not locked)."""
        rows = self.conn.execute("SELECT key, doc, raw FROM state WHERE namespace = %s ORDER BY key", (namespace,)).fetchall()
        return {k: decode(d, r) for k, d, r in rows}

    def state_delete(self, namespace: str, key: str) -> None:
        self.conn.execute("DELETE FROM state WHERE namespace = %s AND key = %s", (namespace, _text(key)))

    # ---- outbox ---------------------------------------------------------------------------
    def replies_for(self, mention_id: str) -> list[dict]:
        rows = self.conn.execute("SELECT doc, raw FROM outbox WHERE mention_id = %s ORDER BY created_at, id FOR UPDATE",
                                 (mention_id,)).fetchall()
        return [decode(d, r) for d, r in rows]

    def reply(self, record_id: str) -> dict | None:
        return self._doc("SELECT doc, raw FROM outbox WHERE id = %s FOR UPDATE", (record_id,))

    def reply_by_key(self, key: str) -> dict | None:
        return self._doc("SELECT doc, raw FROM outbox WHERE idempotency_key = %s FOR UPDATE", (key,))

    def save_reply(self, record: dict) -> None:
        doc, raw = encode(record)
        self.conn.execute(
            "INSERT INTO outbox (id, mention_id, idempotency_key, state, created_at, doc, raw) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET mention_id = EXCLUDED.mention_id, "
            "idempotency_key = EXCLUDED.idempotency_key, state = EXCLUDED.state, created_at = EXCLUDED.created_at, "
            "doc = EXCLUDED.doc, raw = EXCLUDED.raw",
            (_text(record["id"]), _text(record["mention_id"]), _text(record["idempotency_key"]), _text(record["state"]),
             _text(record.get("created_at")) or "", doc, raw),
        )

    # ---- audit ----------------------------------------------------------------------------
    def audit(self, entries: list[dict]) -> None:
        """Write audit entries in this transaction (they commit with the change they record)."""
        if not entries:
            return
        from socialwatch.audit import summary

        rows = []
        for e in entries:
            self._notes.append(summary(e))
            doc, raw = encode(e)
            rows.append((_text(e.get("id")), _text(e.get("at")), doc, raw))
        with self.conn.cursor() as cur:
            cur.executemany("INSERT INTO audit (mention_id, at, entry, raw) VALUES (%s, %s, %s, %s)", rows)

    def commit(self) -> None:
        """Queue the notifications (PostgreSQL delivers them when the transaction commits)."""
        notes = self._notes if len(self._notes) <= 100 else [{"action": "changed", "count": len(self._notes)}]
        for note in notes:
            self.conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, orjson.dumps(note).decode()[:7000]))
        self._notes.clear()


#: The effective priority at a time (the one %s parameter, a timestamptz): the stored priority
#: plus the live waiting factor of `model.waiting_points`, for open rows that need a response
#: and have no answer or agent override. The open rows are few, so ordering by it is cheap.
LIVE_PRIORITY = (
    "(CASE WHEN jsonb_typeof(doc->'score'->'waiting') = 'object' AND created_at <> ''"
    " AND COALESCE(doc->>'first_response_at', '') = '' AND jsonb_typeof(doc->'priority_override') IS DISTINCT FROM 'number'"
    " AND (doc->'score'->'waiting'->>'weight')::float8 > 0 AND (doc->'score'->'waiting'->>'cap_hours')::float8 > 0"
    " THEN LEAST(100, priority + floor((doc->'score'->'waiting'->>'weight')::float8 * LEAST(1.0,"
    " GREATEST(0.0, extract(epoch FROM (%s::timestamptz - created_at::timestamptz))::float8 / 3600.0)"
    " / (doc->'score'->'waiting'->>'cap_hours')::float8))::int)"
    " ELSE priority END)"
)


def _live(filters: Any) -> tuple[str, Any]:
    """The ORDER BY expression of the live priority and its time parameter."""
    return LIVE_PRIORITY, (filters.at() if filters is not None else model.utcnow())


def _pushdown(filters: Any) -> tuple[str, tuple]:
    """SQL conditions for the filters the columns can answer (the rest are checked in Python)."""
    sql, params = "", []
    if filters is None:
        return sql, ()
    if not getattr(filters, "followups", True):  # cases only (see `cases`)
        sql += " AND (doc->>'case_id' IS NULL OR doc->>'case_id' = id)"
    if filters.sources:
        sql += " AND source = ANY(%s)"
        params.append(sorted(filters.sources))
    if filters.statuses:
        sql += " AND status = ANY(%s)"
        params.append(sorted(filters.statuses))
    if filters.min_priority is not None:
        sql += f" AND {LIVE_PRIORITY} >= %s"
        params += [filters.at(), int(filters.min_priority)]
    if filters.below_priority is not None:
        sql += f" AND {LIVE_PRIORITY} < %s"
        params += [filters.at(), int(filters.below_priority)]
    if filters.angry:
        sql += " AND (doc->'score'->>'angry') = 'true'"
    if filters.viral:
        sql += " AND (doc->'score'->>'viral') = 'true'"
    if filters.needs_response:
        sql += " AND (doc->'score'->>'needs_response') = 'true'"
    if filters.intents:
        sql += " AND (doc->'score'->>'intent') = ANY(%s)"
        params.append(sorted(filters.intents))
    if filters.languages:
        sql += " AND lower(COALESCE(NULLIF(doc->'score'->>'language', ''), doc->>'lang', '')) = ANY(%s)"
        params.append(sorted(filters.languages))
    return sql, tuple(params)


# ---- the store ---------------------------------------------------------------------------
class PgStore:
    """The PostgreSQL store behind the interface of `store.TinyStore` (module docstring)."""

    backend = "postgres"
    row_codec = ROWS

    def __init__(self, url: str, *, check_schema: bool = True) -> None:
        self.url = url
        self.check_schema = check_schema
        self._conn: Any = None
        self._pool: Any = None
        self._pid = os.getpid()
        self._checked = False

    # ---- connections ----------------------------------------------------------------------
    def clone(self) -> "PgStore":
        """Another store on the same database with a connection of its own (for another thread)."""
        other = PgStore(self.url, check_schema=self.check_schema)
        other._checked = self._checked
        return other

    def describe(self) -> str:
        return f"postgres {masked_url(self.url)}"

    def _connect(self, autocommit: bool = False) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=autocommit, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {masked_url(self.url)}: {mask(_first_line(exc))}") from None

    def use_pool(self, size: int = 4) -> None:
        """Serve connections from a pool (the daemon's many short sessions)."""
        from psycopg_pool import ConnectionPool

        self._pool = ConnectionPool(self.url, min_size=1, max_size=max(1, size), open=True,
                                    kwargs={"connect_timeout": 10})

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        """A connection for one unit of work (from the pool, or this process's own)."""
        import psycopg

        if os.getpid() != self._pid:  # forked: the parent's sockets are not ours to use or close
            self._conn, self._pool, self._pid, self._checked = None, None, os.getpid(), False
        try:
            if self._pool is not None:
                with self._pool.connection() as conn:
                    self._ensure_schema(conn)
                    yield conn
                return
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            self._ensure_schema(self._conn)
            yield self._conn
        except psycopg.OperationalError as exc:
            if self._conn is not None and self._conn.closed:
                self._conn = None
            raise StoreError(f"PostgreSQL: {mask(_first_line(exc))}") from None

    def _ensure_schema(self, conn: Any) -> None:
        if self._checked or not self.check_schema:
            return
        version = schema_version(conn)
        conn.rollback()
        if version is not None and version < SCHEMA_VERSION and all(
                number in ON_FIRST_USE for number, _, _ in MIGRATIONS if number > version):
            version = _migrate(conn)[1]  # (additive only: see pgschema.ON_FIRST_USE)
        if version is None or version < SCHEMA_VERSION:
            raise SchemaMismatch(f"the database {masked_url(self.url)} has schema version {version or 0}; this socialwatch "
                                 f"needs {SCHEMA_VERSION}: run `socialwatch db upgrade`")
        if version > SCHEMA_VERSION:
            raise SchemaMismatch(f"the database {masked_url(self.url)} has schema version {version}, newer than this "
                                 f"socialwatch ({SCHEMA_VERSION}): upgrade socialwatch")
        self._checked = True

    def close(self) -> None:
        if os.getpid() != self._pid:
            return
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextlib.contextmanager
    def session(self, timeout: float = 120.0) -> Iterator[PgSession]:
        """One transaction: committed if the block ends without error, rolled back otherwise."""
        with self.connection() as conn:
            session = PgSession(self, conn)
            try:
                with conn.transaction():
                    conn.execute(f"SET LOCAL lock_timeout = '{int(timeout * 1000)}ms'")
                    yield session
                    session.commit()
            except Exception as exc:
                _raise_lock_timeout(exc)
                raise
        for hook in session.after_commit:
            hook()

    def _rows(self, sql: str, params: tuple = ()) -> list:
        with self.connection() as conn:
            rows = conn.execute(sql, params).fetchall()
            conn.rollback()
            return rows

    # ---- reads ----------------------------------------------------------------------------
    def open_mentions(self) -> list[Mention]:
        return [decode(d, r) for d, r in self._rows("SELECT doc, raw FROM mentions WHERE is_open ORDER BY seq")]

    def snapshot(self) -> None:
        """No snapshot: each lookup is one indexed query (see `TinyStore.snapshot`)."""
        return None

    def select_open(self, filters: Any, limit: int | None = None) -> list[Mention]:
        """Open mentions matching `filters`, highest priority first (at most `limit`)."""
        from socialwatch import queue

        where, params = _pushdown(filters)
        live, at = _live(filters)
        sql = "SELECT doc, raw FROM mentions WHERE is_open" + where + f" ORDER BY {live} DESC, created_at, id"
        params = (*params, at)
        out: list[Mention] = []
        with self.connection() as conn:
            with conn.cursor(name="queue") if limit is None else conn.cursor() as cur:
                if limit is None:
                    cur.execute(sql, params)
                else:
                    cur.execute(sql + " LIMIT %s", (*params, limit * 4 + 50))
                for doc, raw in cur:
                    m = decode(doc, raw)
                    if filters.matches(m):
                        out.append(m)
                        if limit is not None and len(out) >= limit:
                            break
                overflow = limit is not None and len(out) < limit and cur.rowcount >= limit * 4 + 50
            conn.rollback()
        if overflow:  # the Python-only filters rejected many: read the whole queue
            return queue.select(self.open_mentions(), filters)[:limit]
        return out

    def get(self, mention_id: str, open_list: list[Mention] | None = None) -> Mention:
        rows = self._rows("SELECT doc, raw FROM mentions WHERE id = %s", (mention_id,))
        if not rows:
            raise NotFound(f"no mention with id {mention_id!r}")
        return decode(*rows[0])

    def iter_batches(self) -> Iterator[list[Mention]]:
        """Every mention once, open first then history, in batches (memory bounded). A
        connection of its own, so that the caller may use the store while iterating."""
        with self.connection():  # checks the schema
            pass
        import psycopg

        with self._connect() as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for both parts
            for open_part in (True, False):
                with conn.cursor(name=f"all_{int(open_part)}") as cur:
                    cur.itersize = BATCH
                    cur.execute("SELECT doc, raw FROM mentions WHERE is_open = %s ORDER BY seq", (open_part,))
                    while True:
                        rows = cur.fetchmany(BATCH)
                        if not rows:
                            break
                        yield [decode(d, r) for d, r in rows]
            conn.rollback()

    def iter_all(self) -> Iterator[Mention]:
        import itertools

        return itertools.chain.from_iterable(self.iter_batches())

    def count(self) -> dict[str, int]:
        rows = self._rows("SELECT count(*) FILTER (WHERE is_open), count(*) FILTER (WHERE NOT is_open) FROM mentions")
        return {"open": rows[0][0], "archived": rows[0][1]}

    def author_history(self, handle: str | None, exclude: str | None = None, limit: int = 20,
                       open_list: list[Mention] | None = None) -> list[Mention]:
        if not handle:
            return []
        rows = self._rows("SELECT doc, raw FROM mentions WHERE author_key = %s AND id <> %s "
                          "ORDER BY created_at DESC LIMIT %s", (_text(handle.lower()), exclude or "", limit))
        return [decode(d, r) for d, r in rows]

    def source_states(self) -> dict[str, dict]:
        return self.state_all("sources")

    def state_all(self, namespace: str) -> dict[str, dict]:
        rows = self._rows("SELECT key, doc, raw FROM state WHERE namespace = %s ORDER BY key", (namespace,))
        return {k: decode(d, r) for k, d, r in rows}

    def replies(self, states: tuple[str, ...] | None = None) -> list[dict]:
        if states:
            rows = self._rows("SELECT doc, raw FROM outbox WHERE state = ANY(%s) ORDER BY created_at, id", (list(states),))
        else:
            rows = self._rows("SELECT doc, raw FROM outbox ORDER BY created_at, id")
        return [decode(d, r) for d, r in rows]

    def replies_of(self, mention_id: str) -> list[dict]:
        """The outbox records of one mention, oldest first."""
        rows = self._rows("SELECT doc, raw FROM outbox WHERE mention_id = %s ORDER BY created_at, id", (_text(mention_id),))
        return [decode(d, r) for d, r in rows]

    def audit_entries(self, mention_id: str | None = None) -> Iterator[dict]:
        if mention_id is None:
            rows = self._rows("SELECT entry, raw FROM audit ORDER BY seq")
        else:
            rows = self._rows("SELECT entry, raw FROM audit WHERE mention_id = %s ORDER BY seq", (mention_id,))
        return iter([decode(e, r) for e, r in rows])

    def size_bytes(self) -> int:
        rows = self._rows("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                          "WHERE c.relname IN ('mentions', 'state', 'outbox', 'audit') AND c.relkind = 'r'")
        return int(rows[0][0])

    def source_lock(self, name: str) -> "AdvisoryLock":
        return AdvisoryLock(self, _lock_key("source", name), f"source {name}")

    def daemon_lock(self) -> Any:
        """The lock `socialwatch run` holds on this database (see daemonlock.py)."""
        from socialwatch.daemonlock import PgDaemonLock

        return PgDaemonLock(self, _lock_key("daemon"))

    # ---- lookups by what agents type ----------------------------------------------------------
    def ids_with_native(self, native: str, limit: int = 20) -> list[str]:
        """The stored ids whose native part (after "PLATFORM:") is `native` (an index lookup)."""
        rows = self._rows("SELECT id FROM mentions WHERE split_part(id, ':', 2) = %s ORDER BY id LIMIT %s",
                          (_text(native), limit))
        return [r[0] for r in rows if r[0].split(":", 1)[-1] == native]

    def handles_like(self, local: str, limit: int = 20) -> list[str]:
        """Stored author handles (lower-cased) whose local part is `local` (see TinyStore)."""
        key = _text(local) or ""
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._rows("SELECT DISTINCT author_key FROM mentions WHERE author_key LIKE %s OR author_key LIKE %s "
                          "ORDER BY author_key LIMIT %s", (escaped + "@%", escaped + ".%", limit))
        return [r[0] for r in rows]

    # ---- presence (see presence.py) -------------------------------------------------------
    def presence_board(self) -> "PgPresence":
        """Who is viewing what: the `presence` table (no mention row, no queue notification)."""
        return PgPresence(self)

    # ---- live queue -----------------------------------------------------------------------
    def watch(self) -> "PgWatcher":
        """Committed queue changes (LISTEN socialwatch_queue), for a live `triage`."""
        conn = self._connect(autocommit=True)
        conn.execute(f"LISTEN {CHANNEL}")
        return PgWatcher(conn)


PRESENCE_CHANNEL = "socialwatch_presence"


def _stamp(value: Any) -> str:
    """A timestamptz as UTC ISO 8601 with milliseconds (as presence_file.stamp)."""
    from socialwatch.presence_file import stamp

    return stamp(value)


class PgPresence:
    """put / clear / live over the `presence` table, by the server's clock (see presence.py)."""

    def __init__(self, store: PgStore) -> None:
        self.store = store

    def put(self, mention_id: str, agent: str, activity: str, ttl: float) -> dict:
        with self.store.connection() as conn, conn.transaction():
            conn.execute("DELETE FROM presence WHERE expires_at <= now()")
            row = conn.execute(
                "INSERT INTO presence (mention_id, agent, activity, since, expires_at) "
                "VALUES (%s, %s, %s, now(), now() + %s * interval '1 second') "
                "ON CONFLICT (mention_id, agent) DO UPDATE SET since = CASE WHEN presence.activity = EXCLUDED.activity "
                "THEN presence.since ELSE EXCLUDED.since END, activity = EXCLUDED.activity, "
                "expires_at = EXCLUDED.expires_at RETURNING mention_id, agent, activity, since, expires_at",
                (_text(mention_id), _text(agent), activity, ttl)).fetchone()
            self._notify(conn, {"id": mention_id, "agent": agent, "activity": activity})
        return {"mention_id": row[0], "agent": row[1], "activity": row[2], "since": _stamp(row[3]),
                "expires_at": _stamp(row[4])}

    def clear(self, agent: str, mention_id: str | None = None) -> None:
        with self.store.connection() as conn, conn.transaction():
            if mention_id is None:
                cur = conn.execute("DELETE FROM presence WHERE agent = %s OR expires_at <= now()", (_text(agent),))
            else:
                cur = conn.execute("DELETE FROM presence WHERE (agent = %s AND mention_id = %s) OR expires_at <= now()",
                                   (_text(agent), _text(mention_id)))
            if cur.rowcount:
                self._notify(conn, {"id": mention_id, "agent": agent, "activity": "cleared"})

    def live(self, mention_id: str | None = None) -> list[dict]:
        sql = "SELECT mention_id, agent, activity, since, expires_at FROM presence WHERE expires_at > now()"
        rows = self.store._rows(sql + " AND mention_id = %s" if mention_id is not None else sql,
                                (_text(mention_id),) if mention_id is not None else ())
        return [{"mention_id": r[0], "agent": r[1], "activity": r[2], "since": _stamp(r[3]), "expires_at": _stamp(r[4])}
                for r in rows]

    @staticmethod
    def _notify(conn: Any, payload: dict) -> None:
        conn.execute("SELECT pg_notify(%s, %s)", (PRESENCE_CHANNEL, orjson.dumps(payload).decode()[:7000]))


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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _raise_lock_timeout(exc: Exception) -> None:
    """Lock waits that ended badly, as one line for people (nothing was changed)."""
    import psycopg

    if isinstance(exc, psycopg.errors.LockNotAvailable):
        raise Busy("the store is locked by another process (timed out waiting)") from None
    if isinstance(exc, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)):
        raise Contention("another agent changed the same mentions at the same moment; nothing was changed: "
                         "run the command again") from None


# ---- schema ------------------------------------------------------------------------------
def schema_version(conn: Any) -> int | None:
    """The applied schema version (None: no socialwatch schema in this database)."""
    row = conn.execute("SELECT to_regclass('socialwatch_schema')").fetchone()
    if row[0] is None:
        return None
    row = conn.execute("SELECT max(version) FROM socialwatch_schema").fetchone()
    return row[0]


def upgrade(url: str) -> tuple[int | None, int]:
    """Apply the migrations the database lacks, each in one transaction; (before, after)."""
    store = PgStore(url, check_schema=False)
    try:
        with store.connection() as conn:
            return _migrate(conn)
    finally:
        store.close()


def _migrate(conn: Any) -> tuple[int | None, int]:
    """Apply the missing migrations on `conn` under the schema lock (so that two processes never
    apply one twice), each in one transaction; (version before, version after)."""
    conn.execute("SELECT pg_advisory_lock(%s)", (_lock_key("schema"),))
    try:
        before = schema_version(conn)
        conn.commit()
        if before is not None and before > SCHEMA_VERSION:
            raise SchemaMismatch(f"the database has schema version {before}, newer than this socialwatch "
                                 f"({SCHEMA_VERSION}): upgrade socialwatch")
        for number, description, sql in MIGRATIONS:
            if before is not None and number <= before:
                continue
            with conn.transaction():
                conn.execute(sql)
                conn.execute("INSERT INTO socialwatch_schema (version, description) VALUES (%s, %s)",
                             (number, description))
        return before, SCHEMA_VERSION
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_lock_key("schema"),))
        conn.commit()
