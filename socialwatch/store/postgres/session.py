"""`PgSession`: one transaction over the PostgreSQL store (`PgStore.session()`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from socialwatch.store import AddResult, Mention, SessionBase
from socialwatch.store.postgres.codec import Row, _jsonb_field, _row_id, _text, decode, encode, encode_row
from socialwatch.store.postgres.filters import _live, _pushdown
from socialwatch.store.postgres.locks import _lock_key

if TYPE_CHECKING:
    from socialwatch.store.postgres.store import PgStore

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
