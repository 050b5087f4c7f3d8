"""Adding Facts up: the KPIs of one group (`Kpis`, `Accumulator`), deltas, busiest hours, the FRT histogram."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from socialwatch.report.kpi.facts import Facts, Survey
from socialwatch.report.stats import percentile, seconds, share

#: Upper bounds (seconds) of the first-response time histogram; the last bin is open-ended.
FRT_BINS = (15 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 16 * 3600, 40 * 3600)
#: Hours of day listed as the busiest.
BUSIEST = 3


@dataclass
class Kpis:
    """The KPIs of one group (or overall); every field is JSON-serialisable."""

    key: str
    volume: int = 0
    negative: int = 0
    angry: int = 0
    viral: int = 0
    negative_share: float | None = None
    angry_share: float | None = None
    viral_share: float | None = None
    complaints: int = 0
    questions: int = 0
    needs_response: int = 0
    needs_response_answered: int = 0
    complaint_share: float | None = None
    question_share: float | None = None
    needs_response_share: float | None = None
    needs_response_answered_share: float | None = None
    answered: int = 0
    frt_median_s: float | None = None
    frt_p90_s: float | None = None
    sla_met: int = 0
    sla_breached: int = 0
    sla_pending: int = 0
    sla_excluded_followups: int = 0
    sla_excluded_ignored: int = 0
    sla_excluded_no_response: int = 0  # unanswered and needing no response: nothing was due
    sla_attainment: float | None = None
    resolved: int = 0
    resolved_without_reply: int = 0
    resolution_median_s: float | None = None
    resolution_p90_s: float | None = None
    fcr_eligible: int = 0
    fcr: int = 0
    fcr_rate: float | None = None
    backlog: int = 0
    csat_sent: int = 0
    csat_responses: int = 0
    csat_satisfied: int = 0
    csat_rated: int = 0  # responses with a rating (CSAT's denominator); the rest are comments without one
    csat_response_rate: float | None = None
    csat: float | None = None
    busiest_hours: list[dict] = field(default_factory=list)


#: The Kpis fields compared with the previous period (counts, shares and times).
COMPARED = ("volume", "negative", "negative_share", "angry", "angry_share", "viral", "viral_share", "answered",
            "frt_median_s", "frt_p90_s", "sla_met", "sla_breached", "sla_pending", "sla_attainment", "resolved",
            "resolution_median_s", "resolution_p90_s", "fcr", "fcr_eligible", "fcr_rate", "backlog", "csat_sent",
            "csat_responses", "csat_response_rate", "csat", "csat_rated", "complaints", "complaint_share", "questions",
            "question_share", "needs_response", "needs_response_share", "needs_response_answered",
            "needs_response_answered_share")


class Accumulator:
    """Collects Facts for one group and turns them into Kpis."""

    def __init__(self, key: str) -> None:
        self.kpis = Kpis(key=key)
        self.frt: list[float] = []
        self.resolution: list[float] = []
        self.hours: Counter[int] = Counter()

    def add(self, f: Facts) -> None:
        k = self.kpis
        k.backlog += f.backlog
        if not f.in_period:
            return
        k.volume += 1
        k.negative += f.negative
        k.angry += f.angry
        k.viral += f.viral
        k.complaints += f.complaint
        k.questions += f.question
        k.needs_response += f.needs_response
        k.needs_response_answered += f.needs_response_answered
        if f.hour is not None:
            self.hours[f.hour] += 1
        if f.frt is not None:
            self.frt.append(f.frt)
        if f.sla is not None:
            setattr(k, f"sla_{f.sla}", getattr(k, f"sla_{f.sla}") + 1)
        elif f.sla_excluded == "followup":
            k.sla_excluded_followups += 1
        elif f.sla_excluded == "ignored":
            k.sla_excluded_ignored += 1
        elif f.sla_excluded == "no_response":
            k.sla_excluded_no_response += 1
        if f.resolution is not None:
            self.resolution.append(f.resolution)
            k.resolved_without_reply += f.resolved_without_reply
        if f.fcr is not None:
            k.fcr_eligible += 1
            k.fcr += f.fcr

    def add_survey(self, s: Survey) -> None:
        k = self.kpis
        k.csat_sent += 1
        k.csat_responses += s.responded
        k.csat_satisfied += s.satisfied
        k.csat_rated += s.rated

    def result(self) -> dict:
        k = self.kpis
        k.negative_share = share(k.negative, k.volume)
        k.angry_share = share(k.angry, k.volume)
        k.viral_share = share(k.viral, k.volume)
        k.complaint_share = share(k.complaints, k.volume)
        k.question_share = share(k.questions, k.volume)
        k.needs_response_share = share(k.needs_response, k.volume)
        k.needs_response_answered_share = share(k.needs_response_answered, k.needs_response)
        k.answered = len(self.frt)
        k.frt_median_s = seconds(percentile(self.frt, 0.5))
        k.frt_p90_s = seconds(percentile(self.frt, 0.9))
        k.sla_attainment = share(k.sla_met, k.sla_met + k.sla_breached)
        k.resolved = len(self.resolution)
        k.resolution_median_s = seconds(percentile(self.resolution, 0.5))
        k.resolution_p90_s = seconds(percentile(self.resolution, 0.9))
        k.fcr_rate = share(k.fcr, k.fcr_eligible)
        k.csat_response_rate = share(k.csat_responses, k.csat_sent)
        k.csat = share(k.csat_satisfied, k.csat_rated)
        k.busiest_hours = busiest(self.hours, BUSIEST)
        return asdict(k)


def deltas(now: dict, before: dict) -> dict:
    """this - previous for every compared KPI (None when either side is unknown)."""
    out = {}
    for key in COMPARED:
        a, b = now.get(key), before.get(key)
        out[key] = None if a is None or b is None else round(a - b, 4)
    return out


def busiest(hours: Counter[int], n: int) -> list[dict]:
    """The n hours of day with the most mentions (ties: earlier hour first)."""
    ranked = sorted(hours.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [{"hour": h, "mentions": c} for h, c in ranked]


def frt_histogram(samples: Iterable[float]) -> list[dict]:
    """Counts of first-response times per bin of FRT_BINS (`le_s` None: the open last bin)."""
    counts = [0] * (len(FRT_BINS) + 1)
    for s in samples:
        i = next((i for i, bound in enumerate(FRT_BINS) if s <= bound), len(FRT_BINS))
        counts[i] += 1
    bounds: list[int | None] = [*FRT_BINS, None]
    return [{"le_s": b, "count": c} for b, c in zip(bounds, counts, strict=True)]
