"""The settings of a mastodon source (`Options`), hashtags, and the checks the types alone do not make."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from socialwatch.sources.mastodon.ids import instance_url

#: Statuses per page: Mastodon serves at most 40 statuses (80 notifications) per request.
PAGE_SIZE = 40
#: Visibilities from the most private to the most public.
VISIBILITIES = ("direct", "private", "unlisted", "public")
_HASHTAG = re.compile(r"^\w{1,100}$")


# ---- settings -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The non-secret settings of a mastodon source, with their defaults."""

    instance: str
    notifications: bool = True
    hashtags: tuple[str, ...] = ()
    max_pages: int = 10
    limit: int = PAGE_SIZE
    retries: int = 3
    timeout: float = 30.0
    max_rate_limit_wait: float = 60.0

    @classmethod
    def from_table(cls, table: dict) -> Options:
        """Read a (validated) source table; out-of-range numbers are clamped."""
        try:
            instance = instance_url(table.get("instance"))
        except ValueError:
            instance = ""
        return cls(
            instance=instance,
            notifications=bool(table.get("notifications", True)),
            hashtags=tuple(dict.fromkeys(t for t in map(hashtag_name, table.get("hashtags") or []) if t)),
            max_pages=max(1, int(table.get("max_pages", 10))),
            limit=min(PAGE_SIZE, max(1, int(table.get("limit", PAGE_SIZE)))),
            retries=min(10, max(0, int(table.get("retries", 3)))),
            timeout=max(1.0, float(table.get("timeout", 30))),
            max_rate_limit_wait=max(0.0, float(table.get("max_rate_limit_wait", 60))),
        )


def hashtag_name(value: Any) -> str | None:
    """A configured hashtag without its "#", lower-cased; None when it is not a hashtag."""
    if not isinstance(value, str):
        return None
    name = value.strip().lstrip("#")
    return name.lower() if _HASHTAG.match(name) else None


_RANGES = {"max_pages": (1, 1000), "limit": (1, PAGE_SIZE), "retries": (0, 10), "timeout": (1, 600),
           "max_rate_limit_wait": (0, 3600)}  # fmt: skip


def _config_problems(table: dict) -> list[tuple[str, str]]:
    """(key, message) for each value a mastodon table cannot use, in the order to report them."""
    problems: list[tuple[str, str]] = []
    try:
        instance_url(table.get("instance"))
    except ValueError as exc:
        problems.append(("instance", str(exc)))
    tags = table.get("hashtags", [])
    bad = [t for t in tags if hashtag_name(t) is None]
    if bad:
        shown = str(bad[0])[:40]
        problems.append(("hashtags", f'not a hashtag: {shown!r} (letters, digits and _ only, e.g. "northwind")'))
    for key, (low, high) in _RANGES.items():
        value = table.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and not low <= value <= high:
            problems.append((key, f"expected a value from {low} to {high}, got {value}"))
    notifications = table.get("notifications", True)
    if not notifications and not tags:
        problems.append(("notifications", "nothing to read: set `notifications = true` or give `hashtags`"))
    token = table.get("access_token")
    if notifications and not (isinstance(token, str) and token.strip()):
        problems.append(
            ("access_token", 'notifications need the account\'s access token: set access_token = "$MASTODON_TOKEN"')
        )
    return problems
