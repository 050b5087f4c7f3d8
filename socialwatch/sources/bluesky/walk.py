"""Walking a stream newest-first: pages, segments and holes, down to the stored position."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from socialwatch import model
from socialwatch.sources import (
    Batch,
    SourceError,
    TransientError,
)
from socialwatch.sources.bluesky.account import xrpc_query
from socialwatch.sources.bluesky.cursor import (
    NOTIFICATIONS,
    OVERLAP,
    SEARCH,
    Floor,
    Item,
    Segment,
    Stream,
    Tracker,
    _stored_entry,
    _stored_holes,
)
from socialwatch.sources.bluesky.ids import _dict, _is_gone, _time, native_id, stamp
from socialwatch.sources.bluesky.mapping import _view_name

#: notification reason -> mention kind
REASONS = {"mention": "mention", "reply": "reply", "quote": "mention"}
MAX_HOLES = 10


class WalkMixin:
    """`BlueskySource`'s walk of a stream: segments from the stored cursor and holes, page by page."""

    def _read(self, stream: Stream, cursor: dict) -> Iterator[Batch]:
        """Walk one stream (the newest stretch, then stored holes); the last batch gets the cursor."""
        stored = cursor.get(stream.key)
        if stream is SEARCH and _dict(stored).get("query") != self.options.search:
            stored = None  # a new query starts like a first poll
        tracker, top = self._start(stored)
        holes = _stored_holes(stored)
        notes: list[str] = []
        pending: Batch | None = None
        failure: SourceError | None = None
        try:
            for batch in self._walk_all(stream, tracker, top, holes, notes):
                if pending is not None:
                    yield self._accounted(pending)
                pending = batch
        except SourceError as exc:
            failure = exc
        if failure is not None:
            if pending is not None:
                yield self._accounted(pending)  # stored without a cursor: the next poll reads them again
            raise failure
        entry: dict[str, Any] = tracker.entry()
        kept = [h for h in holes if not h.reached]
        if len(kept) > MAX_HOLES:
            dropped = kept[: len(kept) - MAX_HOLES]
            kept = kept[len(kept) - MAX_HOLES :]
            edge = min(h.floor.time for h in dropped)
            notes.append(f"{stream.key}: too many unread stretches: items from before {model.iso(edge)} are given up")
        if kept:
            entry["holes"] = [{"cursor": h.cursor, **h.floor.as_entry()} for h in kept]
        if stream is SEARCH:
            entry["query"] = self.options.search
        cursor[stream.key] = entry
        final = pending or Batch()
        final.cursor = copy.deepcopy(cursor)
        final.gap = "; ".join(notes) or None
        yield self._accounted(final)

    def _start(self, stored: Any) -> tuple[Tracker, Segment]:
        """The tracker (stored position, or the look-back edge) and the newest stretch to walk."""
        found = _stored_entry(stored)
        edge = self._now - timedelta(seconds=float(self.context.lookback))
        if found is None:
            tracker = Tracker(newest=edge)
            floor = Floor(edge)
        else:
            position, recent = found
            tracker = Tracker(newest=position, recent=recent)
            floor = Floor(position, frozenset(recent), OVERLAP)
        if self.context.since is not None:
            since = model.parse_time(self.context.since)
            floor = Floor(since, frozenset(tracker.recent))
            if found is None:
                tracker.newest = since
        return tracker, Segment(floor)

    def _walk_all(
        self, stream: Stream, tracker: Tracker, top: Segment, holes: list[Segment], notes: list[str]
    ) -> Iterator[Batch]:
        yield from self._segment(stream, top, tracker, self.options.max_pages)
        if not top.reached:
            holes.append(top)
            notes.append(
                f"{stream.key}: stopped after {top.pages} page(s) (max_pages) before reaching "
                f"{model.iso(top.floor.time)}; the rest is read by the next polls"
            )
        budget = self.options.max_pages
        for hole in list(holes):
            if hole is top or budget <= 0:
                continue
            yield from self._segment(stream, hole, tracker, budget)
            budget -= hole.pages

    def _segment(self, stream: Stream, segment: Segment, tracker: Tracker, budget: int) -> Iterator[Batch]:
        """Page one stretch newest-first until its floor, the list's end or `budget` pages."""
        segment.pages = 0
        while True:
            body = self._call(stream.label, self._page_request(stream, segment))
            segment.pages += 1
            raw = body.get(stream.items_key)
            if not isinstance(raw, list):
                raise TransientError(
                    f"Bluesky sent source {self.name} an answer without {stream.items_key} ({stream.label}); "
                    "the next poll tries again"
                )
            fresh, skipped, reached = self._sort(stream, raw, segment.floor, tracker)
            mentions, more = self._map(stream, fresh)
            yield Batch(mentions=mentions, skipped=skipped + more)
            next_cursor = body.get("cursor")
            if (
                reached
                or not raw
                or not isinstance(next_cursor, str)
                or not next_cursor
                or next_cursor == segment.cursor
            ):
                segment.reached = True
                return
            segment.cursor = next_cursor
            if segment.pages >= budget:
                return

    def _page_request(self, stream: Stream, segment: Segment) -> Callable[[Any], Any]:
        paging = {"cursor": segment.cursor} if segment.cursor else {}
        limit = self.options.limit
        if stream is NOTIFICATIONS:
            return xrpc_query(
                "app.bsky.notification.listNotifications",
                "AppBskyNotificationListNotifications",
                limit=limit,
                reasons=list(REASONS),
                **paging,
            )
        since = stamp(segment.floor.time - segment.floor.overlap)
        return xrpc_query(
            "app.bsky.feed.searchPosts",
            "AppBskyFeedSearchPosts",
            q=self.options.search,
            sort="latest",
            since=since,
            limit=limit,
            **paging,
        )

    def _sort(self, stream: Stream, raw: list, floor: Floor, tracker: Tracker) -> tuple[list[Item], list[str], bool]:
        """The page's new items, skip reasons, and whether the floor was reached."""
        fresh: list[Item] = []
        skipped: list[str] = []
        reached = False
        for entry in raw:
            item = self._item(stream, entry, skipped)
            if item is None:
                continue
            verdict = floor.verdict(item.uri, item.when)
            if verdict == "old":
                reached = True
                continue
            tracker.see(item.uri, item.when)
            if verdict == "new" and self._wanted(item):
                fresh.append(item)
        return fresh, skipped, reached

    def _item(self, stream: Stream, entry: Any, skipped: list[str]) -> Item | None:
        """A list entry as an Item; None (with a reason, unless it is simply not for us) otherwise."""
        entry = _dict(entry)
        uri = entry.get("uri")
        shown = native_id(uri) or "?"
        if stream is NOTIFICATIONS:
            reason = entry.get("reason")
            if reason not in REASONS:
                return None  # likes, follows, reposts...: not mentions
            kind, post = REASONS[reason], None
        else:
            if _is_gone(entry):
                skipped.append(f"{self.name}: bluesky:{shown}: the post is deleted or blocked ({_view_name(entry)})")
                return None
            kind, post = "search", entry
        when = _time(entry.get("indexedAt"))
        if native_id(uri) is None or when is None:
            skipped.append(f"{self.name}: bluesky:{shown}: not a post with a usable uri and indexedAt")
            return None
        return Item(
            uri=uri, when=when, kind=kind, record=entry.get("record"), author=_dict(entry.get("author")), post=post
        )

    def _wanted(self, item: Item) -> bool:
        """Search results: not the brand's own posts, nor posts with one of the brand's exclusions."""
        if item.kind != "search":
            return True
        account = self._account
        if account is not None and account.did and item.author.get("did") == account.did:
            return False
        exclusions = _dict(self.context.brand).get("exclusions") or []
        if isinstance(exclusions, str):
            exclusions = [exclusions]
        text = str(_dict(item.record).get("text") or "").lower()
        return not any(str(word).strip().lower() in text for word in exclusions if str(word).strip())
