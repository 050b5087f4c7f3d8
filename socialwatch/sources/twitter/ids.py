"""X ids and times: numeric ids, snowflake times, tweet URLs; small value helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from socialwatch import model

#: Twitter's snowflake epoch (ms); ids below this value predate snowflakes (Nov 2010).
TWEPOCH_MS = 1288834974657
FIRST_SNOWFLAKE = 30_000_000_000
_SAFE_TOKEN = re.compile(r"[^A-Za-z0-9 _.:/-]")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_DIGITS = re.compile(r"^[0-9]{1,20}$")
_CONVERSATION = re.compile(r"^[0-9]{1,20}(-[0-9]{1,20})?$")


def int_id(value: Any) -> int | None:
    """A numeric X id (string or int) as an int, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and _DIGITS.match(value):
        return int(value)
    return None


def snowflake_time(value: Any) -> datetime | None:
    """The creation time encoded in a snowflake id (tweets, DM events), else None."""
    number = int_id(value)
    if number is None or number < FIRST_SNOWFLAKE:
        return None
    return datetime.fromtimestamp(((number >> 22) + TWEPOCH_MS) / 1000, tz=UTC)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _safe(value: Any, limit: int = 60) -> str:
    """An API error token (title, reason, code) reduced to harmless characters."""
    return _SAFE_TOKEN.sub("", str(value))[:limit].strip()


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def _tweet_url(tweet_id: Any, username: Any) -> str | None:
    if int_id(tweet_id) is None:
        return None
    if isinstance(username, str) and _USERNAME.match(username):
        return f"https://x.com/{username}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"


def _created_from_id(native_id: Any) -> str | None:
    moment = snowflake_time(native_id)
    return model.iso(moment) if moment else None


def _stored_time(value: Any) -> datetime | None:
    try:
        return model.parse_time(value) if value else None
    except ValueError:
        return None
