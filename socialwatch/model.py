"""The mention model: field names, validation and time helpers shared by every module.

A mention is a plain dict (it is stored as JSON). Its fields:

    id                "PLATFORM:NATIVE_ID", stable across polls (twitter:1578..., reddit:t1_abc)
    platform, native_id, source (the configured source name)
    kind              mention | reply | dm | search
    author            {handle, name, id, followers, verified} (None where unknown)
    text, url, lang
    created_at, fetched_at   UTC ISO 8601 ("2026-11-23T16:09:00Z")
    conversation_id, in_reply_to
    metrics           {likes, reposts, replies, quotes} (None where unknown)
    score             {compound, pos, neu, neg, angry, viral, complaint, needs_response, intent,
                      intent_confidence, risk, language, priority, reasons[...], waiting}
                      (see socialwatch.scoring)
    priority          stored priority: score.priority + boosts, or the agent's override; the
                      queue adds the live waiting factor (`effective_priority(m, now)`)
    status            new | open | pending | resolved | ignored
    assignee, tags, notes, first_response_at, resolved_at, team, truncated, ...

`normalize` turns a loosely shaped record (an import line, a platform payload already mapped
by a source) into this shape, or raises `InvalidMention` naming the field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

KINDS = ("mention", "reply", "dm", "search")
STATUSES = ("new", "open", "pending", "resolved", "ignored")
OPEN_STATUSES = ("new", "open", "pending")
CLOSED_STATUSES = ("resolved", "ignored")
METRICS = ("likes", "reposts", "replies", "quotes")

#: Texts longer than this (in characters) are stored truncated, with `truncated: true`.
MAX_TEXT = 100_000
#: Other string fields (names, handles, URLs, ids) are bounded more tightly.
MAX_FIELD = 2_000

_ID_SAFE = re.compile(r"^[A-Za-z0-9_.\-]+$")


class InvalidMention(ValueError):
    """A record that is not the expected shape; `field` names what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def utcnow() -> datetime:
    """The current time in UTC (a function so tests can patch it)."""
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """UTC ISO 8601 with a Z suffix and second precision."""
    last = _LAST_ISO
    if dt is last[0]:  # the same `now` for every mention of a batch: formatted once
        return last[1]
    return _iso(dt)


def _iso(given: datetime) -> str:
    global _LAST_ISO
    dt = given
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    elif dt.utcoffset():
        dt = dt.astimezone(UTC)
    text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}Z"
    _LAST_ISO = (given, text)
    return text


_LAST_ISO: tuple[datetime | None, str] = (None, "")


_TWITTER_DATE = "%a %b %d %H:%M:%S %z %Y"


def parse_time(value: Any) -> datetime:
    """Parse ISO 8601 (with or without zone), Twitter's legacy format, or epoch seconds."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=UTC)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a time")
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            dt = datetime.strptime(text, _TWITTER_DATE)
        except ValueError:
            raise ValueError(f"not a time: {text[:40]!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.I)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    """'90s', '5m', '2h', '3d', '1w' or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=float(value))
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 2h, 3d)")
    unit = (m.group(2) or "s").lower()
    return timedelta(seconds=float(m.group(1)) * _UNITS[unit])


def make_id(platform: str, native_id: str) -> str:
    return f"{platform}:{native_id}"


def split_id(mention_id: str) -> tuple[str, str]:
    platform, _, native = mention_id.partition(":")
    return platform, native


def _str(record: dict, field: str, *, required: bool = False, limit: int = MAX_FIELD) -> str | None:
    value = record.get(field)
    if value is None or value == "":
        if required:
            raise InvalidMention(field, "missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidMention(field, f"expected a string, got {type(value).__name__}")
    text = str(value)
    return text[:limit]


def _count(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidMention(field, "expected a number, got a boolean")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, (int, float)) or value < 0 or value != value:
        raise InvalidMention(field, f"expected a non-negative number, got {value!r:.40}")
    return int(value)


def _author(value: Any) -> dict:
    if value is None:
        return {"handle": None, "name": None, "id": None, "followers": None, "verified": None}
    if isinstance(value, str):
        value = {"handle": value}
    if not isinstance(value, dict):
        raise InvalidMention("author", f"expected an object, got {type(value).__name__}")
    get = value.get
    try:  # (a field that is absent needs no checking)
        handle = (
            (get("handle") is not None and _str(value, "handle"))
            or (get("username") is not None and _str(value, "username"))
            or (get("screen_name") is not None and _str(value, "screen_name"))
            or None
        )
        name = None if get("name") is None else _str(value, "name")
        author_id = None if get("id") is None else _str(value, "id")
    except InvalidMention as exc:  # name the field where it sits, so that it can be dropped alone
        raise InvalidMention(f"author.{exc.field}", exc.reason) from None
    if handle:
        handle = handle.lstrip("@")
    verified = get("verified")
    if verified is not None and not isinstance(verified, bool):
        raise InvalidMention("author.verified", "expected true or false")
    followers = get("followers")
    return {
        "handle": handle,
        "name": name,
        "id": author_id,
        "followers": None if followers is None else _count(followers, "author.followers"),
        "verified": verified,
    }


_METRIC_FIELDS = tuple((k, f"metrics.{k}") for k in METRICS)


def _metrics(value: Any) -> dict:
    if not value:
        if value is None or isinstance(value, dict):
            return dict.fromkeys(METRICS)
        raise InvalidMention("metrics", f"expected an object, got {type(value).__name__}")
    if not isinstance(value, dict):
        raise InvalidMention("metrics", f"expected an object, got {type(value).__name__}")
    return {k: _count(value.get(k), field) for k, field in _METRIC_FIELDS}


def normalize(record: Any, *, platform: str, source: str, now: datetime | None = None) -> dict:
    """Validate a mapped record and return a mention in the model's shape (unscored).

    `record` needs at least `id` (native id, or a full "platform:native" id) and `text`.
    Workflow fields present in the record (status, assignee, tags, ...) are kept when valid,
    so that an export can be imported again.
    """
    if not isinstance(record, dict):
        raise InvalidMention("record", f"expected a JSON object, got {type(record).__name__}")
    now = now or utcnow()
    get = record.get
    raw_id = _str(record, "id", required=True, limit=200)
    assert raw_id is not None
    if ":" in raw_id:
        plat, native = split_id(raw_id)
    else:
        plat, native = platform, raw_id
    if not native or not _ID_SAFE.match(native) or not _ID_SAFE.match(plat):
        raise InvalidMention("id", f"not a usable id: {raw_id[:60]!r}")
    text = get("text")
    if not isinstance(text, str):
        raise InvalidMention("text", "missing" if text is None else f"expected a string, got {type(text).__name__}")
    truncated = len(text) > MAX_TEXT
    if truncated:
        text = text[:MAX_TEXT]
    kind = get("kind") or "mention"
    if kind not in KINDS:
        raise InvalidMention("kind", f"expected one of {', '.join(KINDS)}, got {str(kind)[:30]!r}")
    created = get("created_at")
    try:
        created_at = iso(parse_time(created)) if created is not None and created != "" else iso(now)
    except ValueError as exc:
        raise InvalidMention("created_at", str(exc)) from None
    mention: dict[str, Any] = {
        "id": make_id(plat, native),
        "platform": plat,
        "native_id": native,
        "source": source,
        "kind": kind,
        "author": _author(get("author")),
        "text": text,
        "url": None if get("url") is None else _str(record, "url"),
        "lang": None if get("lang") is None else _str(record, "lang", limit=20),
        "created_at": created_at,
        "fetched_at": iso(now),
        "conversation_id": (
            None if get("conversation_id") is None
            else _qualified(_str(record, "conversation_id", limit=200), plat)
        ),
        "in_reply_to": None if get("in_reply_to") is None else _qualified(_str(record, "in_reply_to", limit=200), plat),
        "metrics": _metrics(get("metrics")),
        "status": "new",
        "assignee": None,
        "tags": [],
        "notes": [],
        "first_response_at": None,
        "resolved_at": None,
    }
    if truncated:
        mention["truncated"] = True
    _keep_workflow(record, mention)
    return mention


#: Fields a platform source may drop from a record when they are malformed, keeping the mention:
#: losing a customer's message over a like count or a bad date is worse than losing the count.
OPTIONAL_FIELDS = ("author", "url", "lang", "created_at", "conversation_id", "in_reply_to", "metrics", "tags")


def normalize_lenient(record: dict, *, platform: str, source: str, now: datetime | None = None,
                      created_fallback: str | None = None) -> tuple[dict, list[tuple[str, str]]]:
    """`normalize`, dropping malformed optional fields instead of failing.

    Returns the mention and a (field, reason) pair per dropped field (for the log). A bad
    created_at is replaced by `created_fallback` (e.g. the time a snowflake id encodes) when given.
    Raises InvalidMention when a required field (id, text, kind, ...) is unusable.
    """
    dropped: list[tuple[str, str]] = []
    for _ in range(len(OPTIONAL_FIELDS) + 4):
        try:
            return normalize(record, platform=platform, source=source, now=now), dropped
        except InvalidMention as exc:
            repaired = _without(record, exc.field)
            if repaired is None:
                raise
            dropped.append((exc.field, exc.reason))
            if exc.field == "created_at" and created_fallback:
                repaired["created_at"] = created_fallback
            record = repaired
    raise InvalidMention("record", "too many malformed fields")


def _without(record: dict, path: str) -> dict | None:
    """A copy of `record` without the optional field `path` ("metrics.likes"), None if it is required."""
    head, _, rest = path.partition(".")
    if head not in OPTIONAL_FIELDS or head not in record:
        return None
    copy_ = dict(record)
    inner = copy_.get(head)
    if rest and isinstance(inner, dict) and rest in inner:
        copy_[head] = {k: v for k, v in inner.items() if k != rest}
    else:
        copy_.pop(head)
    return copy_


def _qualified(ref: str | None, platform: str) -> str | None:
    """Thread references as full ids ("twitter:123"), whatever form the source gave."""
    if not ref:
        return None
    return ref if ":" in ref else make_id(platform, ref)


def _keep_workflow(record: dict, mention: dict) -> None:
    get = record.get
    status = get("status")
    if status is not None:
        if status not in STATUSES:
            raise InvalidMention("status", f"expected one of {', '.join(STATUSES)}, got {str(status)[:30]!r}")
        mention["status"] = status
    assignee = None if get("assignee") is None else _str(record, "assignee", limit=100)
    if assignee:
        mention["assignee"] = assignee
    tags = get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise InvalidMention("tags", "expected a list of strings")
        mention["tags"] = sorted({t[:100] for t in tags})
    for field in ("first_response_at", "resolved_at"):
        value = get(field)
        if value is not None and value != "":
            try:
                mention[field] = iso(parse_time(value))
            except ValueError as exc:
                raise InvalidMention(field, str(exc)) from None
    if mention["status"] in CLOSED_STATUSES and not mention["resolved_at"]:
        mention["resolved_at"] = mention["fetched_at"]


def is_open(mention: dict) -> bool:
    return mention.get("status", "new") in OPEN_STATUSES


def effective_priority(mention: dict, now: datetime | None = None) -> int:
    """The agent's manual override when set, else the computed priority; with `now`, plus the
    waiting factor at that time (see `waiting_points`), so that the queue moves with the clock."""
    override = mention.get("priority_override")
    if isinstance(override, int) and not isinstance(override, bool):
        return override
    value = mention.get("priority")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        base = int(value)
    else:
        score = mention.get("score") or {}
        base = int(score.get("priority", 0) or 0)
    if now is None:
        return base
    extra = waiting_points(mention, now)
    return base if not extra else min(100, base + extra)


def waiting_points(mention: dict, now: datetime) -> int:
    """The live waiting factor: weight x min(1, hours since posting / cap_hours), rounded down,
    for an open mention that needs a response and has no answer yet (the score's `waiting`
    holds weight and cap_hours); 0 otherwise. PostgreSQL computes the same in SQL
    (`store.postgres.filters.LIVE_PRIORITY`)."""
    hours = waiting_hours(mention, now)
    if hours is None:
        return 0
    spec = (mention.get("score") or {}).get("waiting")
    weight, cap = spec.get("weight"), spec.get("cap_hours")
    fraction = hours / cap if hours < cap else 1.0
    return int(weight * fraction)


def waiting_hours(mention: dict, now: datetime) -> float | None:
    """Hours the mention has waited for a first answer, when the waiting factor applies (open,
    no first response, a `waiting` spec, a readable created_at); else None."""
    spec = (mention.get("score") or {}).get("waiting")
    if not spec or not isinstance(spec, dict) or mention.get("first_response_at"):
        return None
    if mention.get("status", "new") not in OPEN_STATUSES:
        return None
    weight, cap = spec.get("weight"), spec.get("cap_hours")
    if not _positive(weight) or not _positive(cap):
        return None
    created = mention.get("created_at")
    if not created:
        return None
    try:
        when = datetime.fromisoformat(created)  # stored times are ISO 8601 with Z: the fast path
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    except (ValueError, TypeError):
        try:
            when = parse_time(created)
        except (ValueError, TypeError):
            return None
    seconds = (now - when).total_seconds()
    return seconds / 3600 if seconds > 0 else 0.0


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and value != float("inf")
