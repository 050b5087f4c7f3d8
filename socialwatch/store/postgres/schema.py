"""The PostgreSQL schema owned by socialwatch, as numbered migrations (`socialwatch db upgrade`).

Each migration runs in one transaction with the schema version it brings, so a failed
upgrade leaves the previous version in place. The code refuses a database whose version is
older (run `db upgrade`) or newer (upgrade socialwatch) than `SCHEMA_VERSION`, except that the
migrations listed in `ON_FIRST_USE` (they only add an index: no data is rewritten, nothing an
administrator must plan) are applied by the first command that uses an existing database,
under the same lock as `db upgrade`.

Mentions keep the whole document in `doc` (jsonb) plus the columns the queue is read by.
PostgreSQL text and jsonb cannot hold the NUL character; a document with one keeps its exact
JSON in `raw` (bytea) and a NUL-free copy in `doc` for queries, so nothing is lost.

`mentions_conversation` (version 3) finds a customer's mentions in one conversation (how a
later direct message joins its case).

`presence` holds the short-lived "agent A is viewing mention M" marks (see presence.py): a
table of its own, so that marking never touches a mention row or its notifications.
"""

from __future__ import annotations

from typing import Any

from socialwatch.store.postgres.errors import SchemaMismatch
from socialwatch.store.postgres.locks import _lock_key

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "mentions, state, outbox and audit", """
CREATE TABLE IF NOT EXISTS socialwatch_schema (
    version integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    description text NOT NULL
);
CREATE TABLE mentions (
    seq bigserial UNIQUE,
    id text COLLATE "C" PRIMARY KEY,
    doc jsonb NOT NULL,
    raw bytea,
    status text NOT NULL,
    is_open boolean NOT NULL,
    priority integer NOT NULL,
    created_at text COLLATE "C" NOT NULL DEFAULT '',
    assignee text,
    source text,
    author_key text COLLATE "C"
);
CREATE INDEX mentions_queue ON mentions (priority DESC, created_at, id) WHERE is_open;
CREATE INDEX mentions_unassigned ON mentions (priority DESC, created_at, id) WHERE is_open AND assignee IS NULL;
CREATE INDEX mentions_status ON mentions (status);
CREATE INDEX mentions_created ON mentions (created_at);
CREATE INDEX mentions_assignee ON mentions (assignee) WHERE assignee IS NOT NULL;
CREATE INDEX mentions_source ON mentions (source);
CREATE INDEX mentions_author ON mentions (author_key) WHERE author_key IS NOT NULL;
CREATE TABLE state (
    namespace text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    doc jsonb NOT NULL,
    raw bytea,
    PRIMARY KEY (namespace, key)
);
CREATE TABLE outbox (
    id text COLLATE "C" PRIMARY KEY,
    mention_id text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    state text NOT NULL,
    created_at text COLLATE "C" NOT NULL DEFAULT '',
    doc jsonb NOT NULL,
    raw bytea
);
CREATE INDEX outbox_mention ON outbox (mention_id);
CREATE INDEX outbox_state ON outbox (state);
CREATE TABLE audit (
    seq bigserial PRIMARY KEY,
    mention_id text,
    at text,
    entry jsonb NOT NULL,
    raw bytea
);
CREATE INDEX audit_mention ON audit (mention_id);
"""),
    (2, "presence marks; mentions by native id", """
CREATE TABLE presence (
    mention_id text COLLATE "C" NOT NULL,
    agent text COLLATE "C" NOT NULL,
    activity text NOT NULL,
    since timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (mention_id, agent)
);
CREATE INDEX presence_expires ON presence (expires_at);
CREATE INDEX mentions_native ON mentions (split_part(id, ':', 2));
"""),
    # A customer's later message in a conversation (a DM, a thread whose root is not stored)
    # finds their case by it (see cases.py): an index lookup however long the history.
    (3, "mentions by conversation and author", """
CREATE INDEX mentions_conversation ON mentions ((doc->>'conversation_id'), author_key)
    WHERE (doc->>'conversation_id') IS NOT NULL;
"""),
]

SCHEMA_VERSION = max(number for number, _, _ in MIGRATIONS)

# Migrations an existing database gets on first use, without `db upgrade` (additive indexes only).
ON_FIRST_USE: frozenset[int] = frozenset({3})


def schema_version(conn: Any) -> int | None:
    """The applied schema version (None: no socialwatch schema in this database)."""
    row = conn.execute("SELECT to_regclass('socialwatch_schema')").fetchone()
    if row[0] is None:
        return None
    row = conn.execute("SELECT max(version) FROM socialwatch_schema").fetchone()
    return row[0]


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
