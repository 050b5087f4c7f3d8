"""Walking an endpoint (notifications, hashtag timelines): back to the stored id, or forward from it."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socialwatch import model
from socialwatch.sources import (
    Batch,
)
from socialwatch.sources.mastodon.ids import as_dict, as_time, newer, snowflake_at, snowflake_time, str_id

log = logging.getLogger(__package__)
#: Hashtag walks start this long before the stored status, for statuses that arrive late.
HASHTAG_OVERLAP = timedelta(minutes=10)
#: After a walk that found nothing, the next one starts this long before the poll.
QUIET_OVERLAP = timedelta(minutes=10)


# ---- walks -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    """One thing to read: its cursor key, a label for messages and the hashtag (None: notifications)."""

    key: str
    label: str
    tag: str | None = None


@dataclass
class Page:
    """One mapped page: mentions, skip reasons, the newest and oldest ids, whether the floor was reached."""

    mentions: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    top: str | None = None
    bottom: str | None = None
    reached: bool = False
    size: int = 0
    has_next: bool = False


class WalkMixin:
    """`MastodonSource`'s walk of an endpoint: pages back to the stored id or forward from it, batches and gaps."""

    def _start_cursor(self) -> dict:
        cursor = copy.deepcopy(self.cursor) if isinstance(self.cursor, dict) else {}
        for key in list(cursor):
            if key != "account_id" and not isinstance(cursor.get(key), dict):
                cursor.pop(key)
        return cursor

    def _fetch_endpoint(self, endpoint: Endpoint, cursor: dict) -> Iterator[Batch]:
        entry = as_dict(cursor.get(endpoint.key))
        newest = str_id(entry.get("newest"))
        if self.context.since is not None:
            yield from self._walk_back(endpoint, cursor, as_time(self.context.since) or self._now, newest)
        elif newest is not None:
            yield from self._walk_forward(endpoint, cursor, newest)
        else:
            floor = as_time(entry.get("after")) or self._now - timedelta(seconds=float(self.context.lookback))
            yield from self._walk_back(endpoint, cursor, floor, None)

    def _walk_back(self, endpoint: Endpoint, cursor: dict, floor: datetime, stored: str | None) -> Iterator[Batch]:
        """Newest-first (`max_id`) down to `floor`; only the last batch carries the cursor."""
        max_id: str | None = None
        best: str | None = None
        pages = 0
        while True:
            page = self._read(endpoint, cursor, floor=floor, max_id=max_id)
            pages += 1
            best = newer(best, page.top)
            more = page.size > 0 and not page.reached and page.bottom is not None
            more = more and (page.size >= self.options.limit or page.has_next)
            if more and pages < self.options.max_pages:
                yield self._batch(page)
                max_id = page.bottom
                continue
            newest = newer(stored, best)
            if newest is not None:
                cursor[endpoint.key] = {"newest": newest}
            else:
                cursor[endpoint.key] = {"after": model.iso(max(floor, self._now - QUIET_OVERLAP))}
            gap = self._gap(endpoint, floor, page) if more else None
            yield self._batch(page, cursor=copy.deepcopy(cursor), gap=gap)
            return

    def _walk_forward(self, endpoint: Endpoint, cursor: dict, stored: str) -> Iterator[Batch]:
        """Oldest-first (`min_id`) from the stored id until an empty page; every batch carries the cursor."""
        after = self._overlap(endpoint, stored)
        newest = stored
        pages = 0
        while True:
            page = self._read(endpoint, cursor, min_id=after)
            pages += 1
            newest = newer(newest, page.top) or stored
            cursor[endpoint.key] = {"newest": newest}
            yield self._batch(page, cursor=copy.deepcopy(cursor))
            if page.size == 0 or page.top is None or page.top == after:
                return
            if endpoint.tag is None and page.size < self.options.limit:
                return  # notifications are filtered by type on the server: a short page is the last
            if pages >= self.options.max_pages:
                log.warning(
                    "%s: %s: stopped after %d page(s) (`max_pages`); the next poll continues from %s",
                    self.name, endpoint.label, pages, newest,
                )  # fmt: skip
                return
            after = page.top

    def _overlap(self, endpoint: Endpoint, stored: str) -> str:
        """Where a forward walk starts: the stored id, minus `HASHTAG_OVERLAP` for hashtag timelines."""
        moment = snowflake_time(stored) if endpoint.tag else None
        return snowflake_at(moment - HASHTAG_OVERLAP) if moment else stored

    def _gap(self, endpoint: Endpoint, floor: datetime, page: Page) -> str:
        oldest = None
        if page.mentions:
            oldest = min((m["created_at"] for m in page.mentions), default=None)
        return (
            f"{endpoint.label}: window not covered from {model.iso(floor)} to {oldest or 'the oldest item fetched'}: "
            f"stopped after {self.options.max_pages} page(s) (`max_pages = {self.options.max_pages}`) with more "
            "items pending; raise `max_pages` or poll more often"
        )

    def _batch(self, page: Page, **extra: Any) -> Batch:
        calls, self._counted = self._meter.calls - self._counted, self._meter.calls
        return Batch(
            mentions=page.mentions,
            skipped=page.skipped,
            calls=calls,
            rate_limit_remaining=self._meter.remaining,
            **extra,
        )

    def _settle(self) -> Iterator[Batch]:
        """A Batch carrying only the requests no batch reported yet (failed attempts), if any."""
        if self._meter.calls > self._counted:
            yield self._batch(Page())

    # ---- reading and mapping ------------------------------------------------------------------
    def _read(self, endpoint: Endpoint, cursor: dict, *, floor: datetime | None = None, **ids: Any) -> Page:
        """One page of an endpoint (`max_id` or `min_id` given), mapped."""
        client = self._client_()
        params = {k: v for k, v in ids.items() if v is not None}
        if endpoint.tag is None:
            items = self._request(
                endpoint.label,
                lambda: client.notifications(types=["mention"], limit=self.options.limit, **params),
            )
            return self._map_page(endpoint, items, floor, own=None)
        own = self._own_id(cursor)
        tag = endpoint.tag
        items = self._request(endpoint.label, lambda: client.timeline_hashtag(tag, limit=self.options.limit, **params))
        return self._map_page(endpoint, items, floor, own=own)

    def _raw_page(self, items: Any) -> list | None:
        """The page as the server sent it (the session keeps the last answer), when it matches.

        Mastodon.py's typed entities turn a wrong-typed value into its Python text ("['a']"
        where a string is declared); mapping from the raw JSON lets validation see the real type
        and drop or skip it instead of storing a garbled value.
        """
        import orjson

        response = self._meter.response
        try:
            raw = orjson.loads(response.content) if response is not None else None
        except (orjson.JSONDecodeError, TypeError, AttributeError):
            return None
        if isinstance(raw, list) and isinstance(items, list) and len(raw) == len(items):
            return raw
        return None
