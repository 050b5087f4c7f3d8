"""`PgStore`: connections, the schema check and the reads of the PostgreSQL store (see the
package docstring); `upgrade` (`socialwatch db upgrade`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from socialwatch.errors import NotFound, StoreError
from socialwatch.secrets import mask
from socialwatch.store import Mention
from socialwatch.store.postgres.codec import ROWS, _text, decode
from socialwatch.store.postgres.errors import SchemaMismatch, _first_line, _raise_lock_timeout, masked_url
from socialwatch.store.postgres.filters import _live, _pushdown
from socialwatch.store.postgres.locks import AdvisoryLock, _lock_key
from socialwatch.store.postgres.presence import PgPresence
from socialwatch.store.postgres.schema import MIGRATIONS, ON_FIRST_USE, SCHEMA_VERSION, _migrate, schema_version
from socialwatch.store.postgres.session import BATCH, CHANNEL, PgSession
from socialwatch.store.postgres.watcher import PgWatcher


class PgStore:
    """The PostgreSQL store behind the interface of `store.TinyStore` (package docstring)."""

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
            version = _migrate(conn)[1]  # (additive only: see schema.ON_FIRST_USE)
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



def upgrade(url: str) -> tuple[int | None, int]:
    """Apply the migrations the database lacks, each in one transaction; (before, after)."""
    store = PgStore(url, check_schema=False)
    try:
        with store.connection() as conn:
            return _migrate(conn)
    finally:
        store.close()
