"""Who is viewing what, in the PostgreSQL store's `presence` table (see socialwatch.presence)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from socialwatch.store.postgres.codec import _text

if TYPE_CHECKING:
    from socialwatch.store.postgres.store import PgStore

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
