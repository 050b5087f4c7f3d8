"""Agent actions on mentions: each one a locked read-modify-write plus an audit entry."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from socialwatch import audit, cases, model, queue
from socialwatch.app import App
from socialwatch.errors import Conflict, NotFound, UsageError

Change = Callable[[dict], None]

# Audit entries this process wrote, for `recording()` (the inbox's undo); a stack of lists.
_recorders: list[list[dict]] = []


@contextlib.contextmanager
def recording() -> Iterator[list[dict]]:
    """Collect the audit entries of the changes made inside the block (what `revert` undoes)."""
    entries: list[dict] = []
    _recorders.append(entries)
    try:
        yield entries
    finally:
        _recorders.remove(entries)


def _audit(s: object, entries: list[dict]) -> None:
    s.audit(entries)  # type: ignore[attr-defined]
    for recorder in _recorders:
        recorder.extend(entries)


def change(app: App, mention_id: str, action: str, fn: Change, **extra: object) -> dict:
    """Apply `fn` to the stored mention under the store lock, and carry the change over to the rest
    of its case (`cases.sync`); audit it; return the new mention."""
    store = app.store
    with store.session() as s:
        mention = s.get_in_case(mention_id)
        if mention is None:
            raise NotFound(f"no mention with id {mention_id!r}")
        entries = _apply(s, app, action, mention, fn, extra)
        _audit(s, entries)
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
            more = _apply(s, app, action, mention, fn, {})
            if more:
                entries += more
                changed.append(mention)
        _audit(s, entries)
    return changed


def status_changed(s: object, app: Any, before: dict, mention: dict) -> None:
    """What a change of status brings with it, in the same session: who closed the mention
    (`resolved_by`, cleared on reopening) and, for a resolved case, its satisfaction survey.
    `app`: anything with `config` and `agent`."""
    status, was = mention.get("status"), before.get("status")
    if status == was:
        return
    if status in model.CLOSED_STATUSES:
        mention["resolved_by"] = app.agent
        if status == "resolved":
            from socialwatch import csat

            csat.on_resolved(s, app.config, mention, app.agent)
    elif was in model.CLOSED_STATUSES:
        mention["resolved_by"] = None


def _apply(s: object, app: App, action: str, mention: dict, fn: Change, extra: dict) -> list[dict]:
    """Change one mention in session `s`, then its case; the audit entries ([] if nothing changed)."""
    before = copy.deepcopy(mention)
    fn(mention)
    status_changed(s, app, before, mention)
    if mention == before:
        return []
    s.put(mention)  # type: ignore[attr-defined]
    more = cases.sync(s, app.agent, action, before, mention)  # (may change `mention` too: a root's case priority)
    return [audit.entry(app.agent, action, mention["id"], before, mention, **extra), *more]


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
    filters.hide_snoozed = True
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
        _audit(s, _apply(s, app, "claim", mention, take, {}))
    return mention


def snooze(app: App, mention_id: str, until: datetime | None) -> dict:
    """Put an open mention aside until `until` (None: wake it now); the queue leaves it out
    until then, and it comes back by itself, in its place by priority, when the time comes."""
    if until is not None and until <= model.utcnow():
        raise UsageError("snooze until a time in the future")

    def apply(m: dict) -> None:
        if until is not None and not model.is_open(m):
            raise UsageError(f"{mention_id} is {m.get('status')}: only open mentions can be snoozed")
        m["snoozed_until"] = model.iso(until) if until is not None else None

    return change(app, mention_id, "snooze" if until is not None else "unsnooze", apply)


#: Actions an agent may undo (a sent reply cannot be unsent; its outbox record stays).
UNDOABLE = ("assign", "unassign", "claim", "resolve", "ignore", "reopen", "tag", "untag", "note", "priority",
            "sentiment", "escalate", "snooze", "unsnooze", "draft")


def revert(app: App, entries: list[dict]) -> list[dict]:
    """Undo the changes these audit entries record (one action: a mention and the follow-ups it
    closed), in one locked session, audited as "undo".

    Each field goes back to its value before the action, only if it still holds the value the
    action gave it: a change someone made since is never overwritten (Conflict, nothing changed).
    """
    todo = [e for e in entries if e.get("action") in UNDOABLE and e.get("after")]
    if not todo:
        raise UsageError("nothing to undo")
    changed = []
    with app.store.session() as s:
        out: list[dict] = []
        for e in reversed(todo):
            mention = s.require(e["id"])
            for key, value in e["after"].items():
                if key == "viewing":
                    continue
                if mention.get(key) != value:
                    raise Conflict(f"{e['id']} changed since ({key}); nothing was undone")
            before = copy.deepcopy(mention)
            for key, value in e["before"].items():
                if key == "viewing":
                    continue
                if value is None and key not in before:
                    continue
                mention[key] = value
            if mention != before:
                s.put(mention)
                out.append(audit.entry(app.agent, "undo", e["id"], before, mention, undoes=e.get("action")))
                changed.append(mention)
        _audit(s, out)
    return changed


def last_change(app: App, mention_id: str) -> list[dict]:
    """The entries of this agent's last undoable action on a mention, with the entries the same
    action wrote on the rest of its case (for `socialwatch undo ID`); [] if there is none."""
    mine = [e for e in app.store.audit_entries(mention_id) if e.get("agent") == app.agent]
    for e in reversed(mine):
        if e.get("action") == "undo":
            return []  # the last thing this agent did there was an undo: nothing left to undo
        if e.get("action") in UNDOABLE:
            return [e, *_case_entries(app, e)]
    return []


def _case_entries(app: App, root_entry: dict) -> list[dict]:
    """The entries the same action wrote on the case's follow-ups (same agent, time and action)."""
    try:
        root = app.store.get(root_entry["id"])
    except NotFound:
        return []
    found = []
    for fid in root.get("followups") or []:
        for e in app.store.audit_entries(fid):
            if (e.get("case") == root["id"] and e.get("at") == root_entry.get("at") and e.get("agent") == root_entry.get("agent")
                    and e.get("action") == root_entry.get("action")):
                found.append(e)
    return found
