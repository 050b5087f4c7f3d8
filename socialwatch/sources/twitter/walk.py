"""Walking an endpoint (mentions, recent search, DMs) newest-first within its window, and coverage gaps."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socialwatch import model
from socialwatch.sources import (
    Batch,
    SourceError,
)
from socialwatch.sources.twitter.ids import _dict, _list, _safe, _stored_time, int_id, snowflake_time
from socialwatch.sources.twitter.problems import ENDPOINTS
from socialwatch.sources.twitter.settings import build_query

TWEET_FIELDS = [
    "created_at",
    "public_metrics",
    "conversation_id",
    "referenced_tweets",
    "lang",
    "author_id",
    "in_reply_to_user_id",
    "note_tweet",
]
USER_FIELDS = ["username", "name", "verified", "public_metrics"]
DM_EVENT_FIELDS = ["id", "text", "created_at", "sender_id", "dm_conversation_id", "event_type"]
#: X serves at most the 800 most recent mentions of an account.
MENTIONS_CAP = 800
#: Recent search reaches back 7 days; a start_time older than that is refused (400).
SEARCH_WINDOW = timedelta(days=7)
#: A small margin so a clamped start_time is not refused for being a few seconds too old.
SEARCH_MARGIN = timedelta(minutes=2)
#: DM event lookups return the last 30 days.
DM_WINDOW = timedelta(days=30)
#: After an empty walk the next one starts this long before the poll (items indexed late).
QUIET_OVERLAP = timedelta(minutes=10)


# ---- per-walk bookkeeping ------------------------------------------------------------------------
@dataclass
class _Walk:
    """Progress of one endpoint's newest-first walk."""

    key: str
    since_id: int | None
    window_start: datetime | None
    start_time: datetime | None = None  # asked for by time (first poll, backfill) rather than since_id
    notes: list[str] = field(default_factory=list)
    newest: int | None = None
    oldest: int | None = None
    pages: int = 0
    items: int = 0
    truncated: bool = False

    def see(self, value: Any) -> None:
        number = int_id(value)
        if number is None:
            return
        self.newest = number if self.newest is None else max(self.newest, number)
        self.oldest = number if self.oldest is None else min(self.oldest, number)

    def new_since_id(self) -> int | None:
        candidates = [n for n in (self.since_id, self.newest) if n is not None]
        return max(candidates) if candidates else None


class WalkMixin:
    """`TwitterSource`'s walk of an endpoint: its window from the cursor, pages, batches and gap notes."""

    def _start_cursor(self) -> dict:
        cursor = copy.deepcopy(self.cursor) if isinstance(self.cursor, dict) else {}
        for key in ("mentions", "search", "dms"):
            if not isinstance(cursor.get(key), dict):
                cursor.pop(key, None)
        return cursor

    def _fetch_endpoint(self, key: str, cursor: dict) -> Iterator[Batch]:
        if key == "mentions":
            yield from self._fetch_mentions(cursor)
        elif key == "search":
            yield from self._fetch_search(cursor)
        else:
            yield from self._fetch_dms(cursor)

    def _fetch_mentions(self, cursor: dict) -> Iterator[Batch]:
        user_id = self._user_id(cursor)
        client, user_auth, _ = self._route("mentions")
        walk, params = self._window("mentions", cursor)

        def request(**page: Any) -> Any:
            return client.get_users_mentions(user_id, user_auth=user_auth, **params, **page)

        yield from self._walk(walk, cursor, request, "pagination_token", self._tweet_mapper(walk, "mention", user_id))

    def _fetch_search(self, cursor: dict) -> Iterator[Batch]:
        assert self.options.search_query
        query = build_query(self.options.search_query, _dict(self.context.brand).get("exclusions", []))
        user_id = self.options.user_id or cursor.get("user_id")
        client, user_auth, _ = self._route("search")
        walk, params = self._window("search", cursor)
        params["max_results"] = max(10, params["max_results"])

        def request(**page: Any) -> Any:
            return client.search_recent_tweets(query, user_auth=user_auth, **params, **page)

        yield from self._walk(walk, cursor, request, "next_token", self._tweet_mapper(walk, "search", user_id))

    def _fetch_dms(self, cursor: dict) -> Iterator[Batch]:
        user_id = self._user_id(cursor)
        client, user_auth, _ = self._route("dms")
        walk, _ = self._window("dms", cursor)
        params = {
            "event_types": "MessageCreate",
            "dm_event_fields": DM_EVENT_FIELDS,
            "expansions": ["sender_id"],
            "user_fields": USER_FIELDS,
            "max_results": self.options.max_results,
        }

        def request(**page: Any) -> Any:
            return client.get_direct_message_events(user_auth=user_auth, **params, **page)

        yield from self._walk(walk, cursor, request, "pagination_token", self._dm_mapper(walk, user_id))

    def _window(self, key: str, cursor: dict) -> tuple[_Walk, dict]:
        """Where the walk starts: the stored since_id, a backfill `since`, or the look-back."""
        entry = _dict(cursor.get(key))
        since_id = int_id(entry.get("since_id"))
        params: dict[str, Any] = {
            "expansions": ["author_id"],
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            "max_results": self.options.max_results,
        }
        start: datetime | None = None
        if self.context.since is not None:
            start = model.parse_time(self.context.since)
        elif since_id is None:
            start = _stored_time(entry.get("start_time")) or self._now - timedelta(seconds=float(self.context.lookback))
        walk = _Walk(key, since_id, start or snowflake_time(since_id), start_time=start)
        if key == "search":
            start = self._clamp_search(walk, start)
        elif key == "dms" and walk.window_start and walk.window_start < self._now - DM_WINDOW:
            walk.notes.append(self._gap_note(walk, walk.window_start, self._now - DM_WINDOW, "X keeps DMs for 30 days"))
        if start is not None:
            params["start_time"] = start
        elif since_id is not None:
            params["since_id"] = str(since_id)
        return walk, params

    def _clamp_search(self, walk: _Walk, start: datetime | None) -> datetime | None:
        """Recent search refuses anything older than 7 days: move the start and note the gap."""
        limit = self._now - SEARCH_WINDOW + SEARCH_MARGIN
        begin = walk.window_start
        if begin is None or begin >= limit:
            return start
        walk.notes.append(self._gap_note(walk, begin, limit, "recent search covers the last 7 days only"))
        walk.window_start = walk.start_time = limit
        return limit

    def _walk(
        self,
        walk: _Walk,
        cursor: dict,
        request: Callable[..., Any],
        token_param: str,
        mapper: Callable[[dict], tuple[list[dict], list[str], bool]],
    ) -> Iterator[Batch]:
        """Page newest-first until caught up or `max_pages`; the last batch carries the cursor."""
        token: str | None = None
        while True:
            page = {token_param: token} if token else {}
            body = self._call(walk.key, request, **page)
            walk.pages += 1
            mentions, skipped, reached = mapper(body)
            next_token = _dict(body.get("meta")).get("next_token")
            token = next_token if isinstance(next_token, str) and next_token and not reached else None
            if token and walk.pages < self.options.max_pages:
                yield self._batch(mentions, skipped)
                continue
            walk.truncated = token is not None
            new_since = walk.new_since_id()
            if new_since is not None:
                cursor[walk.key] = {"since_id": str(new_since)}
            elif walk.window_start is not None:
                # nothing yet: the window up to now is covered; the next poll starts there (with an
                # overlap for late indexing), not at `now - lookback`, so downtime is never skipped
                resume = max(walk.window_start, self._now - QUIET_OVERLAP)
                cursor[walk.key] = {"start_time": model.iso(resume)}
            notes = walk.notes + self._coverage_notes(walk)
            yield self._batch(mentions, skipped, cursor=copy.deepcopy(cursor), gap="; ".join(notes) or None)
            return

    def _batch(self, mentions: list[dict], skipped: list[str], **extra: Any) -> Batch:
        calls, self._pending_calls = self._pending_calls, 0
        return Batch(mentions=mentions, skipped=skipped, calls=calls, rate_limit_remaining=self._remaining, **extra)

    # ---- mapping -------------------------------------------------------------------------------
    def _page_items(self, key: str, body: dict) -> tuple[list, dict]:
        """The page's items and its users by id; an errors-only answer raises SourceError."""
        if "data" not in body and "meta" not in body and body.get("errors"):
            titles = ", ".join(sorted({_safe(_dict(e).get("title") or "error") for e in _list(body["errors"])}))
            raise SourceError(
                f"X source {self.name}: the API answered {ENDPOINTS[key][0]} with errors only ({titles}): "
                f"check `user_id` and the account's state"
            )
        users = {}
        for user in _list(_dict(body.get("includes")).get("users")):
            if isinstance(user, dict) and isinstance(user.get("id"), str):
                users[user["id"]] = user
        return _list(body.get("data")), users

    # ---- coverage ------------------------------------------------------------------------------
    def _coverage_notes(self, walk: _Walk) -> list[str]:
        """Gap notes once a walk ended: page limit with results pending, or the 800-mention cap."""
        oldest = snowflake_time(walk.oldest)
        start = walk.window_start
        if walk.truncated:
            if start and oldest and oldest <= start:
                return []
            reason = (
                f"stopped after {walk.pages} page(s) (`max_pages = {self.options.max_pages}`) with more results "
                "pending; raise `max_pages` or poll more often"
            )
            return [self._gap_note(walk, start, oldest, reason)]
        if walk.key == "mentions" and walk.items >= MENTIONS_CAP and start and oldest and oldest > start:
            return [self._gap_note(walk, start, oldest, f"X serves only the {MENTIONS_CAP} most recent mentions")]
        return []

    def _gap_note(self, walk: _Walk, start: datetime | None, end: datetime | None, reason: str) -> str:
        begin = model.iso(start) if start else "the last stored position"
        finish = model.iso(end) if end else "the oldest item fetched"
        return f"{ENDPOINTS[walk.key][0]}: window not covered from {begin} to {finish}: {reason}"
