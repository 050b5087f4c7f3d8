"""Queue filters as SQL for the PostgreSQL store, and the live priority it orders the queue by."""

from __future__ import annotations

from typing import Any

from socialwatch import model

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

