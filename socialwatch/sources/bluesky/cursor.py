"""Streams and their cursor entries: where a walk stops (`Floor`), how far it got (`Tracker`), holes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socialwatch.sources.bluesky.ids import _dict, _list, _time, stamp

#: Items indexed this long before the stored position are still looked at (late indexing, sortAt skew).
OVERLAP = timedelta(minutes=5)
RECENT_CAP = 500


# ---- walking a stream ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Stream:
    """One endpoint read newest-first: its cursor key, a label for messages, the list key."""

    key: str
    label: str
    items_key: str


NOTIFICATIONS = Stream("notifications", "notifications (app.bsky.notification.listNotifications)", "notifications")
SEARCH = Stream("search", "post search (app.bsky.feed.searchPosts)", "posts")
DISABLE_HINT = {"notifications": "set `notifications = false`", "search": "remove `search`"}


@dataclass(frozen=True)
class Floor:
    """Where a walk stops: items indexed before `time - overlap` are old; `recent` uris were seen."""

    time: datetime
    recent: frozenset[str] = frozenset()
    overlap: timedelta = timedelta(0)

    def verdict(self, uri: str, when: datetime) -> str:
        """ "old" (the walk has reached its end), "seen" (skip it) or "new"."""
        if when < self.time - self.overlap:
            return "old"
        return "seen" if uri in self.recent else "new"

    def as_entry(self) -> dict:
        return {"indexed_at": stamp(self.time), "recent": sorted(self.recent)[:RECENT_CAP]}


@dataclass
class Tracker:
    """The newest position a stream has reached, and the uris seen within OVERLAP of it."""

    newest: datetime
    recent: dict[str, datetime] = field(default_factory=dict)

    def see(self, uri: str, when: datetime) -> None:
        if when > self.newest:
            self.newest = when
        if when >= self.newest - OVERLAP:
            self.recent[uri] = when

    def entry(self) -> dict:
        edge = self.newest - OVERLAP
        kept = sorted(((w, u) for u, w in self.recent.items() if w >= edge), reverse=True)[:RECENT_CAP]
        return {"indexed_at": stamp(self.newest), "recent": [[stamp(w), u] for w, u in kept]}


@dataclass
class Item:
    """A list entry reduced to what the walk and the mapping need."""

    uri: str
    when: datetime
    kind: str
    record: Any
    author: dict
    post: dict | None = None  # a PostView (search results, or after getPosts)


@dataclass
class Segment:
    """One stretch to walk: from `cursor` (None: the newest) down to `floor`."""

    floor: Floor
    cursor: str | None = None
    reached: bool = False
    pages: int = 0


def _stored_entry(value: Any) -> tuple[datetime, dict[str, datetime]] | None:
    """(position, recent uris) of a stored stream entry, None if there is none usable."""
    entry = _dict(value)
    position = _time(entry.get("indexed_at"))
    if position is None:
        return None
    recent: dict[str, datetime] = {}
    for pair in _list(entry.get("recent")):
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str):
            when = _time(pair[0])
            if when is not None:
                recent[pair[1]] = when
    return position, recent


def _stored_holes(value: Any) -> list[Segment]:
    holes = []
    for hole in _list(_dict(value).get("holes")):
        hole = _dict(hole)
        when = _time(hole.get("indexed_at"))
        cursor = hole.get("cursor")
        if when is None or not isinstance(cursor, str) or not cursor:
            continue
        recent = frozenset(u for u in _list(hole.get("recent")) if isinstance(u, str))
        holes.append(Segment(Floor(when, recent, OVERLAP), cursor))
    return holes
