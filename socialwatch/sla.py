"""Service levels: first-response targets per priority band, measured in business time.

    [sla]
    timezone = "Europe/London"                  # IANA zone of the business hours
    hours = "09:00-17:30"                       # business hours on business days
    days = ["mon", "tue", "wed", "thu", "fri"]  # business days
    holidays = ["2026-12-25"]                   # closed all day
    targets = [                                  # first matching band (highest min_priority first)
      { min_priority = 80, first_response = "1h" },
      { min_priority = 0,  first_response = "4h" },
    ]
    # resolution = "2d"                          # optional resolution target (business time)
    # business_time = false                      # measure in plain clock time instead

Without an `[sla]` table the defaults above apply (Monday to Friday, 09:00-17:30 UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from socialwatch.errors import ConfigError
from socialwatch.model import parse_duration, parse_time

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass
class Band:
    min_priority: int
    first_response: timedelta


@dataclass
class Policy:
    tz: Any = UTC
    start: time = time(9, 0)
    end: time = time(17, 30)
    days: set[int] = field(default_factory=lambda: {0, 1, 2, 3, 4})
    holidays: set[date] = field(default_factory=set)
    bands: list[Band] = field(default_factory=lambda: [Band(80, timedelta(hours=1)), Band(0, timedelta(hours=4))])
    resolution: timedelta | None = None
    business_time: bool = True
    #: the keys the [sla] table set (the others are defaults), for reports to say which
    configured: set[str] = field(default_factory=set)

    def target(self, priority: int) -> timedelta:
        for band in self.bands:
            if priority >= band.min_priority:
                return band.first_response
        return self.bands[-1].first_response

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (plain time when business_time is off).

        The first and last days are walked; the whole days between are counted (business days
        of the week, less holidays), so a span of a year costs no more than one of a week."""
        if end <= start:
            return timedelta(0)
        if not self.business_time:
            return end - start
        local_start = start.astimezone(self.tz)
        local_end = end.astimezone(self.tz)
        first, last = local_start.date(), local_end.date()
        if (last - first).days <= 2:
            return self._walk(local_start, local_end, first, last)
        total = self._walk(local_start, local_end, first, first) + self._walk(local_start, local_end, last, last)
        return total + self._day_length() * self.business_days(first + timedelta(days=1), last - timedelta(days=1))

    def _walk(self, local_start: datetime, local_end: datetime, first: date, last: date) -> timedelta:
        """Business time between two local instants on the days first..last, day by day."""
        total = timedelta(0)
        day = first
        while day <= last:
            if day.weekday() in self.days and day not in self.holidays:
                open_at = datetime.combine(day, self.start, tzinfo=self.tz)
                close_at = datetime.combine(day, self.end, tzinfo=self.tz)
                lo = max(open_at, local_start)
                hi = min(close_at, local_end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def _day_length(self) -> timedelta:
        """The business hours of one whole day (wall-clock time, as the day-by-day walk counts it)."""
        return datetime.combine(date(2000, 1, 3), self.end) - datetime.combine(date(2000, 1, 3), self.start)

    def business_days(self, first: date, last: date) -> int:
        """The business days (of the week, not holidays) from `first` to `last`, both included."""
        if last < first:
            return 0
        span = (last - first).days + 1
        weeks, rest = divmod(span, 7)
        count = weeks * len(self.days)
        count += sum(1 for i in range(rest) if (first + timedelta(days=weeks * 7 + i)).weekday() in self.days)
        count -= sum(1 for d in self.holidays if first <= d <= last and d.weekday() in self.days)
        return count

    def due(self, start: datetime, budget: timedelta) -> datetime:
        """The instant at which `budget` of business time has passed since `start`."""
        if not self.business_time:
            return start + budget
        remaining = budget
        cursor = start.astimezone(self.tz)
        for _ in range(3660):  # ten years of days: a policy with no business day ends the loop
            day = cursor.date()
            if day.weekday() in self.days and day not in self.holidays:
                open_at = datetime.combine(day, self.start, tzinfo=self.tz)
                close_at = datetime.combine(day, self.end, tzinfo=self.tz)
                lo = max(open_at, cursor)
                if close_at > lo:
                    if lo + remaining <= close_at:
                        return (lo + remaining).astimezone(UTC)
                    remaining -= close_at - lo
            cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        raise ConfigError("the SLA policy has no business hours", key="sla")


def policy(table: dict | None, path: str | None = None) -> Policy:
    """The policy from an `[sla]` table (defaults for missing keys); ConfigError naming the key."""
    table = table or {}
    p = Policy()
    p.configured = set(table)

    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(why, path=path, key=f"sla.{key}")

    if "timezone" in table:
        try:
            p.tz = ZoneInfo(str(table["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise fail("timezone", f"unknown time zone {table['timezone']!r}") from None
    if "hours" in table:
        m = _HOURS.match(str(table["hours"]))
        if not m:
            raise fail("hours", 'expected "HH:MM-HH:MM"')
        h1, m1, h2, m2 = map(int, m.groups())
        if not (0 <= h1 < 24 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60):
            raise fail("hours", "not a time of day")
        p.start = time(h1, m1)
        p.end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
        if p.end <= p.start:
            raise fail("hours", "business hours must end after they start")
    if "days" in table:
        days = table["days"]
        if not isinstance(days, list) or not all(str(d).lower()[:3] in DAYS for d in days):
            raise fail("days", f"expected a list of {', '.join(DAYS)}")
        p.days = {DAYS.index(str(d).lower()[:3]) for d in days}
    if "holidays" in table:
        try:
            p.holidays = {date.fromisoformat(str(d)) for d in table["holidays"]}
        except (TypeError, ValueError):
            raise fail("holidays", "expected a list of dates (YYYY-MM-DD)") from None
    if "targets" in table:
        bands = []
        for i, t in enumerate(table["targets"]):
            if not isinstance(t, dict) or "first_response" not in t:
                raise fail(f"targets[{i}]", "expected { min_priority = N, first_response = DURATION }")
            try:
                bands.append(Band(int(t.get("min_priority", 0)), parse_duration(t["first_response"])))
            except (TypeError, ValueError) as exc:
                raise fail(f"targets[{i}]", str(exc)) from None
        if not bands:
            raise fail("targets", "needs at least one band")
        p.bands = sorted(bands, key=lambda b: -b.min_priority)
    if "resolution" in table:
        try:
            p.resolution = parse_duration(table["resolution"])
        except ValueError as exc:
            raise fail("resolution", str(exc)) from None
    if "business_time" in table:
        p.business_time = bool(table["business_time"])
    return p


KEYS = ("timezone", "hours", "days", "holidays", "targets", "resolution", "business_time")


def describe(p: Policy, since: datetime | None = None, until: datetime | None = None) -> dict:
    """The policy in force, for reports: targets per priority band, business hours, days and
    holidays (those falling in [since, until) apart), and which keys are defaults."""
    zone = str(getattr(p.tz, "key", None) or p.tz)
    holidays = sorted(p.holidays)
    local = (since.astimezone(p.tz).date() if since else None, until.astimezone(p.tz).date() if until else None)
    in_period = [d for d in holidays if (local[0] is None or d >= local[0]) and (local[1] is None or d <= local[1])]
    return {
        "configured": bool(p.configured),
        "defaults": [k for k in KEYS if k not in p.configured],
        "timezone": zone,
        "hours": f"{p.start.strftime('%H:%M')}-{'24:00' if p.end == time(23, 59, 59) else p.end.strftime('%H:%M')}",
        "days": [DAYS[d] for d in sorted(p.days)],
        "holidays": [d.isoformat() for d in holidays],
        "holidays_in_period": [d.isoformat() for d in in_period],
        "targets": [{"min_priority": b.min_priority, "first_response_s": b.first_response.total_seconds()}
                    for b in p.bands],
        "resolution_s": p.resolution.total_seconds() if p.resolution else None,
        "business_time": p.business_time,
    }


def first_response_time(p: Policy, mention: dict) -> timedelta | None:
    """Business time from posting to the first response (None while unanswered)."""
    if not mention.get("first_response_at") or not mention.get("created_at"):
        return None
    return p.elapsed(parse_time(mention["created_at"]), parse_time(mention["first_response_at"]))


def due_at(p: Policy, mention: dict) -> datetime | None:
    """When the first response is due: posting time plus the target of the mention's priority
    band, in business time. The band is chosen by the priority without the waiting factor, so
    a deadline does not move earlier as the mention waits; None when answered, closed, undated
    or when the mention needs no response."""
    from socialwatch.model import effective_priority, is_open

    if mention.get("first_response_at") or not is_open(mention) or not mention.get("created_at"):
        return None
    if (mention.get("score") or {}).get("needs_response") is False:
        return None  # nothing is due for a mention that needs no response
    try:
        created = parse_time(mention["created_at"])
    except ValueError:
        return None
    return p.due(created, p.target(effective_priority(mention)))


@dataclass(frozen=True)
class Countdown:
    """Where a mention stands against its first-response target at one moment."""

    due: datetime  # the instant the target passes (UTC)
    left: timedelta  # time left, in business time unless the policy counts clock time; negative: overdue
    business: bool  # measured in business time (the policy's hours, days and holidays)
    zone: str  # the policy's time zone, for showing `due` to people

    @property
    def overdue(self) -> bool:
        return self.left < timedelta(0)


def countdown(p: Policy, mention: dict, now: datetime) -> Countdown | None:
    """The mention's first-response countdown at `now`, counted as the SLA counts it: business
    time (outside business hours it stands still, so a mention due at 17:00 is 30 minutes overdue
    from 17:30 until the next business morning). None when nothing is due (see `due_at`).

    `overdue` holds exactly when `breached` does for an unanswered mention, so `show`, the queue,
    the inbox and `health`'s breach count agree."""
    due = due_at(p, mention)
    if due is None:
        return None
    from socialwatch.model import effective_priority

    created = parse_time(mention["created_at"])
    left = p.target(effective_priority(mention)) - p.elapsed(created, now)
    return Countdown(due, left, p.business_time, str(getattr(p.tz, "key", None) or p.tz))


def overdue(p: Policy, mention: dict, now: datetime) -> bool:
    """Whether an open mention that needs a response is past its first-response target, unanswered."""
    c = countdown(p, mention, now)
    return c is not None and c.overdue


def breached(p: Policy, mention: dict, now: datetime, priority: int) -> bool:
    """Has the first-response target passed (answered late, or still unanswered past due)?"""
    if not mention.get("created_at"):
        return False
    created = parse_time(mention["created_at"])
    answered = mention.get("first_response_at")
    end = parse_time(answered) if answered else now
    return p.elapsed(created, end) > p.target(priority)
