"""Priority: a 0-100 rank for the queue, every point of it listed in `reasons`.

The queue must put every customer who needs us above the chatter, so the priority has two
bands. A mention that needs a response starts at `weights.needs_response` (40) and ranks
above every mention that does not, which is kept below that (at most 39 points, "clamp").
Within each band the factors add up:

    response     needs a response: weights.needs_response. Otherwise up to a quarter of it,
                 growing with the model's probability that it does (so that a borderline
                 mention ranks above plain praise).
    intent       complaint: weights.complaint. Question or request: weights.question.
                 Feedback, praise, other: 0.
    risk         any risk cue (fraud, account takeover, safety, vulnerability, legal, press):
                 weights.risk, plus a fifth of it for each further category (at most 1.4 x).
                 A risk cue always makes a mention need a response.
    anger        angry: weights.anger. Not angry: up to 0.3 x weights.anger with the model's
                 probability.
    negativity   weights.negativity x -compound, only when the compound is below 0; 0 with
                 the note "sentiment not scored for <language>" when it was not scored.
    viral        weights.viral x level. The level grows logarithmically with
                 max(followers / viral_followers, engagements per hour / viral_velocity)
                 and is 1 from those thresholds on. A verified author's followers count
                 double. Velocity is counted over at least half an hour. The mention is
                 `viral` when the level reaches 1.
    private      weights.private when kind == "dm"
    boost        the `boost` argument (from routing rules), with its reason
    clamp        the amount cut to keep the total within its band (0..39 without a needed
                 response, up to 100 with one)

Waiting time is not stored in the score: it rises with the clock. A mention that needs a
response carries `waiting = {weight, cap_hours}`, and `socialwatch.model.effective_priority(m,
now)` adds weights.waiting x min(1, hours unanswered / waiting_cap_hours) at read time (the
queue order, `show`, claims), so old unanswered mentions rise during a shift.

Contributions are whole points that add up to the priority exactly (each factor rounded to its
nearest, the rounding error given to those it moved most).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from socialwatch.model import METRICS, parse_time

#: Velocity is measured over at least this many hours, so that a few early likes are not a storm.
MIN_VELOCITY_HOURS = 0.5


def band_cap(weights: dict[str, float]) -> float:
    """The highest priority a mention that needs no response may have."""
    floor = weights["needs_response"]
    return floor - 1 if floor >= 1 else 100


def viral_factor(mention: dict, now: datetime | None, weight: float, followers_at: float,
                 velocity_at: float) -> tuple[bool, dict | None]:
    """Reach and engagement velocity: (viral, the factor or None when nothing is known). The
    mention's age (to `now`) is worked out only when a velocity needs it."""
    author = mention.get("author")
    followers = verified = None
    if author:
        followers = author.get("followers")
        if followers is not None:
            followers = count(followers)
        verified = author.get("verified") is True
    metrics = mention.get("metrics")
    engagements = _engagements(metrics) if metrics else None
    age = None
    if engagements is not None:
        age = age_hours(mention.get("created_at"), now)
        if age is None:
            engagements = None  # a velocity needs the age
    if followers is None and not verified and engagements is None:
        return False, None
    level = 0.0
    detail = ""
    if followers is not None or verified:
        level = (followers * (2 if verified else 1) / followers_at) if followers is not None else 0.5
        detail = f"{'unknown' if followers is None else followers} followers{', verified' if verified else ''}"
    if engagements is not None and age is not None:
        per_hour = engagements / (age if age > MIN_VELOCITY_HOURS else MIN_VELOCITY_HOURS)
        velocity = per_hour / velocity_at
        level = velocity if velocity > level else level
        detail += f"{'; ' if detail else ''}{engagements:g} engagements, {per_hour:.1f}/h"
    if level >= 1.0:
        return True, {"factor": "viral", "contribution": weight, "detail": "viral: " + detail}
    value = round(weight * math.log10(1 + 9 * level), 1)
    return False, {"factor": "viral", "contribution": value, "detail": detail}


def finish(reasons: list[dict], total: float, needs_response: bool, weights: dict[str, float],
           boost: int, boost_reason: str | None) -> int:
    """Clamp the total to its band, add the boost, and return the priority (reasons updated,
    their contributions made whole numbers that add up to it exactly)."""
    total = _whole(reasons, total)
    cap = 100 if needs_response else weights["needs_response"] - 1 if weights["needs_response"] >= 1 else 100  # band_cap
    if total > cap:
        reasons.append({"factor": "clamp", "contribution": round(cap - total, 1),
                        "detail": "kept below the mentions that need a response" if cap < 100 else "kept within 0..100"})
        total = cap
    if boost or boost_reason:
        reasons.append({"factor": "boost", "contribution": boost or 0, "detail": boost_reason or "routing rule"})
        total += boost or 0
    rounded = round(total)
    priority = 100 if rounded > 100 else 0 if rounded < 0 else rounded
    if priority != rounded:
        reasons.append({"factor": "clamp", "contribution": priority - rounded, "detail": "kept within 0..100"})
    return priority


def _whole(reasons: list[dict], total: float) -> int:
    """Round the contributions to whole points that add up to round(total): each to its nearest,
    then the rounding error taken from (or given to) those that lost (or gained) most by it, so
    that the factors `show` lists add up to the priority it shows."""
    target = round(total)
    whole = [round(r["contribution"]) for r in reasons]
    error = target - sum(whole)
    if error:
        values = [r["contribution"] for r in reasons]
        step = 1 if error > 0 else -1
        order = sorted(range(len(values)), key=lambda i: (values[i] - whole[i]) * step, reverse=True)
        for i in order[: abs(error)]:
            whole[i] += step
    for r, w in zip(reasons, whole, strict=True):
        r["contribution"] = w
    return target


def count(value: Any) -> float | None:
    """A usable count (int or finite float, not a bool), else None."""
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return value
    return None


def _engagements(metrics: Any) -> float | None:
    """likes + reposts + replies + quotes, counting the known ones (None when none is known)."""
    if not metrics or not isinstance(metrics, dict):
        return None
    total = None
    for key in METRICS:
        value = metrics.get(key)
        if value is not None:
            kind = type(value)  # (`count`, inline)
            if kind is int or (kind is float and math.isfinite(value)):
                total = value if total is None else total + value
    return total


def age_hours(created: Any, now: datetime | None) -> float | None:
    """Hours from `created` to `now` (0 for the future), or None when either is unknown or unreadable."""
    if now is None or created is None or created == "":
        return None
    try:
        when = datetime.fromisoformat(created) if type(created) is str else parse_time(created)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    except ValueError:
        try:
            when = parse_time(created)
        except (ValueError, TypeError):
            return None
    seconds = (now - when).total_seconds()
    return seconds / 3600 if seconds > 0 else 0.0
