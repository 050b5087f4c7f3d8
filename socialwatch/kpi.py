"""Customer-service KPIs over a period: pure functions over mention dicts, no I/O.

`compute(mentions, since, until, policy, now, brand_name=...)` returns one JSON-serialisable
dict (see `compute`) that `report.text_report`, `report.html_report` and `report --json` use.

Definitions (a mention is *in the period* when since <= created_at < until; a *follow-up* is a
mention whose `case_id` is set and differs from its id):

* volume: mentions in the period, follow-ups included.
* negative / angry / viral: mentions whose sentiment label is negative (the agent's
  `sentiment_override` wins over VADER's label), whose `score.angry` / `score.viral` is set;
  the shares divide by volume.
* first-response time (FRT): business time (`Policy.elapsed`) from created_at to
  first_response_at, over answered mentions that are not follow-ups; median and p90 use linear
  interpolation between ranks (numpy's default, Excel's PERCENTILE.INC).
* SLA attainment: met / (met + breached) over mentions that are not follow-ups. Met: answered
  within `Policy.target(effective priority)`. Breached: answered later than that, or unanswered
  and already past due at `now`. Unanswered and not yet due, and ignored without an answer (no
  answer was needed), are left out (`sla_pending` counts the first kind).
* resolution time: business time from created_at to resolved_at of mentions in status
  `resolved` (ignored ones are not resolutions), follow-ups excluded; median and p90.
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
* busiest hours: hour of day (0-23, in the policy's time zone) of the period's mentions.
* spikes: clock hours (in the policy's zone) whose volume is > 3x the period's mean hourly
  volume (volume / hours in the period) and >= 5.
* complaint themes: over complaints (as above) in the period, the words and two-word
  phrases found in the most mentions (each counted once per mention), without stop words, URLs,
  @handles, numbers and the brand's own names; a phrase needs 2 mentions.
* repeat complainers: authors with at least 2 complaints in the period, most first.

Groups: by source, by agent (`replied_by`, else `assignee`, else "unassigned"), by tag (a
mention counts in each of its tags; none: "(untagged)") and by brand (the mention's `brand`,
else the configured brand name). Times in the result are seconds; instants are UTC ISO 8601.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from socialwatch.cases import is_followup
from socialwatch.export import is_complaint, sentiment_label
from socialwatch.model import CLOSED_STATUSES, effective_priority, iso, parse_time
from socialwatch.sla import Policy

DIMENSIONS = ("source", "agent", "tag", "brand")
UNASSIGNED = "unassigned"
UNTAGGED = "(untagged)"
NO_SOURCE = "(none)"
#: A spike is an hour with more than SPIKE_FACTOR x the mean hourly volume and at least SPIKE_MIN mentions.
SPIKE_FACTOR = 3.0
SPIKE_MIN = 5
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
    resolution: float | None = None
    fcr: bool | None = None  # None: not eligible
    backlog: bool = False
    hour: int | None = None  # local hour of day


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
        return f
    answered = _time(m.get("first_response_at"))
    if answered is not None:
        f.frt = p.elapsed(created, answered).total_seconds()
    f.sla = _sla_state(m, created, answered, p, now)
    resolved = _time(m.get("resolved_at"))
    if m.get("status") == "resolved" and resolved is not None:
        f.resolution = p.elapsed(created, resolved).total_seconds()
    f.fcr = _is_fcr(m)
    return f


def group_keys(m: dict, dimension: str, brand_name: str) -> list[str]:
    """The group(s) a mention belongs to along one dimension."""
    if dimension == "source":
        return [str(m.get("source") or NO_SOURCE)]
    if dimension == "agent":
        return [str(m.get("replied_by") or m.get("assignee") or UNASSIGNED)]
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
    sla_attainment: float | None = None
    resolved: int = 0
    resolution_median_s: float | None = None
    resolution_p90_s: float | None = None
    fcr_eligible: int = 0
    fcr: int = 0
    fcr_rate: float | None = None
    backlog: int = 0
    busiest_hours: list[dict] = field(default_factory=list)


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
        if f.resolution is not None:
            self.resolution.append(f.resolution)
        if f.fcr is not None:
            k.fcr_eligible += 1
            k.fcr += f.fcr

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
        k.busiest_hours = busiest(self.hours, BUSIEST)
        return asdict(k)


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
    """Volume and negative counts per local day (or hour for short periods), and hourly spikes."""

    def __init__(self, since: datetime, until: datetime, tz: Any) -> None:
        self.since, self.until, self.tz = since, until, tz
        self.unit = "hour" if until - since <= HOURLY_UP_TO else "day"
        self.buckets: dict[str, list[int]] = {}
        self.hourly: dict[datetime, list[int]] = {}

    def _bucket(self, dt: datetime) -> str:
        local = dt.astimezone(self.tz)
        return local.strftime("%Y-%m-%d %H:00") if self.unit == "hour" else local.strftime("%Y-%m-%d")

    def add(self, created: datetime, f: Facts) -> None:
        row = self.buckets.setdefault(self._bucket(created), [0, 0])
        row[0] += 1
        row[1] += f.negative
        hour = self.hourly.setdefault(_local_hour(created, self.tz), [0, 0, 0])
        hour[0] += 1
        hour[1] += f.negative
        hour[2] += f.angry

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

    def spikes(self, volume: int) -> tuple[float, list[dict]]:
        """(mean hourly volume, the hours above SPIKE_FACTOR x mean with at least SPIKE_MIN mentions)."""
        hours = max((self.until - self.since).total_seconds() / 3600, 1.0)
        mean = volume / hours
        found = []
        for start, (count, negative, angry) in sorted(self.hourly.items()):
            if count > SPIKE_FACTOR * mean and count >= SPIKE_MIN:
                found.append({"start": iso(start), "local": start.strftime("%Y-%m-%d %H:00"), "volume": count,
                              "negative": negative, "angry": angry, "ratio": round(count / mean, 1)})
        return round(mean, 3), found


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
)
#: Kept as the first word of a phrase ("no signal", "not working") though they are stop words alone.
NEGATIONS = frozenset("no not never cannot can't don't doesn't didn't won't isn't wasn't aren't haven't hasn't".split())

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
    """Counts complaint words and phrases, once per mention."""

    def __init__(self, brand: frozenset[str]) -> None:
        self.brand = brand
        self.words: Counter[str] = Counter()
        self.phrases: Counter[str] = Counter()
        self.complaints = 0

    def add(self, m: dict) -> None:
        self.complaints += 1
        words, phrases = terms_of(str(m.get("text") or ""), self.brand)
        self.words.update(words)
        self.phrases.update(phrases)

    def result(self, top: int = TOP) -> dict:
        def ranked(counter: Counter[str], minimum: int) -> list[dict]:
            rows = sorted((kv for kv in counter.items() if kv[1] >= minimum), key=lambda kv: (-kv[1], kv[0]))
            return [{"term": t, "mentions": c} for t, c in rows[:top]]

        return {"complaints": self.complaints, "words": ranked(self.words, 1), "phrases": ranked(self.phrases, 2)}


class Complainers:
    """Authors' complaints in the period."""

    def __init__(self) -> None:
        self.mentions: Counter[str] = Counter()
        self.rows: dict[str, dict] = {}

    def add(self, m: dict, created: datetime, complaint: bool) -> None:
        handle = (m.get("author") or {}).get("handle")
        if not handle:
            return
        key = str(handle).lower()
        self.mentions[key] += 1
        if not complaint:
            return
        row = self.rows.setdefault(key, {"handle": str(handle), "complaints": 0, "cases": set(), "sources": set(),
                                         "last_at": ""})
        row["complaints"] += 1
        row["cases"].add(m.get("case_id") or m.get("id"))
        row["sources"].add(str(m.get("source") or NO_SOURCE))
        row["last_at"] = max(row["last_at"], iso(created))

    def result(self, top: int = TOP) -> list[dict]:
        rows = [r for r in self.rows.values() if r["complaints"] >= 2]
        rows.sort(key=lambda r: (-r["complaints"], -self.mentions[r["handle"].lower()], r["handle"].lower()))
        return [{"handle": r["handle"], "complaints": r["complaints"], "cases": len(r["cases"]),
                 "mentions": self.mentions[r["handle"].lower()], "sources": sorted(r["sources"]),
                 "last_at": r["last_at"]} for r in rows[:top]]


# --------------------------------------------------------------------------- entry point


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
) -> dict:
    """The KPIs of the period [since, until) overall and per group (see the module docstring).

    `brand_terms` (the brand's name, handles and keywords) are left out of the themes; `keep`
    filters the mentions (e.g. by source or tag) before anything is counted. Returns::

        {"period": {...}, "overall": Kpis, "groups": {dimension: [Kpis, ...]},
         "hours": [24 counts], "timeline": {"unit", "buckets"}, "frt_histogram": [...],
         "spikes": {"mean_hourly": x, "hours": [...]}, "themes": {...}, "complainers": [...]}
    """
    for dim in by:
        if dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dim!r}; known: {', '.join(DIMENSIONS)}")
    overall = Accumulator("overall")
    groups: dict[str, dict[str, Accumulator]] = {dim: {} for dim in by}
    timeline = Timeline(since, until, policy.tz)
    themes = Themes(brand_words([brand_name, *brand_terms]))
    complainers = Complainers()
    frt_samples: list[float] = []
    for m in mentions:
        if keep is not None and not keep(m):
            continue
        f = facts(m, since, until, policy, now)
        if f is None:
            continue
        overall.add(f)
        for dim, accs in groups.items():
            for key in group_keys(m, dim, brand_name):
                acc = accs.get(key) or accs.setdefault(key, Accumulator(key))
                acc.add(f)
        if not f.in_period:
            continue
        created = parse_time(m["created_at"])
        timeline.add(created, f)
        complaint = is_complaint(m)
        complainers.add(m, created, complaint)
        if complaint:
            themes.add(m)
        if f.frt is not None:
            frt_samples.append(f.frt)
    result = overall.result()
    mean, spikes = timeline.spikes(result["volume"])
    return {
        "period": {"since": iso(since), "until": iso(until), "now": iso(now), "timezone": _policy_zone(policy),
                   "business_time": policy.business_time, "brand": brand_name},
        "overall": result,
        "groups": {dim: _sorted_groups(accs) for dim, accs in groups.items()},
        "hours": [overall.hours.get(h, 0) for h in range(24)],
        "timeline": timeline.series(),
        "frt_histogram": frt_histogram(frt_samples),
        "spikes": {"mean_hourly": mean, "factor": SPIKE_FACTOR, "minimum": SPIKE_MIN, "hours": spikes},
        "themes": themes.result(top),
        "complainers": complainers.result(top),
    }


def _sorted_groups(accs: dict[str, Accumulator]) -> list[dict]:
    rows = [acc.result() for acc in accs.values()]
    rows.sort(key=lambda r: (-r["volume"], -r["backlog"], r["key"]))
    return rows

