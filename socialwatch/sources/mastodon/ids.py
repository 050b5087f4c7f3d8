"""Mastodon instances, ids and times: the instance URL, status ids and their order, snowflake times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from socialwatch import model

PLATFORM = "mastodon"
_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$")
#: Snowflake ids of statuses created after 2016 (ms << 16): below this an id is not time-based.
_FIRST_SNOWFLAKE_MS = 1_451_606_400_000


# ---- small helpers shared with the responder ---------------------------------------------------
def instance_url(value: Any) -> str:
    """The instance's base URL (`https://HOST[:PORT]`) from a configured value; ValueError says why not.

    A bare host ("mastodon.social") gets https. http is accepted for localhost only (the token
    would travel in clear). The value itself is never repeated in the message.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError('expected the instance\'s address, e.g. "https://mastodon.social"')
    text = value.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError('not a usable address: expected e.g. "https://mastodon.social"') from None
    if parts.scheme not in ("https", "http"):
        raise ValueError("expected an https:// address")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the address must not hold a user name or password (the token goes in `access_token`)")
    host = (parts.hostname or "").lower()
    if not host or not _HOST.match(host):
        raise ValueError('not a usable host name: expected e.g. "https://mastodon.social"')
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError('expected only the instance\'s address, without a path: "https://HOST"')
    if parts.scheme == "http" and host not in ("localhost", "127.0.0.1"):
        raise ValueError("use https: the access token would travel in clear over http")
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}"


def str_id(value: Any) -> str | None:
    """A Mastodon id (a string of digits, or an alphanumeric flake id elsewhere) as a string, else None."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value)
    return text if _ID.match(text) else None


def id_order(value: str) -> tuple[int, str]:
    """Sort key of ids: numeric ids by value (length first), flake ids of equal length by text."""
    return (len(value), value)


def newer(a: str | None, b: str | None) -> str | None:
    """The newer of two ids (None counts as oldest)."""
    if a is None or b is None:
        return a or b
    return a if id_order(a) >= id_order(b) else b


def snowflake_time(value: Any) -> datetime | None:
    """The time encoded in a Mastodon status id (milliseconds << 16), else None."""
    text = str_id(value)
    if text is None or not text.isdigit():
        return None
    ms = int(text) >> 16
    if ms < _FIRST_SNOWFLAKE_MS or ms > 32_503_680_000_000:  # before 2016 or after year 3000
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def snowflake_at(moment: datetime) -> str:
    """The lowest status id Mastodon could give at `moment`."""
    return str(int(moment.timestamp() * 1000) << 16)


def as_time(value: Any) -> datetime | None:
    """A datetime (Mastodon.py gives aware ones) or a time string as an aware datetime, else None."""
    try:
        return model.parse_time(value) if value not in (None, "") else None
    except (ValueError, TypeError, OverflowError):
        return None


def hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def https_url(value: Any) -> str | None:
    """`value` when it is an http(s) URL (a status' page), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        scheme = urlsplit(value).scheme
    except ValueError:
        return None
    return value if scheme in ("http", "https") else None
