"""Agent actions on mentions: each one a locked read-modify-write plus an audit entry."""

from __future__ import annotations

import copy
from collections.abc import Callable

from socialwatch import audit, model, queue
from socialwatch.app import App
from socialwatch.errors import NotFound, UsageError

Change = Callable[[dict], None]


def change(app: App, mention_id: str, action: str, fn: Change, **extra: object) -> dict:
    """Apply `fn` to the stored mention under the store lock; audit it; return the new mention."""
    store = app.store
    with store.session() as s:
        mention = s.require(mention_id)
        before = copy.deepcopy(mention)
        fn(mention)
        if mention != before:
            s.put(mention)
            entries = [audit.entry(app.agent, action, mention_id, before, mention, **extra)]
            if mention.get("status") in model.CLOSED_STATUSES and before.get("status") not in model.CLOSED_STATUSES:
                entries += _close_followups(s, app.agent, mention, action)
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
        found = {mention_id: s.get(mention_id) for mention_id in mention_ids}
        missing = [i for i, m in found.items() if m is None]
        if missing and strict:
            raise NotFound(f"no mention with id {missing[0]!r}")
        for mention_id, mention in found.items():
            if mention is None:
                continue  # removed meanwhile
            before = copy.deepcopy(mention)
            fn(mention)
            if mention == before:
                continue
            s.put(mention)
            entries.append(audit.entry(app.agent, action, mention_id, before, mention))
            if mention.get("status") in model.CLOSED_STATUSES and before.get("status") not in model.CLOSED_STATUSES:
                entries += _close_followups(s, app.agent, mention, action)
            changed.append(mention)
        s.audit(entries)
    return changed


def _close_followups(s: object, agent: str, root: dict, action: str) -> list[dict]:
    """Closing a case closes the customer's follow-ups that joined it."""
    entries = []
    for fid in root.get("followups") or []:
        f = s.get(fid)  # type: ignore[attr-defined]
        if f is None or f.get("status") in model.CLOSED_STATUSES:
            continue
        before = copy.deepcopy(f)
        f["status"] = root["status"]
        f["resolved_at"] = root.get("resolved_at")
        s.put(f)  # type: ignore[attr-defined]
        entries.append(audit.entry(agent, action, fid, before, f, case=root["id"]))
    return entries


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
    """Atomically take the highest-priority unassigned open mention; None if none is left."""
    store = app.store
    filters = filters or queue.Filters()
    with store.session() as s:
        mention = s.next_unassigned(filters)
        if mention is None:
            return None
        before = copy.deepcopy(mention)
        mention["assignee"] = app.agent
        mention["assigned_at"] = _now()
        if mention.get("status") == "new":
            mention["status"] = "open"
        s.put(mention)
        entry = audit.entry(app.agent, "claim", mention["id"], before, mention)
        s.audit([entry])
    return mention

