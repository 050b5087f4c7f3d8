"""The `reddit` source: inbox mentions, replies and messages, keyword search, own subreddits (praw 8).

What it reads (each a "listing", walked newest-first, one `Batch` per listing page):

- inbox listings (`inbox`): `mentions` (username mentions, kind "mention"), `comment_replies`
  and `submission_replies` (kind "reply"), `messages` (private messages, kind "dm"; threads are
  flattened), and on request `unread` / `inbox` (kind taken from each item);
- `search`: the query in each of `subreddits` (default r/all), `sort=new` (kind "search");
- `own_subreddits`: new posts and new comments of the brand's subreddits (kind "search").

Cursors: one entry per listing, `{"newest": "<fullname>", "created_utc": <float>}`, under keys
`mentions`, `comment_replies`, `submission_replies`, `messages`, `unread`, `inbox`,
`search:<sub>`, `new:<sub>`, `comments:<sub>`. A poll pages each listing with `after` from the
top until it meets the stored fullname or an item older than the stored time, so a restart or a
long downtime backfills (streams with `skip_existing` would drop that window). Without a cursor a
poll reaches back `context.lookback` seconds (or to `context.since`, which also forces a
backfill when a cursor exists). Only the last batch of a listing carries a cursor, and it is the
whole cursor dict with that listing's entry updated.

Pages are read through the praw client's own request path (`Reddit.request`: OAuth, token
refresh, praw's rate limiter, prawcore's exceptions) and mapped from the listing JSON, so one
malformed child is skipped with its reason instead of failing the page in praw's objector.

Inbox items are never marked read while fetching (`mark=false`); with `mark_read = true` the
poller calls `after_stored(batch)` after storing a batch, which marks that batch's unread inbox
items read.

The package: `mapping` (Reddit things to mentions), `auth` (auth modes and the metered praw
client), `calls` and `walk` (the parts of `RedditSource`: running requests, walking a listing),
and `source` (`RedditSource` itself, marking the inbox read). Every name is importable from here.
"""

from __future__ import annotations

from socialwatch.sources.reddit.auth import (
    Meter,
    _header_number,
    _metered_requestor_class,
    auth_detail,
    auth_mode,
    build_reddit,
    credential_keys,
    is_unauthorized,
)
from socialwatch.sources.reddit.calls import (
    MAX_BACKOFF,
    MAX_RATE_LIMIT_SLEEP,
    _check_api_error,
    _network_cause,
    retry_after_seconds,
)
from socialwatch.sources.reddit.mapping import (
    _COMMENTS_PATH,
    _CONTROL,
    _FULLNAME,
    _INBOX_TYPES,
    _ITEM_KINDS,
    _SUBREDDIT,
    REDDIT_URL,
    Item,
    _author,
    _clean,
    _comment_path,
    _conversation,
    _identity,
    _is_number,
    _item,
    _metrics,
    _shown_name,
    _sub_name,
    _text,
    _url,
)
from socialwatch.sources.reddit.source import MARK_READ_CHUNK, MarkReadFailed, RedditSource
from socialwatch.sources.reddit.walk import (
    DEFAULT_INBOX,
    INBOX_LISTINGS,
    LISTING_CAP,
    Listing,
    Window,
    _listing_children,
    _mention_kind,
    _merge_cursor,
)

__all__ = [  # every name the single module defined, its private helpers too (the responder uses some)
    "DEFAULT_INBOX",
    "INBOX_LISTINGS",
    "Item",
    "LISTING_CAP",
    "Listing",
    "MARK_READ_CHUNK",
    "MAX_BACKOFF",
    "MAX_RATE_LIMIT_SLEEP",
    "MarkReadFailed",
    "Meter",
    "REDDIT_URL",
    "RedditSource",
    "Window",
    "_COMMENTS_PATH",
    "_CONTROL",
    "_FULLNAME",
    "_INBOX_TYPES",
    "_ITEM_KINDS",
    "_SUBREDDIT",
    "_author",
    "_check_api_error",
    "_clean",
    "_comment_path",
    "_conversation",
    "_header_number",
    "_identity",
    "_is_number",
    "_item",
    "_listing_children",
    "_mention_kind",
    "_merge_cursor",
    "_metered_requestor_class",
    "_metrics",
    "_network_cause",
    "_shown_name",
    "_sub_name",
    "_text",
    "_url",
    "auth_detail",
    "auth_mode",
    "build_reddit",
    "credential_keys",
    "is_unauthorized",
    "retry_after_seconds",
]
