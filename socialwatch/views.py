"""Human-readable views of mentions, scores and sources (all stranger text through render.safe)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

from socialwatch import cases, model
from socialwatch.render import color_enabled, safe, style, table

if TYPE_CHECKING:
    from socialwatch import sla


def _color() -> bool:
    return color_enabled(sys.stdout)


def ago(value: str | None, now: datetime | None = None) -> str:
    """'5m', '3h', '2d' since an ISO time ('-' if unknown)."""
    if not value:
        return "-"
    try:
        seconds = ((now or model.utcnow()) - model.parse_time(value)).total_seconds()
    except ValueError:
        return "-"
    if seconds < 0:
        return "now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


#: How risk cues show among the flags.
RISK_FLAGS = {"fraud": "FRAUD", "account_takeover": "TAKEOVER", "safety": "SAFETY", "elderly": "VULNERABLE",
              "disabled": "VULNERABLE", "bereavement": "VULNERABLE", "medical": "VULNERABLE", "legal": "LEGAL",
              "press": "PRESS"}


def flags(m: dict) -> str:
    score = m.get("score") or {}
    out = []
    for risk in score.get("risk") or []:
        flag = RISK_FLAGS.get(risk, str(risk).upper())
        if flag not in out:
            out.append(flag)
    if score.get("angry"):
        out.append("ANGRY")
    if score.get("viral"):
        out.append("VIRAL")
    if m.get("kind") == "dm":
        out.append("DM")
    answer = m.get("csat") or {}
    if answer.get("score") is not None:
        out.append("CSAT " + csat_score(answer))
    return " ".join(out)


def intent_label(m: dict) -> str:
    """"complaint", "question", ...; "-" for no response needed, "" when not scored for it."""
    score = m.get("score") or {}
    intent = score.get("intent")
    if not intent:
        return ""
    return intent if score.get("needs_response", True) else f"{intent} (no reply needed)"


def duration(seconds: float) -> str:
    """A span for people: '45s', '12m', '2h 10m', '17h' (hours, never days: a business day is
    not 24 hours)."""
    seconds = abs(int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if not hours:
        return f"{minutes}m" if minutes else f"{seconds}s"
    return f"{hours}h {minutes}m" if minutes else f"{hours}h"


def due_text(countdown: sla.Countdown | None) -> str:
    """'in 40m', 'overdue 2h 10m' or '-': the time left to the first-response target as the SLA
    counts it (business time unless the policy says otherwise)."""
    if countdown is None:
        return "-"
    span = duration(countdown.left.total_seconds())
    return f"overdue {span}" if countdown.overdue else f"in {span}"


def due_sentence(countdown: sla.Countdown) -> str:
    """'first response due in 1h 30m (business time; by Mon 23 Nov 10:00 Europe/London)' or
    'first response overdue by 2h 10m (business time; was due Fri 20 Nov 17:00 Europe/London)'."""
    from zoneinfo import ZoneInfo

    try:
        local = countdown.due.astimezone(ZoneInfo(countdown.zone))
    except (ValueError, KeyError, OSError):
        local = countdown.due
    when = f"{local.strftime('%a %d %b %H:%M')} {countdown.zone}"
    kind = "business time; " if countdown.business else ""
    span = duration(countdown.left.total_seconds())
    if countdown.overdue:
        return f"first response overdue by {span} ({kind}was due {when})"
    return f"first response due in {span} ({kind}by {when})"


def author_label(m: dict) -> str:
    a = m.get("author") or {}
    handle = a.get("handle") or "?"
    extra = []
    if a.get("followers") is not None:
        extra.append(f"{a['followers']:,} followers")
    if a.get("verified"):
        extra.append("verified")
    label = f"@{safe(handle)}"
    if a.get("name"):
        label = f"{safe(a['name'])} ({label})"
    return label + (f" · {', '.join(extra)}" if extra else "")


def history_entry(m: dict) -> dict:
    """A short record of an earlier mention for customer history."""
    return {
        "id": m.get("id"),
        "source": m.get("source"),
        "created_at": m.get("created_at"),
        "status": m.get("status"),
        "priority": model.effective_priority(m),
        "angry": bool((m.get("score") or {}).get("angry")),
        "text": (m.get("text") or "")[:200],
    }


def reasons_table(score: dict, live: list[dict] | None = None) -> str:
    """The score's factors, and `live` ones computed at read time (the waiting factor)."""
    rows = []
    for r in [*(score.get("reasons") or []), *(live or [])]:
        c = r.get("contribution", 0)
        rows.append([str(r.get("factor", "")), f"{c:+.0f}" if isinstance(c, (int, float)) else str(c), safe(str(r.get("detail", "")))])
    if not rows:
        return "  (no factors)"
    return table(rows, ["factor", "points", "detail"], align={1: "right"}, shrink=[2])


def waiting_factor(m: dict, now: datetime) -> list[dict]:
    """The live factors as reason rows: waiting, and the clamp that keeps the priority within
    100 once waiting is added, so that the rows add up to the priority shown (none when waiting
    does not apply, or an agent's priority stands)."""
    hours = model.waiting_hours(m, now)
    if hours is None or m.get("priority_override") is not None:
        return []
    cap = (m.get("score") or {}).get("waiting", {}).get("cap_hours")
    points = model.waiting_points(m, now)
    rows = [{"factor": "waiting", "contribution": points,
             "detail": f"{hours:.1f} h unanswered (full at {cap:g} h; rises with the clock)"}]
    over = model.effective_priority(m) + points - 100
    if over > 0:
        rows.append({"factor": "clamp", "contribution": -over, "detail": "kept within 0..100"})
    return rows


def triage_line(m: dict, now: datetime, due: sla.Countdown | None = None) -> str:
    """Needs a response, intent, language, risk and the SLA due time, on one line."""
    from socialwatch.scoring.langnames import name

    score = m.get("score") or {}
    parts = []
    if "needs_response" in score:
        parts.append("needs a response" if score.get("needs_response") else "no response needed")
    if score.get("intent"):
        parts.append(f"intent {score['intent']} ({score.get('intent_confidence', 0):.2f})")
    if score.get("complaint") and score.get("intent") != "complaint":
        parts.append("complaint")
    language = score.get("language") or m.get("lang")
    if language:
        parts.append(f"language {name(language)}")
    if score.get("risk"):
        parts.append("risk: " + ", ".join(str(r).replace("_", " ") for r in score["risk"]))
    if due is not None:
        parts.append(due_sentence(due))
    return " · ".join(safe(p) for p in parts)


def mention_detail(m: dict, history: list[dict], thread: list[dict] | None = None, now: datetime | None = None,
                   due: sla.Countdown | None = None) -> str:
    """The full view of one mention, as `show` and triage print it; the priority and the waiting
    time are those at `now` (default: the current time), `due` its first-response countdown."""
    color = _color()
    now = now or model.utcnow()
    score = m.get("score") or {}
    head = f"{safe(m['id'])}  priority {model.effective_priority(m, now)}"
    if m.get("priority_override") is not None:
        head += f" (set by agent; computed {score.get('priority')})"
    tag = flags(m)
    lines = [style(head, bold=True, enabled=color) + (("  " + style(tag, fg="red", bold=True, enabled=color)) if tag else "")]
    lines.append(
        f"{author_label(m)} on {safe(m.get('platform') or '?')} ({safe(m.get('source') or '?')}, {m.get('kind')}) · "
        f"{ago(m.get('created_at'))} ago"
    )
    meta = [f"status {m.get('status')}"]
    if m.get("assignee"):
        meta.append(f"assigned to {safe(m['assignee'])}")
    if m.get("team"):
        meta.append(f"team {safe(m['team'])}")
    if m.get("tags"):
        meta.append("tags " + ", ".join(safe(t) for t in m["tags"]))
    if m.get("first_response_at"):
        meta.append(f"first response {m['first_response_at']}"
                    + (f" by {safe(m['first_replied_by'])}" if m.get("first_replied_by") else ""))
    if m.get("resolved_by") and m.get("status") in model.CLOSED_STATUSES:
        meta.append(f"{m.get('status')} by {safe(m['resolved_by'])}")
    lines.append(" · ".join(meta))
    triage = triage_line(m, now, due)
    if triage:
        lines.append(triage)
    survey = csat_line(m)
    if survey:
        lines.append(survey)
    if m.get("url"):
        lines.append(safe(m["url"]))
    lines.append("")
    for text_line in safe(m.get("text") or "", keep_newlines=True).splitlines() or [""]:
        lines.append("  " + text_line)
    if m.get("truncated"):
        lines.append("  [text truncated: it was longer than the 100 KB limit]")
    lines.append("")
    compound = score.get("compound")
    agent = f" · agent says {m['sentiment_override']}" if m.get("sentiment_override") else ""
    if compound is not None:
        lines.append(f"sentiment {compound:+.2f} (pos {score.get('pos', 0):.2f} neu {score.get('neu', 0):.2f} neg {score.get('neg', 0):.2f})"
                     + agent)
    elif score.get("sentiment_note"):
        lines.append(safe(score["sentiment_note"]) + agent)
    # a case's priority from a follow-up is a factor too; the waiting factor is computed now
    lines.append(reasons_table({"reasons": cases.reasons(m)}, waiting_factor(m, now)))
    for note in m.get("notes") or []:
        if isinstance(note, dict):
            lines.append(f"note by {safe(str(note.get('agent')))} {ago(note.get('at'))} ago: {safe(str(note.get('text')))}")
    if m.get("draft"):
        d = m["draft"]
        lines.append(f"draft ({d.get('visibility', 'public')}) by {safe(str(d.get('agent')))}: {safe(str(d.get('text')))}")
    lines.append("")
    if m.get("case_id") and m["case_id"] != m["id"]:
        lines.append(f"This is a follow-up in case {safe(m['case_id'])}.")
    if thread:
        lines.append(f"Follow-ups by the customer in this thread ({len(thread)}):")
        for f in thread:
            closed = f" ({f.get('status')})" if not model.is_open(f) else ""
            lines.append(f"  {ago(f.get('created_at'))} ago  {safe(f.get('id') or '')}{closed}: {safe(f.get('text') or '')}")
        lines.append("")
    if history:
        lines.append(f"Other mentions by this author ({len(history)}):")
        rows = [[ago(h.get("created_at")), safe(h.get("source") or ""), str(h.get("status")), str(model.effective_priority(h)),
                 safe(h.get("text") or "")] for h in history]
        lines.append(table(rows, ["age", "source", "status", "prio", "text"], shrink=[4]))
    else:
        lines.append("No other mentions by this author.")
    return "\n".join(lines)


def csat_score(answer: dict) -> str:
    """'4/5', 'yes', 'no'; 'satisfied' / 'dissatisfied' when read from a comment; 'comment, no rating'
    for a comment that said neither ('' when there is no answer)."""
    score = answer.get("score")
    if score is None:
        return "comment, no rating" if answer.get("answer_id") or answer.get("answered_at") else ""
    if answer.get("scale") == "yes-no":
        if answer.get("method") == "comment":
            return "satisfied" if score == 1 else "dissatisfied"
        return "yes" if score == 1 else "no"
    return f"{score}/5"


def _ago_phrase(value: str | None) -> str:
    """'5m ago', 'just now' (a time a little ahead of this clock), '' when unknown."""
    span = ago(value)
    return "" if span == "-" else "just now" if span == "now" else f"{span} ago"


#: How an answer's rating was read, for `csat_line`.
_METHODS = {"number": "a number", "stars": "stars", "emoji": "an emoji", "yes-no": "yes/no",
            "sentiment": "its sentiment", "comment": "the comment"}


def csat_line(m: dict) -> str:
    """The satisfaction survey of a case, for people ('' when it has none)."""
    survey = m.get("csat_survey") or {}
    answer = m.get("csat") or {}
    if m.get("csat_answer_to"):
        return f"This is a satisfaction survey answer for case {safe(m['csat_answer_to'])}."
    if not survey and not answer:
        return ""
    state = survey.get("state") or "?"
    parts = [f"CSAT survey {state}"]
    if state == "due":
        parts.append(f"at {survey.get('due_at')}")
    elif survey.get("sent_at"):
        parts.append(f"{survey['sent_at']}" if state == "sent" else f"(sent {survey['sent_at']})")
    if survey.get("reason"):
        parts.append(f"({safe(survey['reason'])})")
    if survey.get("error") and state in ("failed", "unknown"):
        parts.append(f"({safe(survey['error'])})")
    if answer:
        if answer.get("score") is None:
            text = "answer: comment, no rating (counted as a response, not in CSAT)"
        else:
            how = _METHODS.get(str(answer.get("method")), answer.get("method"))
            text = (f"answer {csat_score(answer)} ({'satisfied' if answer.get('satisfied') else 'not satisfied'}"
                    + (f", read from {how})" if how else ")"))
            if answer.get("method") == "comment":
                text = f"answer {csat_score(answer)} (read from the comment)"
        when = _ago_phrase(answer.get("answered_at"))
        parts.append(f"· {text}" + (f" {when}" if when else ""))
        if answer.get("comment"):
            parts.append(f"“{safe(answer['comment'])}”")
    return " ".join(parts)


def queue_table(items: list[dict], now: datetime | None = None, policy: object | None = None) -> str:
    """The queue as a table: live priority, flags, intent, language, age, SLA due (with a policy)."""
    from socialwatch import sla

    now = now or model.utcnow()
    rows = []
    for m in items:
        score = m.get("score") or {}
        row = [str(model.effective_priority(m, now)), flags(m) + (f" +{len(m['followups'])}" if m.get("followups") else ""),
               safe(intent_label(m)), safe(score.get("language") or m.get("lang") or ""), ago(m.get("created_at"), now)]
        if policy is not None:
            row.append(due_text(sla.countdown(policy, m, now)))  # type: ignore[arg-type]
        row += [safe(m.get("id") or ""), "@" + safe((m.get("author") or {}).get("handle") or "?"), safe(m.get("text") or "")]
        rows.append(row)
    head = ["prio", "flags", "intent", "lang", "age", *(["due"] if policy is not None else []), "id", "author", "text"]
    last = len(head) - 1
    return table(rows, head, align={0: "right"}, shrink=[last, last - 1])


def customer_table(items: list[dict]) -> str:
    """One customer's mentions: when, where, status, assignee and text (`customer HANDLE`)."""
    rows = [[ago(m.get("created_at")), safe(m.get("id") or ""), "@" + safe((m.get("author") or {}).get("handle") or "?"),
             str(m.get("status") or ""), safe(m.get("assignee") or "-"), str(model.effective_priority(m)), flags(m),
             safe(m.get("text") or "")] for m in items]
    return table(rows, ["age", "id", "author", "status", "assignee", "prio", "flags", "text"], align={5: "right"},
                 shrink=[7, 2])


def score_explanation(text: str, score: dict) -> str:
    """`score --explain`: the text, its sentiment, flags, intent, language, risk and reasons."""
    from socialwatch.scoring.langnames import name

    compound = score.get("compound")
    sentiment = f"compound {compound:+.3f}" if compound is not None else safe(score.get("sentiment_note") or "sentiment not scored")
    flags_shown = [label for key, label in (("needs_response", "NEEDS RESPONSE"), ("complaint", "COMPLAINT"),
                                            ("angry", "ANGRY"), ("viral", "VIRAL")) if score.get(key)]
    for r in score.get("risk") or []:  # "LEGAL", "VULNERABLE (elderly)": the category only when the flag hides it
        flag = RISK_FLAGS.get(r, str(r).upper())
        flags_shown.append(flag if flag == str(r).upper() else f"{flag} ({str(r).replace('_', ' ')})")
    head = f"{safe(text)}\n  {sentiment} · priority {score['priority']}"
    if score.get("intent"):
        head += f" · intent {score['intent']} ({score.get('intent_confidence', 0):.2f})"
    if "language" in score:
        head += f" · language {name(score.get('language'))}"
    if flags_shown:
        head += " · " + ", ".join(flags_shown)
    return head + "\n" + reasons_table(score) + "\n"


def sources_table(rows: list[dict]) -> str:
    out = [[safe(r["name"]), safe(str(r["type"])), r["state"], ago(r["last_success"]), ago(r["newest_item_at"]),
            str(r["calls_today"]) + (f"/{r['max_requests_per_day']}" if r.get("max_requests_per_day") else ""),
            safe(r.get("last_error") or "")] for r in rows]
    if not out:
        return "No sources configured."
    return table(out, ["source", "type", "state", "last success", "lag", "calls today", "last error"], shrink=[6])


def health_text(report: dict) -> str:
    """`socialwatch health`: the state, why it is not healthy, then sources, store, daemon, backlog."""
    lines = [f"socialwatch: {report['state'].upper()}"]
    lines += [f"  - {safe(reason)}" for reason in report.get("reasons") or []]
    store = report["store"]
    if store.get("error"):
        lines.append(f"store: {safe(store['where'])}: {safe(store['error'])}")
        return "\n".join(lines)
    lines.append("")
    lines.append(sources_table(report["sources"]))
    lines.append("")
    lines.append(f"store: {store['open']} open, {store['archived']} closed, {store['bytes'] / 1e6:.1f} MB "
                 f"({safe(store['where'])})")
    daemon = report.get("daemon") or {}
    if daemon.get("running"):
        where = f"pid {daemon.get('pid')}" + (f" on {safe(str(daemon['host']))}" if daemon.get("host") else "")
        lines.append(f"daemon: running ({where}" + (f", since {ago(daemon['started_at'])}" if daemon.get("started_at") else "")
                     + ")")
    else:
        lines.append("daemon: not running (polling from cron, or stopped)")
    oldest = report.get("oldest_unanswered")
    lines.append(f"backlog: {report['backlog']} open, {report['unanswered']} unanswered"
                 + (f", oldest {safe(oldest['id'])} ({ago(oldest['created_at'])})" if oldest else ""))
    counted = "" if report.get("backlog_counts") or not report["sla_breaches"] else \
        " (team backlog: not counted in the status; --backlog counts it)"
    lines.append(f"SLA breaches: {report['sla_breaches']}{counted}")
    return "\n".join(lines)
