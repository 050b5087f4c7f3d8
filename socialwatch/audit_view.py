"""The audit trail for people (`socialwatch history ID`): one readable line per event.

Each line says when, who and what: the tag added, the note's text, the reply's text and
channel, the status change. Stranger text goes through `render.safe` (one line per event:
a newline shows as ⏎); nothing is cut. `history --json` prints the raw entries instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from socialwatch.render import safe

#: Fields that say nothing to a reader of the trail.
_QUIET = {"viewing"}


def when(at: Any) -> str:
    """'2026-11-23 16:09:00 UTC' from a stored UTC ISO time (anything else as it is)."""
    text = str(at or "?")
    if len(text) == 20 and text[10] == "T" and text.endswith("Z"):
        return f"{text[:10]} {text[11:19]} UTC"
    return safe(text)


def value(v: Any) -> str:
    """A field's value in words: none, a list joined by commas, text made safe."""
    if v is None or v == [] or v == "":
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list) and all(isinstance(x, (str, int, float)) for x in v):
        return ", ".join(safe(str(x)) for x in v)
    if isinstance(v, (dict, list)):
        import orjson

        return safe(orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS).decode())
    return safe(str(v))


def quoted(text: Any) -> str:
    return "“" + safe(str(text if text is not None else "")) + "”"


def _changes(before: dict, after: dict, skip: Iterable[str] = ()) -> list[str]:
    """'status open → resolved' for each changed field (lists and texts in words)."""
    out = []
    for key in after:
        if key in _QUIET or key in skip:
            continue
        out.append(f"{safe(key)} {value(before.get(key))} → {value(after.get(key))}")
    for key in before:
        if key not in after and key not in _QUIET and key not in skip:
            out.append(f"{safe(key)} {value(before.get(key))} → none")
    return out


def _a(adjective: Any, noun: str) -> str:
    """'a private reply', 'a reply' (no adjective)."""
    return f"a {safe(str(adjective))} {noun}" if adjective else f"a {noun}"


def _new_items(before: dict, after: dict, key: str) -> list[Any]:
    old = before.get(key) or []
    return [x for x in (after.get(key) or []) if x not in old]


def describe(entry: dict, replies: dict[str, dict] | None = None) -> str:
    """What one audit entry did, in words (`replies`: outbox records by id, for reply texts)."""
    action = str(entry.get("action") or "?")
    before = entry.get("before") or {}
    after = entry.get("after") or {}
    record_id = entry.get("record")
    record = (replies or {}).get(record_id) if record_id else None
    case = f" (with case {safe(str(entry['case']))})" if entry.get("case") else ""
    handled: set[str] = set()
    what: str
    if action in ("tag", "untag"):
        added = [t for t in after.get("tags") or [] if t not in (before.get("tags") or [])]
        removed = [t for t in before.get("tags") or [] if t not in (after.get("tags") or [])]
        parts = ([f"tagged {value(added)}"] if added else []) + ([f"removed tag {value(removed)}"] if removed else [])
        what = "; ".join(parts) or "tags unchanged"
        handled.add("tags")
    elif action == "note":
        notes = _new_items(before, after, "notes")
        texts = [n.get("text") if isinstance(n, dict) else n for n in notes]
        what = "added a note: " + ("; ".join(quoted(t) for t in texts) if texts else "(empty)")
        handled.add("notes")
    elif action == "draft":
        draft = after.get("draft") or {}
        what = f"saved {_a(draft.get('visibility'), 'draft')}: {quoted(draft.get('text'))}" if draft else "discarded the draft"
        handled.add("draft")
    elif action == "escalate":
        esc = _new_items(before, after, "escalations")
        last = esc[-1] if esc and isinstance(esc[-1], dict) else {}
        what = f"escalated to {safe(str(last.get('team') or after.get('team')))}" + (
            f": {quoted(last.get('reason'))}" if last.get("reason") else "")
        handled |= {"escalations", "team"}
    elif action == "reply-sending":
        text = entry.get("text") if entry.get("text") is not None else (record or {}).get("text")
        visibility = entry.get("visibility") or (record or {}).get("visibility")
        template = entry.get("template") or (record or {}).get("template")
        what = (f"started {_a(visibility, 'reply')} {safe(str(record_id))}"
                + (f" from template {safe(str(template))}" if template else "")
                + (f": {quoted(text)}" if text is not None else ""))
    elif action.startswith("reply-"):
        state = action.removeprefix("reply-")
        url = (record or {}).get("url") if state == "sent" else None
        what = f"reply {safe(str(record_id))} {safe(state)}" + (f" ({safe(url)})" if url else "")
        if entry.get("error"):
            what += f": {safe(str(entry['error']))}"
    elif action == "replied":
        replies_added = _new_items(before, after, "replies")
        channel = next((r.get("visibility") for r in replies_added if isinstance(r, dict)), None)
        detail = ", ".join(x for x in (safe(str(channel)) if channel else "", safe(str(record_id)) if record_id else "") if x)
        what = "replied" + (f" ({detail})" if detail else "")  # the text is on the reply's "started" line
        handled |= {"replies", "first_response_at", "replied_by", "first_replied_by", "draft"}
    elif action == "claim":
        what = "claimed it"
        handled |= {"assignee", "assigned_at"}
    elif action == "assign":
        what = f"assigned it to {value(after.get('assignee'))}"
        handled |= {"assignee", "assigned_at"}
    elif action == "unassign":
        what = f"unassigned it (was {value(before.get('assignee'))})"
        handled |= {"assignee", "assigned_at"}
    elif action == "priority":
        override = after.get("priority_override", before.get("priority_override"))
        what = (f"set priority {value(after.get('priority'))}" if override is not None
                else f"put priority back to the computed {value(after.get('priority'))}")
        handled |= {"priority", "priority_override"}
    elif action == "sentiment":
        what = (f"corrected the sentiment to {value(after.get('sentiment_override'))}" if after.get("sentiment_override")
                else "cleared the sentiment correction")
        handled.add("sentiment_override")
    elif action in ("resolve", "ignore", "reopen"):
        what = {"resolve": "resolved it", "ignore": "ignored it", "reopen": "reopened it"}[action]
        if "status" in after:
            what += f" (status {value(before.get('status'))} → {value(after.get('status'))})"
        handled |= {"status", "resolved_at", "resolved_by"}
    elif action.startswith("csat-"):
        what, done = _survey(action.removeprefix("csat-"), entry, before, after)
        handled |= done
    else:
        what = safe(action)
    survey = after.get("csat_survey") if "csat_survey" not in handled else None
    if isinstance(survey, dict) and survey.get("state") == "due":
        handled.add("csat_survey")
        what += f"; satisfaction survey due at {when(survey.get('due_at'))}"
    rest = _changes(before, after, handled | {"resolved_at", "assigned_at", "resolved_by", "first_replied_by"})
    if rest:
        what += "; " + ", ".join(rest)
    return what + case


def _survey(step: str, entry: dict, before: dict, after: dict) -> tuple[str, set[str]]:
    """A satisfaction survey's step (`socialwatch.csat`), in words."""
    survey = after.get("csat_survey") if isinstance(after.get("csat_survey"), dict) else {}
    record = safe(str(entry.get("record") or survey.get("record") or ""))
    if step == "answer":
        answer = after.get("csat") if isinstance(after.get("csat"), dict) else {}
        from socialwatch.views import csat_score

        what = f"the customer answered the satisfaction survey: {csat_score(answer)}"
        if answer.get("comment"):
            what += f" {quoted(answer['comment'])}"
        if entry.get("reopened"):
            what += " (not satisfied: the case is reopened)"
        return what, {"csat", "csat_survey", "status", "resolved_at", "followups", "reopened", "last_customer_activity"}
    words = {"sending": f"sending the satisfaction survey {record}", "sent": f"satisfaction survey {record} sent",
             "failed": f"satisfaction survey {record} failed", "unknown": f"satisfaction survey {record}: outcome unknown"}
    what = words.get(step, f"satisfaction survey {safe(step)}")
    reason = survey.get("reason") or survey.get("error")
    if reason:
        what += f": {safe(str(reason))}"
    return what, {"csat_survey"}


def lines(entries: Iterable[dict], replies: dict[str, dict] | None = None) -> list[str]:
    """One line per entry: when, who, what."""
    return [f"{when(e.get('at'))}  {safe(str(e.get('agent') or '?'))}  {describe(e, replies)}" for e in entries]
