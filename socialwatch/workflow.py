"""Agent actions on mentions: each one a locked read-modify-write plus an audit entry."""

from __future__ import annotations

import copy
from collections.abc import Callable

from socialwatch import audit, cases, model, queue
from socialwatch.app import App
from socialwatch.errors import NotFound, UsageError

Change = Callable[[dict], None]


def change(app: App, mention_id: str, action: str, fn: Change, **extra: object) -> dict:
    """Apply `fn` to the stored mention under the store lock, and carry the change over to the rest
    of its case (`cases.sync`); audit it; return the new mention."""
    store = app.store
    with store.session() as s:
        mention = s.get_in_case(mention_id)
        if mention is None:
            raise NotFound(f"no mention with id {mention_id!r}")
        entries = _apply(s, app.agent, action, mention, fn, extra)
        s.audit(entries)
    return mention


def change_many(app: App, mention_ids: list[str], action: str, fn: Change, strict: bool = True) -> list[dict]:
    """Apply `fn` to many mentions in one locked session (one write per file), audited.

    `strict`: an unknown id is an error before anything changes (else it is skipped).
    """
    store = app.store
    changed = []
    with store.session() as s:
        entries: list[dict] = []
        if strict:
            missing = [i for i in mention_ids if s.peek(i) is None]
            if missing:
                raise NotFound(f"no mention with id {missing[0]!r}")
        for mention_id in dict.fromkeys(mention_ids):
            mention = s.get_in_case(mention_id)  # (read here: an earlier one may have changed it, its case)
            if mention is None:
                continue  # removed meanwhile
            more = _apply(s, app.agent, action, mention, fn, {})
            if more:
                entries += more
                changed.append(mention)
        s.audit(entries)
    return changed


def _apply(s: object, agent: str, action: str, mention: dict, fn: Change, extra: dict) -> list[dict]:
    """Change one mention in session `s`, then its case; the audit entries ([] if nothing changed)."""
    before = copy.deepcopy(mention)
    fn(mention)
    if mention == before:
        return []
    s.put(mention)  # type: ignore[attr-defined]
    more = cases.sync(s, agent, action, before, mention)  # (may change `mention` too: a root's case priority)
    return [audit.entry(agent, action, mention["id"], before, mention, **extra), *more]


def _now() -> str:
    return model.iso(model.utcnow())


def set_status(status: str) -> Change:
    def apply(m: dict) -> None:
        m["status"] = status
        if status in model.CLOSED_STATUSES:
            m["resolved_at"] = m.get("resolved_at") or _now()
        else:
            m["resolved_at"] = None

    return apply


def resolve(app: App, mention_id: str) -> dict:
    return change(app, mention_id, "resolve", set_status("resolved"))


def ignore(app: App, mention_id: str) -> dict:
    return change(app, mention_id, "ignore", set_status("ignored"))


def reopen(app: App, mention_id: str) -> dict:
    return change(app, mention_id, "reopen", set_status("open"))


def assign(app: App, mention_id: str, to: str | None) -> dict:
    def apply(m: dict) -> None:
        m["assignee"] = to
        if to and m.get("status") == "new":
            m["status"] = "open"
        m["assigned_at"] = _now() if to else None

    return change(app, mention_id, "assign" if to else "unassign", apply)


def tag(app: App, mention_id: str, tags: list[str], remove: bool = False) -> dict:
    def apply(m: dict) -> None:
        current = set(m.get("tags") or [])
        m["tags"] = sorted(current - set(tags) if remove else current | set(tags))

    return change(app, mention_id, "untag" if remove else "tag", apply)


def note(app: App, mention_id: str, text: str) -> dict:
    if not text.strip():
        raise UsageError("a note needs some text")

    def apply(m: dict) -> None:
        m["notes"] = list(m.get("notes") or []) + [{"at": _now(), "agent": app.agent, "text": text}]

    return change(app, mention_id, "note", apply)


def set_priority(app: App, mention_id: str, value: int | None) -> dict:
    def apply(m: dict) -> None:
        m["priority_override"] = value
        m["priority"] = value if value is not None else int((m.get("score") or {}).get("priority", 0))

    return change(app, mention_id, "priority", apply)


def set_sentiment(app: App, mention_id: str, value: str | None) -> dict:
    def apply(m: dict) -> None:
        m["sentiment_override"] = value

    return change(app, mention_id, "sentiment", apply)


def escalate(app: App, mention_id: str, team: str, reason: str) -> dict:
    def apply(m: dict) -> None:
        m["team"] = team
        m["escalations"] = list(m.get("escalations") or []) + [{"at": _now(), "agent": app.agent, "team": team, "reason": reason}]
        if m.get("status") == "new":
            m["status"] = "open"

    return change(app, mention_id, "escalate", apply)


def claim(app: App, filters: queue.Filters | None = None) -> dict | None:
    """Atomically take the highest-priority unassigned open case (its root, with its follow-ups:
    never a follow-up alone); None if none is left."""
    store = app.store
    filters = copy.copy(filters or queue.Filters())
    filters.followups = False
    now = _now()

    def take(m: dict) -> None:
        m["assignee"] = app.agent
        m["assigned_at"] = now
        if m.get("status") == "new":
            m["status"] = "open"

    with store.session() as s:
        mention = s.next_unassigned(filters)
        if mention is None:
            return None
        s.audit(_apply(s, app.agent, "claim", mention, take, {}))
    return mention
