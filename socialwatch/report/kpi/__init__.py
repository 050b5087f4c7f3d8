"""Customer-service KPIs over a period: pure functions over mention dicts (and audit entries), no I/O.

`compute(mentions, since, until, policy, now, brand_name=..., audit=...)` returns one
JSON-serialisable dict (see `compute`) that `report.text.text_report`, `report.html.html_report`
and `report --json` use. What every number means: `definitions` (its docstring, and
`DEFINITIONS` in words for the HTML report). The parts: `facts` (one mention's contribution and
groups), `accumulate` (adding them up per group), `periods` (the timeline, spikes and weekly
trend), `themes` and `complainers`; the agents' work comes from `report.credit`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from socialwatch.export import is_complaint, sentiment_label
from socialwatch.model import iso
from socialwatch.report.credit import Ledger
from socialwatch.report.kpi.accumulate import COMPARED, Accumulator, deltas, frt_histogram
from socialwatch.report.kpi.complainers import Complainers
from socialwatch.report.kpi.definitions import definitions, notes
from socialwatch.report.kpi.facts import (
    DIMENSIONS,
    TOP,
    UNASSIGNED,
    UNTAGGED,
    csat_comment,
    facts,
    group_keys,
    is_survey_answer,
    survey_of,
)
from socialwatch.report.kpi.periods import Period, Spikes, Timeline, Trend
from socialwatch.report.kpi.themes import Themes, brand_words
from socialwatch.report.stats import percentile, time_or_none
from socialwatch.sla import Policy, describe

__all__ = ["COMPARED", "DIMENSIONS", "UNASSIGNED", "UNTAGGED", "compute", "percentile"]

#: Survey comments kept in the report (the least satisfied first).
CSAT_COMMENTS = 25


def _policy_zone(p: Policy) -> str:
    return str(getattr(p.tz, "key", None) or p.tz)


def compute(
    mentions: Iterable[dict],
    since: datetime,
    until: datetime,
    policy: Policy,
    now: datetime,
    *,
    brand_name: str = "",
    brand_terms: Iterable[str] = (),
    by: Sequence[str] = DIMENSIONS,
    keep: Callable[[dict], bool] | None = None,
    top: int = TOP,
    audit: Iterable[dict] = (),
) -> dict:
    """The KPIs of the period [since, until) overall and per group (see `definitions`),
    with the previous period, the weekly trend and the agents' work from the `audit` entries.

    `brand_terms` (the brand's name, handles and keywords) are left out of the themes; `keep`
    filters the mentions (e.g. by source or tag) before anything is counted. Returns::

        {"period": {...}, "sla": {policy in force}, "overall": Kpis, "groups": {dimension: [Kpis, ...]},
         "previous": {"since", "until", "overall", "groups"}, "deltas": {kpi: this - previous},
         "agents": [work per agent], "trend": [per week], "csat_comments": [...], "excluded": {...},
         "hours": [24 counts], "timeline": {"unit", "buckets"}, "frt_histogram": [...],
         "spikes": {...}, "themes": {...}, "complainers": [...], "notes": [...], "definitions": {...}}
    """
    for dim in by:
        if dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dim!r}; known: {', '.join(DIMENSIONS)}")
    ledger = Ledger(audit, policy)
    credit = ledger.credit
    length = until - since
    current, previous = Period(since, until, by), Period(since - length, since, by)
    timeline = Timeline(since, until, policy.tz)
    spikes = Spikes(since, until, policy.tz)
    trend = Trend(since, until, policy, now)
    themes = Themes(brand_words([brand_name, *brand_terms]))
    complainers = Complainers()
    frt_samples: list[float] = []
    comments: list[dict] = []
    survey_answers = 0
    for m in mentions:
        ledger.note_case(m)  # (every mention: the agents' work is not filtered)
        if keep is not None and not keep(m):
            continue
        created = time_or_none(m.get("created_at"))
        if is_survey_answer(m):
            if created is not None and since <= created < until:
                survey_answers += 1
            continue
        survey = survey_of(m)
        if created is not None:
            spikes.seen(created)
        f = facts(m, since, until, policy, now)
        fp = facts(m, since - length, since, policy, now)
        in_trend = created is not None and trend.start <= created < until
        if f is None and fp is None and survey is None and not in_trend and not (
                created is not None and spikes.start <= created < until):
            continue
        keys = {dim: group_keys(m, dim, brand_name, credit) for dim in by}
        current.add(m, f, survey, keys)
        previous.add(m, fp, survey, keys)
        trend.add(m, created if in_trend else None, survey)
        if created is not None:
            score = m.get("score") or {}
            spikes.add(created, sentiment_label(m) == "negative", bool(score.get("angry")))
        if survey is not None and since <= survey.sent < until:
            comment = csat_comment(m, credit)
            if comment is not None:
                comments.append(comment)
        if f is None or not f.in_period:
            continue
        assert created is not None
        timeline.add(created, f)
        complaint = is_complaint(m)
        complainers.add(m, created, complaint)
        if complaint:
            themes.add(m)
        if f.frt is not None:
            frt_samples.append(f.frt)
    result = current.overall.result()
    before = previous.overall.result()
    # dissatisfied first, then comments without a rating, then satisfied; lower scores first
    comments.sort(key=lambda c: ({False: 0, None: 1, True: 2}[c["satisfied"]],
                                 c["score"] if isinstance(c["score"], int) else 0, c["answered_at"] or ""))
    prev_groups = {dim: {k: acc.result() for k, acc in accs.items()} for dim, accs in previous.groups.items()}
    groups = {}
    for dim, accs in current.groups.items():
        rows = _sorted_groups(accs)
        for row in rows:
            row["previous"] = {k: prev_groups[dim].get(row["key"], {}).get(k) for k in COMPARED}
        groups[dim] = rows
    agents = ledger.work(since, until)
    agents_before = {r["agent"]: r for r in ledger.work(since - length, since)}
    for row in agents:
        row["previous"] = agents_before.get(row["agent"])
    return {
        "period": {"since": iso(since), "until": iso(until), "now": iso(now), "timezone": _policy_zone(policy),
                   "business_time": policy.business_time, "brand": brand_name},
        "sla": describe(policy, since, until),
        "overall": result,
        "groups": groups,
        "previous": {"since": iso(since - length), "until": iso(since), "overall": before},
        "deltas": deltas(result, before),
        "agents": agents,
        "trend": trend.result(),
        "csat_comments": comments[:CSAT_COMMENTS],
        "excluded": {"survey_answers": survey_answers},
        "hours": [current.overall.hours.get(h, 0) for h in range(24)],
        "timeline": timeline.series(),
        "frt_histogram": frt_histogram(frt_samples),
        "spikes": spikes.result(),
        "themes": themes.result(top),
        "complainers": complainers.result(top),
        "notes": notes(result),
        "definitions": definitions(),
    }


def _sorted_groups(accs: dict[str, Accumulator]) -> list[dict]:
    rows = [acc.result() for acc in accs.values()]
    rows.sort(key=lambda r: (-r["volume"], -r["backlog"], r["key"]))
    return rows
