"""What the X API answered when a request failed, reduced to safe facts, and which error wins."""

from __future__ import annotations

import json
from typing import Any

from socialwatch.sources import (
    AuthError,
    BudgetExhausted,
    NotEntitled,
    RateLimited,
    SourceError,
    TransientError,
)
from socialwatch.sources.twitter.ids import _dict, _list, _safe

ENDPOINTS = {
    "me": ("account lookup", "GET /2/users/me"),
    "mentions": ("mentions", "GET /2/users/:id/mentions"),
    "search": ("recent search", "GET /2/tweets/search/recent"),
    "dms": ("direct messages", "GET /2/dm_events"),
}
DISABLE_HINT = {
    "mentions": "set `mentions = false`",
    "search": "remove `search_query`",
    "dms": "set `dms = false`",
    "me": "set `user_id`",
}


class _Malformed(Exception):
    """The API answered with a body that is not a JSON object."""


def _json_body(response: Any) -> dict:
    try:
        body = json.loads(response.content or b"")
    except (ValueError, TypeError, AttributeError):
        raise _Malformed() from None
    if not isinstance(body, dict):
        raise _Malformed()
    return body


def _problem(response: Any) -> dict:
    """Safe tokens from an error response: status, title, reason, type, codes, parameter names."""
    status = getattr(response, "status_code", 0) or 0
    try:
        body = json.loads(getattr(response, "content", b"") or b"")
    except (ValueError, TypeError):
        body = None
    body = _dict(body)
    errors = [_dict(e) for e in _list(body.get("errors"))]
    codes = [str(e["code"]) for e in errors if isinstance(e.get("code"), int)]
    params = sorted({_safe(p) for e in errors for p in _dict(e.get("parameters"))})
    title = _safe(body.get("title") or next((e.get("title") for e in errors if e.get("title")), "") or "")
    type_tail = _safe(str(body.get("type") or "").rsplit("/", 1)[-1])
    reason = _safe(body.get("reason") or "")
    phrase = _safe(getattr(response, "reason", "") or "")
    return {
        "status": status,
        "title": title,
        "reason": reason,
        "type": _safe(body.get("type") or "", 100),
        "type_tail": type_tail,
        "codes": ", ".join(codes),
        "params": ", ".join(params),
        "period": _safe(body.get("period") or ""),
        "tag": title or phrase or "error",
    }


_SEVERITY = (AuthError, NotEntitled, BudgetExhausted, RateLimited, TransientError, SourceError)


def _first_error(errors: list[SourceError]) -> SourceError:
    """The most severe error, its message extended with the others."""
    ranked = sorted(errors, key=lambda e: next(i for i, cls in enumerate(_SEVERITY) if isinstance(e, cls)))
    first = ranked[0]
    if len(ranked) > 1:
        first.args = (f"{first.args[0]}; also: " + "; ".join(str(e) for e in ranked[1:]),)
    return first
