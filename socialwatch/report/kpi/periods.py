"""The KPIs over time: one period's accumulators (`Period`), the volume timeline, spikes against
earlier weeks, and the weekly trend."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from socialwatch.model import iso
from socialwatch.report.kpi.accumulate import Accumulator
from socialwatch.report.kpi.facts import Facts, Survey, facts
from socialwatch.report.stats import share
from socialwatch.sla import Policy

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


class Period:
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
                         "negative_share": share(negative, volume)})
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
                                                    "csat_responses", "csat_rated", "csat")}})
        return rows


def _aware(naive: datetime, tz: Any) -> datetime:
    """A local wall-clock time in `tz`, as an aware UTC instant."""
    return naive.replace(tzinfo=tz).astimezone(UTC)
