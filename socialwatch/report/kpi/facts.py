"""What one mention contributes to the KPIs (`Facts`), which groups it counts in, its survey.

The rules are the definitions in `report.kpi.definitions`; everything here is a pure function of
one mention dict, the period and the SLA policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from socialwatch.cases import is_followup
from socialwatch.export import is_complaint, sentiment_label
from socialwatch.model import CLOSED_STATUSES, effective_priority
from socialwatch.report.credit import credited_agent
from socialwatch.report.stats import time_or_none
from socialwatch.sla import Policy

DIMENSIONS = ("source", "agent", "tag", "brand")
UNASSIGNED = "unassigned"
UNTAGGED = "(untagged)"
NO_SOURCE = "(none)"
#: Rows kept in the ranked lists (themes, complainers) by default.
TOP = 10


@dataclass
class Facts:
    """What one mention contributes to the KPIs (computed once, added to every group it is in)."""

    in_period: bool
    negative: bool = False
    angry: bool = False
    viral: bool = False
    complaint: bool = False
    question: bool = False
    needs_response: bool = False
    needs_response_answered: bool = False
    frt: float | None = None  # seconds of business time
    sla: str | None = None  # "met" | "breached" | "pending" | None (not counted)
    sla_excluded: str | None = None  # "followup" | "ignored" | "no_response": why it is not counted
    resolution: float | None = None
    resolved_without_reply: bool = False
    fcr: bool | None = None  # None: not eligible
    backlog: bool = False
    hour: int | None = None  # local hour of day


@dataclass
class Survey:
    """A mention's satisfaction survey, for the period it was sent in."""

    sent: datetime
    responded: bool
    satisfied: bool
    rated: bool = False  # an answer with a rating (a comment without one is a response, not in CSAT)


def reply_count(m: dict) -> int:
    """Replies recorded on the mention; an answer given outside socialwatch counts as one."""
    replies = m.get("replies")
    if isinstance(replies, list) and replies:
        return len(replies)
    return 1 if m.get("first_response_at") else 0


def _sla_state(m: dict, created: datetime, answered: datetime | None, p: Policy, now: datetime) -> str | None:
    target = p.target(effective_priority(m))
    if answered is not None:
        return "met" if p.elapsed(created, answered) <= target else "breached"
    if m.get("status") == "ignored":
        return None
    if (m.get("score") or {}).get("needs_response") is False:
        return None  # nothing was due (as `show`, the queue and `health` say: see sla.due_at)
    return "breached" if p.elapsed(created, now) > target else "pending"


def _is_fcr(m: dict) -> bool | None:
    if m.get("status") != "resolved" or reply_count(m) < 1:
        return None
    return reply_count(m) == 1 and not m.get("followups") and not m.get("reopened")


def _closed_by(m: dict, until: datetime) -> bool:
    if m.get("status") not in CLOSED_STATUSES:
        return False
    closed = time_or_none(m.get("resolved_at"))
    return closed is None or closed <= until


def is_survey_answer(m: dict) -> bool:
    """A mention that only answered a satisfaction survey (not counted as a mention)."""
    return bool(m.get("csat_answer_to"))


def survey_of(m: dict) -> Survey | None:
    """The mention's sent satisfaction survey and its answer, if any."""
    survey = m.get("csat_survey")
    if not isinstance(survey, dict):
        return None
    sent = time_or_none(survey.get("sent_at"))
    if sent is None:
        return None
    answer = m.get("csat") if isinstance(m.get("csat"), dict) else None
    from socialwatch.csat.answers import is_satisfied

    rated = answer is not None and answer.get("score") is not None
    return Survey(sent=sent, responded=answer is not None, satisfied=rated and is_satisfied(answer or {}), rated=rated)


def facts(m: dict, since: datetime, until: datetime, p: Policy, now: datetime) -> Facts | None:
    """The mention's contribution, or None when it neither falls in the period nor is backlog."""
    created = time_or_none(m.get("created_at"))
    if created is None or created >= until:
        return None
    followup = is_followup(m)
    backlog = not followup and not _closed_by(m, until)
    if created < since:
        return Facts(in_period=False, backlog=True) if backlog else None
    score = m.get("score") or {}
    f = Facts(
        in_period=True,
        negative=sentiment_label(m) == "negative",
        angry=bool(score.get("angry")),
        viral=bool(score.get("viral")),
        complaint=is_complaint(m),
        question=score.get("intent") == "question",
        needs_response=bool(score.get("needs_response")),
        needs_response_answered=bool(score.get("needs_response")) and bool(m.get("first_response_at")),
        backlog=backlog,
        hour=created.astimezone(p.tz).hour,
    )
    if followup:
        f.sla_excluded = "followup"
        return f
    answered = time_or_none(m.get("first_response_at"))
    if answered is not None:
        f.frt = p.elapsed(created, answered).total_seconds()
    f.sla = _sla_state(m, created, answered, p, now)
    if f.sla is None:
        f.sla_excluded = "ignored" if m.get("status") == "ignored" else "no_response"
    resolved = time_or_none(m.get("resolved_at"))
    if m.get("status") == "resolved" and resolved is not None:
        f.resolution = p.elapsed(created, resolved).total_seconds()
        f.resolved_without_reply = reply_count(m) == 0
    f.fcr = _is_fcr(m)
    return f


def group_keys(m: dict, dimension: str, brand_name: str, credit: dict | None = None) -> list[str]:
    """The group(s) a mention belongs to along one dimension."""
    if dimension == "source":
        return [str(m.get("source") or NO_SOURCE)]
    if dimension == "agent":
        return [credited_agent(m, credit) or UNASSIGNED]
    if dimension == "tag":
        tags = [str(t) for t in (m.get("tags") or []) if t]
        return sorted(set(tags)) or [UNTAGGED]
    if dimension == "brand":
        return [str(m.get("brand") or brand_name)]
    raise ValueError(f"unknown dimension {dimension!r}")


def csat_comment(m: dict, credit: dict | None) -> dict | None:
    """A survey answer with a comment, for the report."""
    answer = m.get("csat")
    if not isinstance(answer, dict) or not answer.get("comment"):
        return None
    return {"case": m.get("id"), "source": m.get("source"), "agent": credited_agent(m, credit) or UNASSIGNED,
            "score": answer.get("score"), "scale": answer.get("scale"), "method": answer.get("method"),
            "satisfied": answer.get("satisfied") if answer.get("score") is not None else None,
            "answer_id": answer.get("answer_id"),
            "comment": str(answer["comment"])[:500], "answered_at": answer.get("answered_at")}
