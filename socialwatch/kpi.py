"""Customer-service KPIs over a period: pure functions over mention dicts (and audit entries), no I/O.

`compute(mentions, since, until, policy, now, brand_name=..., audit=...)` returns one
JSON-serialisable dict (see `compute`) that `report.text_report`, `report.html_report` and
`report --json` use. `DEFINITIONS` holds the definitions below in words, for the HTML report.

Definitions (a mention is *in the period* when since <= created_at < until; a *follow-up* is a
mention whose `case_id` is set and differs from its id; a *survey answer* is a mention that
only answered a satisfaction survey (`csat_answer_to`): it is not counted as a mention anywhere):

* volume: mentions in the period, follow-ups included, survey answers left out.
* negative / angry / viral: mentions whose sentiment label is negative (the agent's
  `sentiment_override` wins over VADER's label), whose `score.angry` / `score.viral` is set;
  the shares divide by volume.
* first-response time (FRT): business time (`Policy.elapsed`) from created_at to
  first_response_at, over answered mentions that are not follow-ups; median and p90 use linear
  interpolation between ranks (numpy's default, Excel's PERCENTILE.INC).
* SLA attainment: met / (met + breached). Met: answered within `Policy.target(effective
  priority)`. Breached: answered later than that, or unanswered and already past due at `now`.
  Not yet due: unanswered and still within the target. Not counted, and named: follow-ups (the
  case's first mention carries its SLA) and mentions ignored without an answer (none was
  needed). volume = met + breached + not yet due + follow-ups + ignored without an answer.
* resolution time: business time from created_at to resolved_at of mentions in status
  `resolved` (ignored ones are not resolutions), follow-ups excluded; median and p90. Its
  population differs from FRT's: a mention resolved without a reply (answered elsewhere,
  handled by phone) counts in resolution time and not in FRT, which is how the median
  resolution can be shorter than the median first response (`notes` then says so).
* first-contact resolution (FCR): over resolved mentions (not follow-ups) with at least one
  reply, the share resolved with exactly one reply, no customer follow-up in the case
  (`followups` empty) and never reopened. Replies are the `replies` records; a mention answered
  outside socialwatch (first_response_at but no reply record) counts as one reply.
* backlog: mentions created before `until` (whatever `since`) that are not follow-ups and were
  not closed (resolved/ignored with resolved_at <= until) at `until`.
* complaints / questions / needs a response: mentions whose `score.complaint` is set (for
  mentions scored before it: negative or angry), whose `score.intent` is "question", whose
  `score.needs_response` is set; the shares divide by volume. *Needs a response, answered*:
  those of the mentions needing a response that have a first response; its share divides by
  the mentions needing a response.
* CSAT: over the satisfaction surveys *sent* in the period (`csat_survey.sent_at`, whenever the
  case was created): responses = those answered (by now), response rate = responses / sent, CSAT
  = satisfied answers / responses (4 or 5 of 5, or yes), with the customers' comments.
* busiest hours: hour of day (0-23, in the policy's time zone) of the period's mentions.
* spikes: clock hours of the period (in the policy's zone) with at least SPIKE_MIN mentions and
  more than SPIKE_FACTOR x the mean of the same hour of the same weekday over the previous
  SPIKE_WEEKS weeks, counting only weeks after the first stored mention; an hour with fewer than
  SPIKE_MIN_WEEKS such weeks is not judged ("not enough history").
* complaint themes: over complaints (as above) in the period, the words and two-word
  phrases found in the most mentions (each counted once per mention), without stop words (plain
  English and support talk: "time", "hours", "please", "help", ...), URLs, @handles, numbers and
  the brand's own names; a phrase needs 2 mentions; a few example mentions per theme.
* repeat complainers: customers (a handle on one platform) with at least 2 complaints in the period.
* previous period: the same KPIs over [since - (until - since), since); `deltas` = this - previous.
* weekly trend: the KPIs per week (Monday 00:00 in the policy's zone) over the period, or the
  TREND_WEEKS weeks ending with it when the period is shorter; the first and last weeks may be partial.

Groups: by source, by agent (the agent of the first reply, else whoever resolved it, else the
assignee, else "unassigned": `credit.credited_agent`, with the audit trail filling in what older
mentions did not record), by tag (a mention counts in each of its tags; none: "(untagged)") and
by brand (the mention's `brand`, else the configured brand name). Per-agent work (replies,
resolutions, notes, tags, escalations, handle time) comes from the audit trail (`credit.py`).
Times in the result are seconds; instants are UTC ISO 8601.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from socialwatch.cases import is_followup
from socialwatch.credit import Ledger, credited_agent
from socialwatch.export import is_complaint, sentiment_label
from socialwatch.model import CLOSED_STATUSES, effective_priority, iso, parse_time
from socialwatch.sla import Policy, describe

DIMENSIONS = ("source", "agent", "tag", "brand")
UNASSIGNED = "unassigned"
UNTAGGED = "(untagged)"
NO_SOURCE = "(none)"
#: A spike is an hour with more than SPIKE_FACTOR x the mean of the same hour of the same weekday over the
#: previous SPIKE_WEEKS weeks (at least SPIKE_MIN_WEEKS of them with data), and at least SPIKE_MIN mentions.
SPIKE_FACTOR = 3.0
SPIKE_MIN = 5
SPIKE_WEEKS = 4
SPIKE_MIN_WEEKS = 2
#: The weekly trend covers at least this many weeks, ending with the period.
TREND_WEEKS = 12
#: Periods up to this long are charted per hour, longer ones per day.
HOURLY_UP_TO = timedelta(days=3)
#: Upper bounds (seconds) of the first-response time histogram; the last bin is open-ended.
FRT_BINS = (15 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 16 * 3600, 40 * 3600)
TOP = 10
BUSIEST = 3


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between ranks; None for no values."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --------------------------------------------------------------------------- per mention


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
    sla_excluded: str | None = None  # "followup" | "ignored": why it is not counted
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


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


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
    return "breached" if p.elapsed(created, now) > target else "pending"


def _is_fcr(m: dict) -> bool | None:
    if m.get("status") != "resolved" or reply_count(m) < 1:
        return None
    return reply_count(m) == 1 and not m.get("followups") and not m.get("reopened")


def _closed_by(m: dict, until: datetime) -> bool:
    if m.get("status") not in CLOSED_STATUSES:
        return False
    closed = _time(m.get("resolved_at"))
    return closed is None or closed <= until


def is_survey_answer(m: dict) -> bool:
    """A mention that only answered a satisfaction survey (not counted as a mention)."""
    return bool(m.get("csat_answer_to"))


def survey_of(m: dict) -> Survey | None:
    """The mention's sent satisfaction survey and its answer, if any."""
    survey = m.get("csat_survey")
    if not isinstance(survey, dict):
        return None
    sent = _time(survey.get("sent_at"))
    if sent is None:
        return None
    answer = m.get("csat") if isinstance(m.get("csat"), dict) else None
    from socialwatch.csat import is_satisfied

    return Survey(sent=sent, responded=answer is not None, satisfied=answer is not None and is_satisfied(answer))


def facts(m: dict, since: datetime, until: datetime, p: Policy, now: datetime) -> Facts | None:
    """The mention's contribution, or None when it neither falls in the period nor is backlog."""
    created = _time(m.get("created_at"))
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
    answered = _time(m.get("first_response_at"))
    if answered is not None:
        f.frt = p.elapsed(created, answered).total_seconds()
    f.sla = _sla_state(m, created, answered, p, now)
    if f.sla is None:
        f.sla_excluded = "ignored"
    resolved = _time(m.get("resolved_at"))
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


# --------------------------------------------------------------------------- accumulation


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
    csat_response_rate: float | None = None
    csat: float | None = None
    busiest_hours: list[dict] = field(default_factory=list)


#: The Kpis fields compared with the previous period (counts, shares and times).
COMPARED = ("volume", "negative", "negative_share", "angry", "angry_share", "viral", "viral_share", "answered",
            "frt_median_s", "frt_p90_s", "sla_met", "sla_breached", "sla_pending", "sla_attainment", "resolved",
            "resolution_median_s", "resolution_p90_s", "fcr", "fcr_eligible", "fcr_rate", "backlog", "csat_sent",
            "csat_responses", "csat_response_rate", "csat", "complaints", "complaint_share", "questions",
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

    def result(self) -> dict:
        k = self.kpis
        k.negative_share = _share(k.negative, k.volume)
        k.angry_share = _share(k.angry, k.volume)
        k.viral_share = _share(k.viral, k.volume)
        k.complaint_share = _share(k.complaints, k.volume)
        k.question_share = _share(k.questions, k.volume)
        k.needs_response_share = _share(k.needs_response, k.volume)
        k.needs_response_answered_share = _share(k.needs_response_answered, k.needs_response)
        k.answered = len(self.frt)
        k.frt_median_s = _seconds(percentile(self.frt, 0.5))
        k.frt_p90_s = _seconds(percentile(self.frt, 0.9))
        k.sla_attainment = _share(k.sla_met, k.sla_met + k.sla_breached)
        k.resolved = len(self.resolution)
        k.resolution_median_s = _seconds(percentile(self.resolution, 0.5))
        k.resolution_p90_s = _seconds(percentile(self.resolution, 0.9))
        k.fcr_rate = _share(k.fcr, k.fcr_eligible)
        k.csat_response_rate = _share(k.csat_responses, k.csat_sent)
        k.csat = _share(k.csat_satisfied, k.csat_responses)
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


# --------------------------------------------------------------------------- time series and spikes


def _local_hour(dt: datetime, tz: Any) -> datetime:
    return dt.astimezone(tz).replace(minute=0, second=0, microsecond=0)


class Timeline:
    """Volume and negative counts per local day (or hour for short periods)."""

    def __init__(self, since: datetime, until: datetime, tz: Any) -> None:
        self.since, self.until, self.tz = since, until, tz
        self.unit = "hour" if until - since <= HOURLY_UP_TO else "day"
        self.buckets: dict[str, list[int]] = {}

    def _bucket(self, dt: datetime) -> str:
        local = dt.astimezone(self.tz)
        return local.strftime("%Y-%m-%d %H:00") if self.unit == "hour" else local.strftime("%Y-%m-%d")

    def add(self, created: datetime, f: Facts) -> None:
        row = self.buckets.setdefault(self._bucket(created), [0, 0])
        row[0] += 1
        row[1] += f.negative

    def _labels(self) -> list[str]:
        """Every bucket label from since to until, in order (a repeated DST hour appears once)."""
        last = self.until - timedelta(microseconds=1)
        labels: list[str] = []
        if self.unit == "day":
            day, end = self.since.astimezone(self.tz).date(), last.astimezone(self.tz).date()
            while day <= end:
                labels.append(day.isoformat())
                day += timedelta(days=1)
            return labels
        cursor = self.since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while cursor <= last:
            label = self._bucket(cursor)
            if label not in labels[-2:]:
                labels.append(label)
            cursor += timedelta(hours=1)
        return labels

    def series(self) -> dict:
        """Every bucket of the period in order, empty ones included."""
        rows = []
        for label in self._labels():
            volume, negative = self.buckets.get(label, (0, 0))
            rows.append({"label": label, "volume": volume, "negative": negative,
                         "negative_share": _share(negative, volume)})
        return {"unit": self.unit, "buckets": rows}


class Spikes:
    """Hourly volumes (local wall-clock hours) of the period and the SPIKE_WEEKS weeks before it,
    judged against the same hour of the same weekday in earlier weeks."""

    def __init__(self, since: datetime, until: datetime, tz: Any) -> None:
        self.since, self.until, self.tz = since, until, tz
        self.start = since - timedelta(weeks=SPIKE_WEEKS)
        self.counts: Counter[datetime] = Counter()  # naive local hour -> mentions
        self.negative: Counter[datetime] = Counter()
        self.angry: Counter[datetime] = Counter()
        self.first: datetime | None = None  # the first stored mention (any time)

    @staticmethod
    def _key(dt: datetime, tz: Any) -> datetime:
        return dt.astimezone(tz).replace(minute=0, second=0, microsecond=0, tzinfo=None)

    def seen(self, created: datetime) -> None:
        if self.first is None or created < self.first:
            self.first = created

    def add(self, created: datetime, negative: bool, angry: bool) -> None:
        if not self.start <= created < self.until:
            return
        key = self._key(created, self.tz)
        self.counts[key] += 1
        self.negative[key] += negative
        self.angry[key] += angry

    def result(self) -> dict:
        history = None if self.first is None else self._key(self.first, self.tz)
        period_start, period_end = self._key(self.since, self.tz), self._key(self.until - timedelta(microseconds=1), self.tz)
        found, judged, unjudged = [], 0, 0
        hour = period_start
        while hour <= period_end:
            earlier = [hour - timedelta(weeks=k) for k in range(1, SPIKE_WEEKS + 1)]
            usable = [h for h in earlier if history is not None and h >= history]
            count = self.counts.get(hour, 0)
            if len(usable) < SPIKE_MIN_WEEKS:
                unjudged += 1
            else:
                judged += 1
                baseline = sum(self.counts.get(h, 0) for h in usable) / len(usable)
                if count >= SPIKE_MIN and count > SPIKE_FACTOR * baseline:
                    found.append({"start": iso(hour.replace(tzinfo=self.tz)), "local": hour.strftime("%Y-%m-%d %H:00"),
                                  "weekday": hour.strftime("%a"), "volume": count, "negative": self.negative[hour],
                                  "angry": self.angry[hour], "baseline": round(baseline, 2), "weeks": len(usable),
                                  "ratio": round(count / baseline, 1) if baseline else None})
            hour += timedelta(hours=1)
        return {"method": f"same hour of the same weekday over the previous {SPIKE_WEEKS} weeks",
                "factor": SPIKE_FACTOR, "minimum": SPIKE_MIN, "weeks": SPIKE_WEEKS, "min_weeks": SPIKE_MIN_WEEKS,
                "history_since": iso(self.first) if self.first else None, "judged_hours": judged,
                "unjudged_hours": unjudged, "enough_history": judged > 0, "hours": found}


class Trend:
    """The KPIs per week (Monday 00:00 in the policy's zone)."""

    def __init__(self, since: datetime, until: datetime, p: Policy, now: datetime) -> None:
        self.p, self.now, self.until = p, now, until
        start = min(since, until - timedelta(weeks=TREND_WEEKS))
        local = start.astimezone(p.tz)
        monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0,
                                                                     tzinfo=None)
        self.weeks: list[tuple[datetime, datetime]] = []
        self.monday = monday.date()
        cursor = monday
        while _aware(cursor, p.tz) < until:
            self.weeks.append((_aware(cursor, p.tz), _aware(cursor + timedelta(weeks=1), p.tz)))
            cursor += timedelta(weeks=1)
        self.accs = [Accumulator(w[0].astimezone(p.tz).date().isoformat()) for w in self.weeks]
        self.start = start

    def _week(self, dt: datetime) -> int | None:
        if not self.weeks or dt < self.weeks[0][0] or dt >= self.until:
            return None
        i = (dt.astimezone(self.p.tz).date() - self.monday).days // 7  # (local dates: DST cannot shift a week)
        return i if 0 <= i < len(self.weeks) else None

    def add(self, m: dict, created: datetime | None, survey: Survey | None) -> None:
        if created is not None:
            i = self._week(created)
            if i is not None:
                a, b = self.weeks[i]
                f = facts(m, a, min(b, self.until), self.p, self.now)
                if f is not None and f.in_period:
                    self.accs[i].add(f)
        if survey is not None:
            i = self._week(survey.sent)
            if i is not None:
                self.accs[i].add_survey(survey)

    def result(self) -> list[dict]:
        rows = []
        for (a, b), acc in zip(self.weeks, self.accs, strict=True):
            k = acc.result()
            rows.append({"week": k["key"], "since": iso(a), "until": iso(min(b, self.until)),
                         "partial": b > self.until or a < self.start,
                         **{key: k[key] for key in ("volume", "negative_share", "angry_share", "answered", "frt_median_s",
                                                    "sla_attainment", "resolution_median_s", "fcr_rate", "csat_sent",
                                                    "csat_responses", "csat")}})
        return rows


def _aware(naive: datetime, tz: Any) -> datetime:
    """A local wall-clock time in `tz`, as an aware UTC instant."""
    return naive.replace(tzinfo=tz).astimezone(UTC)


# --------------------------------------------------------------------------- complaint themes

STOP_WORDS = frozenset(
    """
    a about above after again against all almost also am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
    during each either else even ever every few for from further get gets getting got had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd i'll
    i'm i've if im in into is isn't it it's its itself just let's like lol me more most much must mustn't my
    myself need no nor not now of off oh ok okay on once one only or other ought our ours ourselves over own
    please pls plz rt same say says shan't she she'd she'll she's should shouldn't so some still such than that
    that's the their theirs them themselves then there there's these they they'd they'll they're they've this
    those through thx to too u under until up ur us very via was wasn't we we'd we'll we're we've were weren't
    what what's when when's where where's which while who who's whom why why's will with won't would wouldn't
    yeah yes yet you you'd you'll you're you've your yours yourself yourselves amp hi hello hey thanks thank
    really already again anyone someone something anything today yesterday since either neither another
    """.split()
) | frozenset(
    # support talk: words every complaint uses that name no theme (time, asking for help, talking to us)
    """
    time times hour hours hr hrs minute minutes min mins day days week weeks month months year years tonight
    morning afternoon evening night tomorrow ago now soon later long last first next back
    help helps helped helping pls please sort sorted fix fixed issue issues problem problems thing things
    way lot lots bit guys team anyone everyone someone customer customers service support
    call called calling calls told tell said ask asked asking know knew want wanted wants tried try trying
    going go gone went come came make made take took keep keeps kept still even again never always
    think thinking thought guess seems looks
    sure thank thanks thx ty dm dms message messages reply replied respond response
    two three four five six seven eight nine ten twenty hundred second third
    """.split()
)
#: Kept as the first word of a phrase ("no signal", "not working") though they are stop words alone.
NEGATIONS = frozenset("no not never cannot can't don't doesn't didn't won't isn't wasn't aren't haven't hasn't".split())
#: Example mentions kept per theme, and their length.
EXAMPLES = 2
EXAMPLE_CHARS = 160

_TOKEN = re.compile(r"(?P<url>(?:https?://|www\.)\S+)|(?P<handle>@[\w.\-]+)|(?P<word>[\w']+)")
_BREAK = re.compile(r"[.!?,;:()\[\]\"\n#]")


def brand_words(terms: Iterable[str]) -> frozenset[str]:
    """Lower-cased words (and whole handles) of the brand's names, handles and keywords."""
    out: set[str] = set()
    for term in terms:
        text = str(term).lower().lstrip("@")
        out.add(text.replace(" ", ""))
        out.update(re.findall(r"[^\W_]+", text))
    return frozenset(out)


def _word(raw: str, brand: frozenset[str]) -> str | None:
    """A normalised word, or None for numbers, brand names and fragments (which break phrases)."""
    token = raw.strip("'_").lower()
    if token.endswith("'s"):
        token = token[:-2]
    if len(token) < 2 or not token.replace("'", "").isalpha() or token in brand:
        return None
    return token


def tokens(text: str, brand: frozenset[str]) -> list[str | None]:
    """Words of `text` in order, None where a URL, handle, number, brand name or punctuation breaks a phrase."""
    text = text.replace("\u2019", "'")
    out: list[str | None] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if _BREAK.search(text, pos, match.start()):
            out.append(None)
        pos = match.end()
        word = match.group("word")
        out.append(_word(word, brand) if word else None)
    return out


def terms_of(text: str, brand: frozenset[str]) -> tuple[set[str], set[str]]:
    """(words, two-word phrases) of one text, stop words removed."""
    seq = tokens(text, brand)
    words = {w for w in seq if w and w not in STOP_WORDS}
    phrases = set()
    for a, b in zip(seq, seq[1:], strict=False):
        if a and b and b not in STOP_WORDS and (a not in STOP_WORDS or a in NEGATIONS):
            phrases.add(f"{a} {b}")
    return words, phrases


class Themes:
    """Counts complaint words and phrases, once per mention, with a few example mentions each."""

    def __init__(self, brand: frozenset[str]) -> None:
        self.brand = brand
        self.words: Counter[str] = Counter()
        self.phrases: Counter[str] = Counter()
        self.examples: dict[str, list[dict]] = {}
        self.complaints = 0

    def add(self, m: dict) -> None:
        self.complaints += 1
        text = str(m.get("text") or "")
        words, phrases = terms_of(text, self.brand)
        self.words.update(words)
        self.phrases.update(phrases)
        example = None
        for term in words | phrases:
            kept = self.examples.setdefault(term, [])
            if len(kept) < EXAMPLES:
                example = example or {"id": m.get("id"), "text": text[:EXAMPLE_CHARS] + ("…" if len(text) > EXAMPLE_CHARS else "")}
                kept.append(example)

    def result(self, top: int = TOP) -> dict:
        def ranked(counter: Counter[str], minimum: int) -> list[dict]:
            rows = sorted((kv for kv in counter.items() if kv[1] >= minimum), key=lambda kv: (-kv[1], kv[0]))
            return [{"term": t, "mentions": c, "examples": self.examples.get(t, [])} for t, c in rows[:top]]

        return {"complaints": self.complaints, "words": ranked(self.words, 1), "phrases": ranked(self.phrases, 2)}


class Complainers:
    """Customers' complaints in the period; a customer is a handle on one platform."""

    def __init__(self) -> None:
        self.mentions: Counter[str] = Counter()
        self.rows: dict[str, dict] = {}

    @staticmethod
    def platform(m: dict) -> str:
        return str(m.get("platform") or str(m.get("id") or "").partition(":")[0] or NO_SOURCE)

    def add(self, m: dict, created: datetime, complaint: bool) -> None:
        handle = (m.get("author") or {}).get("handle")
        if not handle:
            return
        platform = self.platform(m)
        key = f"{platform}:{str(handle).lower()}"
        self.mentions[key] += 1
        if not complaint:
            return
        row = self.rows.setdefault(key, {"handle": str(handle), "platform": platform, "complaints": 0, "cases": set(),
                                         "sources": set(), "last_at": "", "key": key})
        row["complaints"] += 1
        row["cases"].add(m.get("case_id") or m.get("id"))
        row["sources"].add(str(m.get("source") or NO_SOURCE))
        row["last_at"] = max(row["last_at"], iso(created))

    def result(self, top: int = TOP) -> list[dict]:
        rows = [r for r in self.rows.values() if r["complaints"] >= 2]
        rows.sort(key=lambda r: (-r["complaints"], -self.mentions[r["key"]], r["handle"].lower(), r["platform"]))
        return [{"handle": r["handle"], "platform": r["platform"], "complaints": r["complaints"], "cases": len(r["cases"]),
                 "mentions": self.mentions[r["key"]], "sources": sorted(r["sources"]), "last_at": r["last_at"]}
                for r in rows[:top]]


# --------------------------------------------------------------------------- CSAT comments


def csat_comment(m: dict, credit: dict | None) -> dict | None:
    """A survey answer with a comment, for the report."""
    answer = m.get("csat")
    if not isinstance(answer, dict) or not answer.get("comment"):
        return None
    return {"case": m.get("id"), "source": m.get("source"), "agent": credited_agent(m, credit) or UNASSIGNED,
            "score": answer.get("score"), "scale": answer.get("scale"), "satisfied": bool(answer.get("satisfied")),
            "comment": str(answer["comment"])[:500], "answered_at": answer.get("answered_at")}


# --------------------------------------------------------------------------- definitions

DEFINITIONS: dict[str, str] = {
    "volume": "Mentions posted in the period, the customers' follow-ups included; answers to a satisfaction "
              "survey are not counted as mentions.",
    "negative": "Mentions whose sentiment is negative: the agent's correction when there is one, else VADER's "
                "compound <= -0.05. Angry and viral: the scoring flags.",
    "frt": "First response: business time from posting to the brand's first reply, over the answered mentions "
           "that start a case (follow-ups excluded). Median and 90th percentile.",
    "sla": "Share of the measured mentions answered within the target of their priority band. Met + breached "
           "(answered late, or unanswered past due) are measured; not yet due, follow-ups and mentions ignored "
           "without an answer are not, and are listed so that the counts add up to the volume.",
    "resolution": "Resolution time: business time from posting to resolution, over resolved cases (ignored ones "
                  "are not resolutions). It counts cases resolved without any reply, which first response does "
                  "not: the two medians describe different cases, and resolution can be the shorter.",
    "fcr": "First-contact resolution: of the resolved cases with a reply, those resolved with exactly one reply, "
           "without a follow-up from the customer and never reopened.",
    "backlog": "Cases posted before the end of the period and still open at its end.",
    "csat": "Satisfaction surveys sent in the period: responses and response rate (answered / sent), and CSAT, "
            "the share of answers that are satisfied (4 or 5 of 5, or yes).",
    "agent": "A mention is credited to the agent of its first reply, else to whoever resolved it, else to its "
             "assignee. Activity (replies, resolutions, notes, tags, escalations, handle time) is read from the "
             "audit log; handle time runs from the assignment or claim to that agent's first reply or resolution.",
    "spikes": "Hours with at least {minimum} mentions and more than {factor:g}x the mean of the same hour on the "
              "same weekday over the previous {weeks} weeks; an hour with fewer than {min_weeks} earlier weeks of "
              "data is not judged.",
    "complaints": "Mentions that scoring flags as a complaint (something went wrong, or dissatisfaction, angry "
                  "or calm; mentions scored before that flag existed: negative or angry). Questions: intent "
                  "'question'. Needs a response: the needs-response flag; 'answered' is the share of those "
                  "with a first response.",
    "themes": "Words and two-word phrases found in the most complaints (see complaints), counted once "
              "per mention, without stop words (including support talk such as 'time', 'hours', 'please', 'help') "
              "or the brand's own names.",
    "previous": "Every KPI is compared with the previous period of the same length, ending where this one starts.",
    "trend": "Per week from Monday 00:00 in the business-hours time zone, over the period or the {weeks} weeks "
             "ending with it.",
}


def definitions() -> dict[str, str]:
    """DEFINITIONS with the current thresholds filled in."""
    out = dict(DEFINITIONS)
    out["spikes"] = out["spikes"].format(minimum=SPIKE_MIN, factor=SPIKE_FACTOR, weeks=SPIKE_WEEKS,
                                         min_weeks=SPIKE_MIN_WEEKS)
    out["trend"] = out["trend"].format(weeks=TREND_WEEKS)
    return out


# --------------------------------------------------------------------------- entry point


def _policy_zone(p: Policy) -> str:
    return str(getattr(p.tz, "key", None) or p.tz)


class _Period:
    """The overall and per-group accumulators of one period."""

    def __init__(self, since: datetime, until: datetime, by: Sequence[str]) -> None:
        self.since, self.until = since, until
        self.overall = Accumulator("overall")
        self.groups: dict[str, dict[str, Accumulator]] = {dim: {} for dim in by}

    def add(self, m: dict, f: Facts | None, survey: Survey | None, keys: dict[str, list[str]]) -> None:
        counted = survey is not None and self.since <= survey.sent < self.until
        if f is None and not counted:
            return
        targets = [self.overall]
        for dim, accs in self.groups.items():
            for key in keys[dim]:
                targets.append(accs.get(key) or accs.setdefault(key, Accumulator(key)))
        for acc in targets:
            if f is not None:
                acc.add(f)
            if counted:
                acc.add_survey(survey)  # type: ignore[arg-type]


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
    """The KPIs of the period [since, until) overall and per group (see the module docstring),
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
    current, previous = _Period(since, until, by), _Period(since - length, since, by)
    timeline = Timeline(since, until, policy.tz)
    spikes = Spikes(since, until, policy.tz)
    trend = Trend(since, until, policy, now)
    themes = Themes(brand_words([brand_name, *brand_terms]))
    complainers = Complainers()
    frt_samples: list[float] = []
    comments: list[dict] = []
    survey_answers = 0
    for m in mentions:
        if keep is not None and not keep(m):
            continue
        created = _time(m.get("created_at"))
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
    comments.sort(key=lambda c: (c["satisfied"], c["score"] if isinstance(c["score"], int) else 0,
                                 c["answered_at"] or ""))
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


#: Survey comments kept in the report (the least satisfied first).
CSAT_COMMENTS = 25


def notes(k: dict) -> list[str]:
    """Explanations of numbers that would otherwise look wrong."""
    out = []
    excluded = k["sla_pending"] + k["sla_excluded_followups"] + k["sla_excluded_ignored"]
    if k["volume"] and excluded:
        out.append(f"SLA: {k['sla_met'] + k['sla_breached']} of {k['volume']} mentions measured; not measured: "
                   f"{k['sla_pending']} not yet due, {k['sla_excluded_followups']} follow-ups (their case carries the "
                   f"SLA), {k['sla_excluded_ignored']} ignored without an answer.")
    frt, res = k["frt_median_s"], k["resolution_median_s"]
    if frt is not None and res is not None and res < frt:
        out.append(f"The median resolution time is shorter than the median first response: they measure different "
                   f"cases. Resolution counts {k['resolved']} resolved cases, {k['resolved_without_reply']} of them "
                   f"resolved without a reply (answered elsewhere or closed as handled); first response counts "
                   f"{k['answered']} answered ones, resolved or not.")
    return out


def _sorted_groups(accs: dict[str, Accumulator]) -> list[dict]:
    rows = [acc.result() for acc in accs.values()]
    rows.sort(key=lambda r: (-r["volume"], -r["backlog"], r["key"]))
    return rows
