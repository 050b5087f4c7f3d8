"""Small numeric helpers shared by the KPIs (`report.kpi`) and the agents' work (`report.credit`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from socialwatch.model import parse_time


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between ranks; None for no values."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def share(part: int, whole: int) -> float | None:
    """part / whole to 4 places; None when there is no whole."""
    return round(part / whole, 4) if whole else None


def seconds(value: float | None) -> float | None:
    """A duration in seconds to one decimal place (None stays None)."""
    return None if value is None else round(value, 1)


def time_or_none(value: Any) -> datetime | None:
    """A stored instant as an aware datetime; None when it is missing or unreadable."""
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None
