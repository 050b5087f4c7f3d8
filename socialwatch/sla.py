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

    def target(self, priority: int) -> timedelta:
        for band in self.bands:
            if priority >= band.min_priority:
                return band.first_response
        return self.bands[-1].first_response

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (plain time when business_time is off)."""
        if end <= start:
            return timedelta(0)
        if not self.business_time:
            return end - start
        total = timedelta(0)
        local_start = start.astimezone(self.tz)
        local_end = end.astimezone(self.tz)
        day = local_start.date()
        while day <= local_end.date():
            if day.weekday() in self.days and day not in self.holidays:
                open_at = datetime.combine(day, self.start, tzinfo=self.tz)
                close_at = datetime.combine(day, self.end, tzinfo=self.tz)
                lo = max(open_at, local_start)
                hi = min(close_at, local_end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

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


def breached(p: Policy, mention: dict, now: datetime, priority: int) -> bool:
    """Has the first-response target passed (answered late, or still unanswered past due)?"""
    if not mention.get("created_at"):
        return False
    created = parse_time(mention["created_at"])
    answered = mention.get("first_response_at")
    end = parse_time(answered) if answered else now
    return p.elapsed(created, end) > p.target(priority)
