"""The surveys of a period, for `csat list`: every survey with its state and answer, and every
closed case of a surveyed source that got none, with why (`survey_rows`)."""

from __future__ import annotations

from collections.abc import Iterable

from socialwatch import model
from socialwatch.csat.policy import Settings, eligible


def _skipped_reason(st: Settings, m: dict) -> str | None:
    """Why a closed case of a surveyed source has no survey (None for what is no case of its own)."""
    if m.get("csat_answer_to") or (m.get("case_id") and m["case_id"] != m["id"]):
        return None  # a survey answer, a follow-up: its case is listed instead
    if m.get("status") == "ignored":
        return "it was ignored, not resolved"
    return eligible(st, m) or "it was resolved before surveys were on for its source"


def survey_rows(mentions: Iterable[dict], st: Settings | None, since: str) -> list[dict]:
    """One row per survey due, sent or decided since `since` (ISO UTC), and (when CSAT is on, `st`)
    one `skipped` row per case of a surveyed source closed since then without a survey: resolved
    without a reply, ignored, tagged with an excluded tag, ... with the reason. Oldest first."""
    rows = []
    for m in mentions:
        survey = m.get("csat_survey") or {}
        if survey:
            if (survey.get("sent_at") or survey.get("due_at") or survey.get("decided_at") or "") < since:
                continue
            answer = m.get("csat") or {}
            rows.append(_row(m, survey.get("state"), survey.get("sent_at"), survey.get("reason"), answer,
                             survey.get("sent_at") or survey.get("due_at") or survey.get("decided_at")))
            continue
        if st is None or m.get("source") not in st.sources or m.get("status") not in model.CLOSED_STATUSES:
            continue
        closed = m.get("resolved_at") or ""
        if closed < since:
            continue
        reason = _skipped_reason(st, m)
        if reason is not None:
            rows.append(_row(m, "skipped", None, reason, {}, closed))
    rows.sort(key=lambda r: (r["at"] or "", r["case"]))
    return rows


def _row(m: dict, state: str | None, sent_at: str | None, reason: str | None, answer: dict, at: str | None) -> dict:
    rated = answer.get("score") is not None
    return {"case": m["id"], "source": m.get("source"), "customer": (m.get("author") or {}).get("handle"),
            "state": state, "sent_at": sent_at, "score": answer.get("score"), "scale": answer.get("scale"),
            "method": answer.get("method"), "rated": rated if answer else None, "comment": answer.get("comment"),
            "answered_at": answer.get("answered_at"), "answer_id": answer.get("answer_id"), "reason": reason,
            "at": at}
