"""Walking a listing (inbox, subreddit search, new posts and comments) newest-first back to the cursor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from socialwatch import model
from socialwatch.sources import (
    Batch,
    SourceError,
)
from socialwatch.sources.reddit.mapping import (
    _INBOX_TYPES,
    Item,
    _author,
    _conversation,
    _is_number,
    _item,
    _metrics,
    _text,
    _url,
)

#: inbox listing name -> (praw API_PATH key, kind forced on its items or None to read `type`)
INBOX_LISTINGS: dict[str, tuple[str, str | None]] = {
    "mentions": ("mentions", "mention"),
    "comment_replies": ("comment_replies", "reply"),
    "submission_replies": ("submission_replies", "reply"),
    "messages": ("messages", "dm"),
    "unread": ("unread", None),
    "inbox": ("inbox", None),
}
DEFAULT_INBOX = ["mentions", "comment_replies", "submission_replies", "messages"]
#: Reddit serves at most about this many items of a listing, whatever the paging
LISTING_CAP = 1000


# ---- small value types -------------------------------------------------------------------------
@dataclass(frozen=True)
class Listing:
    """One listing to walk: its cursor key, a label for messages, the API path and parameters."""

    key: str
    label: str
    path: str
    params: tuple[tuple[str, Any], ...] = ()
    kind: str | None = None  # forced kind; None: from the item (t4 -> dm, inbox `type`)
    inbox: bool = False  # items may be marked read after they are stored
    threaded: bool = False  # /message/messages: children carry their replies


@dataclass(frozen=True)
class Window:
    """Which items of a listing are new: after a cursor (fullname + time) or since a floor time."""

    since: float
    newest: str | None = None  # set when walking back to a stored cursor

    def is_new(self, name: str, created: float) -> bool:
        if self.newest is None:
            return created >= self.since
        return created > self.since or (created == self.since and name != self.newest)

    def reached(self, name: str, created: float) -> bool:
        """True for the stored cursor item or anything older: the walk stops there."""
        return name == self.newest or created < self.since


def _listing_children(data: Any, what: str, source: str) -> tuple[list, str | None]:
    body = data.get("data") if isinstance(data, dict) and data.get("kind") == "Listing" else None
    children = body.get("children") if isinstance(body, dict) else None
    if not isinstance(children, list):
        raise SourceError(f"source {source}: Reddit answered {what} with something that is not a listing")
    after = body.get("after")
    return children, after if isinstance(after, str) and after else None


def _mention_kind(kind: str, data: dict, listing: Listing) -> str:
    if kind == "t4":
        return "dm"
    if listing.kind:
        return listing.kind
    return _INBOX_TYPES.get(str(data.get("type")), "mention")


def _merge_cursor(stored: Any, best: tuple[float, str] | None) -> dict | None:
    """The newer of the stored entry and the newest item seen."""
    if best is None:
        return stored if isinstance(stored, dict) else None
    if isinstance(stored, dict) and _is_number(stored.get("created_utc")) and float(stored["created_utc"]) > best[0]:
        return stored
    return {"newest": best[1], "created_utc": best[0]}


class WalkMixin:
    """`RedditSource`'s walk of a listing: its window from the cursor, pages, grouping and mapping of items."""

    def _window(self, listing: Listing, now: datetime) -> Window:
        if self.context.since is not None:
            return Window(since=self.context.since.timestamp())
        stored = (self.cursor or {}).get(listing.key)
        if isinstance(stored, dict):
            created = stored.get("created_utc")
            newest = stored.get("newest")
            if _is_number(created) and (newest is None or isinstance(newest, str)):
                return Window(since=float(created), newest=newest)
        return Window(since=(now - timedelta(seconds=float(self.context.lookback))).timestamp())

    def _walk(self, listing: Listing, cursor: dict, now: datetime) -> Iterator[Batch]:
        """Page one listing newest-first until the window's edge; the last batch carries the cursor."""
        window = self._window(listing, now)
        best: tuple[float, str] | None = None
        after: str | None = None
        walked = pages = 0
        max_pages = LISTING_CAP // self._limit + 2
        while True:
            children, next_after = self._fetch_page(listing, after)
            pages += 1
            walked += len(children)
            batch, reached, newest = self._page(listing, children, window, now)
            if newest and (best is None or newest > best):
                best = newest
            exhausted = not next_after or next_after == after
            done = reached or exhausted or pages >= max_pages
            if done:
                if not reached and (walked >= LISTING_CAP or pages >= max_pages):
                    edge = model.iso(datetime.fromtimestamp(window.since, tz=UTC))
                    batch.gap = (
                        f"{listing.label}: Reddit stopped after {walked} items before reaching {edge}; "
                        "older items may be missing"
                    )
                cursor[listing.key] = _merge_cursor(cursor.get(listing.key), best)
                if cursor[listing.key] is None:
                    del cursor[listing.key]
                batch.cursor = dict(cursor)
            yield self._account(batch)
            if done:
                return
            after = next_after

    def _account(self, batch: Batch) -> Batch:
        batch.calls += self._meter.calls - self._counted
        self._counted = self._meter.calls
        batch.rate_limit_remaining = self._meter.remaining
        return batch

    def _page(
        self, listing: Listing, children: list, window: Window, now: datetime
    ) -> tuple[Batch, bool, tuple[float, str] | None]:
        """Map one page: the batch, whether the window's edge was reached, the newest item seen."""
        batch = Batch()
        newest: tuple[float, str] | None = None
        for child in children:
            group = self._group(child, listing)
            valid = [i for i in group if i.error is None and i.created is not None]
            if valid:
                latest = max(valid, key=lambda i: i.created or 0.0)
                if window.reached(latest.name, latest.created or 0.0):
                    return batch, True, newest
                newest = max(newest or (0.0, ""), (latest.created or 0.0, latest.name))
            for item in group:
                self._add(batch, item, listing, window, now)
        return batch, False, newest

    def _add(self, batch: Batch, item: Item, listing: Listing, window: Window, now: datetime) -> None:
        if item.error is not None:
            batch.skipped.append(f"{self.name}: reddit:{item.name}: {item.error}")
            return
        if item.created is None or not window.is_new(item.name, item.created) or self._is_own(item.data):
            return
        try:
            mention = model.normalize(self._record(item, listing), platform="reddit", source=self.name, now=now)
        except model.InvalidMention as exc:
            batch.skipped.append(f"{self.name}: reddit:{item.name}: {exc}")
            return
        if listing.inbox and item.data.get("new") is True and self.config.get("mark_read", False):
            self._unread.add(item.name)
        batch.mentions.append(mention)

    def _group(self, child: Any, listing: Listing) -> list[Item]:
        """A listing child as items: itself, plus its replies in a threaded (messages) listing."""
        item = _item(child)
        group = [item]
        if listing.threaded and item.error is None:
            replies = item.data.get("replies")
            if isinstance(replies, dict):
                nested = replies.get("data")
                children = nested.get("children") if isinstance(nested, dict) else None
                if isinstance(children, list):
                    group += [_item(c) for c in children]
        return group

    def _is_own(self, data: dict) -> bool:
        """The account's own posts and sent messages are not mentions."""
        username = self.config.get("username")
        author = data.get("author")
        return bool(username) and isinstance(author, str) and author.lower() == str(username).lower()

    # ---- mapping ---------------------------------------------------------------------------
    def _record(self, item: Item, listing: Listing) -> dict:
        """A listing item in the loose record shape `model.normalize` validates."""
        data, kind = item.data, item.kind
        return {
            "id": f"reddit:{item.name}",
            "kind": _mention_kind(kind, data, listing),
            "author": _author(data),
            "text": _text(kind, data),
            "url": _url(kind, data),
            "created_at": data.get("created_utc"),
            "conversation_id": _conversation(kind, item.name, data),
            "in_reply_to": data.get("parent_id"),
            "metrics": _metrics(kind, data),
        }
