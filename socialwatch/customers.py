"""Finding one customer's mentions across sources (`socialwatch customer HANDLE`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: At most this many mentions are listed for one customer.
LIMIT = 1000


@dataclass
class Found:
    """What `find` found: the mentions (newest first), the handles they are by, whether those
    only start like what was typed (`partial`), and the handle as typed, for messages."""

    mentions: list[dict] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    partial: bool = False
    shown: str = ""


def normalise(handle: str) -> str:
    """A handle as typed ("@Ann", "ann", "u/ann", "/u/ann") as the store keys it: "ann"."""
    text = handle.strip()
    for prefix in ("/u/", "u/", "@"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    return text.strip().lower()


def find(store: Any, handle: str, limit: int = LIMIT) -> Found:
    """Every mention by the customer `handle` (case-insensitive, with or without "@"/"u/").

    When no author has exactly that handle, handles whose local part it is (Mastodon
    "name@server", Bluesky "name.bsky.social") are used instead, and `partial` says so."""
    from socialwatch.render import safe

    key = normalise(handle)
    found = Found(shown="@" + safe(key) if key else safe(handle))
    if not key:
        return found
    mentions = store.author_history(key, limit=limit)
    if mentions:
        found.mentions, found.handles = mentions, [key]
        return found
    handles = store.handles_like(key)
    if not handles:
        return found
    out: list[dict] = []
    for h in handles:
        out += store.author_history(h, limit=limit)
    out.sort(key=lambda m: m.get("created_at") or "", reverse=True)
    found.mentions, found.handles, found.partial = out[:limit], handles, True
    return found
