"""The Bluesky source (`type = "bluesky"`): notifications and post search through the atproto SDK.

What it reads, each a "stream" with its own cursor entry:

- `notifications` (default on): `app.bsky.notification.listNotifications` of the brand account,
  reasons `mention`, `reply` and `quote` (kinds mention, reply and mention);
- `search` (a query, optional): `app.bsky.feed.searchPosts` with `sort = "latest"` (kind search);
  the brand account's own posts and posts containing one of the brand's `exclusions` are left out.

New notification posts are looked up with `app.bsky.feed.getPosts` (`hydrate`, 25 a call) for
their like, repost, reply and quote counts (search results carry them already), and their authors
with `app.bsky.actor.getProfiles` (`followers`) for follower counts. A post that getPosts no
longer returns (deleted, taken down, or its author blocks the account), a notification whose post
record is gone, and a `#notFoundPost` / `#blockedPost` view are skipped with a reason.

Ids. A post's rkey is unique only within its author's repository, so the native id is derived
from the whole at:// URI `at://DID/app.bsky.feed.post/RKEY` (see `native_id`):

    did:plc:ID  ->  "ID.RKEY"            bluesky:ewvi7nxzyoun6zhxrhs64oiz.3lbdjbf2cqs2k
    did:web:HOST -> "web-HOST.RKEY"      bluesky:web-brand.example.com.3lbdjbf2cqs2k
    other DIDs, or an rkey outside [A-Za-z0-9_-]: "x-" + 40 hex digits of sha256(uri)

The first two forms turn back into the URI (`post_uri`), which the responder uses; all are stable
and model-valid. Thread references use the same ids: `conversation_id` is the thread root
(the post itself for a top-level post) and `in_reply_to` the parent.

Cursors. A stream's entry is `{"indexed_at": newest indexedAt seen, "recent": [[indexedAt,
uri], ...] (the posts within OVERLAP of it), "holes": [...], "query": ...}`. A poll pages the
stream newest-first until it reaches the stored position (an item older than `indexed_at` minus
OVERLAP; the posts in `recent` are not fetched twice), so a restart or a long downtime backfills.
A first poll reaches back `context.lookback` seconds, `context.since` forces a backfill to that
time. When `max_pages` runs out first, the rest of the stretch is kept as a "hole" (the API's
pagination cursor and the position to reach) and read by the next polls, with a gap note. Only
the last batch of a stream carries the cursor, and it is the whole cursor dict.

Sessions. The login (`com.atproto.server.createSession` with the handle and an app password)
is limited by Bluesky to 30 per 5 minutes and 300 per day per account, so the session (access
and refresh tokens) is kept for reuse: in memory for the life of the process and, when a data
directory is known (`context.extra["data_dir"]`), in `DATA/sessions/bluesky-*.session` (mode
0600). The SDK refreshes a session whose access token is about to expire; when a request is still
refused as expired or unauthorised, the session is refreshed once (the SDK's refresh), else a new
one is created, and the request is tried again: a second refusal is an AuthError.

Errors: 401 (after that renewal) -> AuthError; 403 and an app password without the needed
privilege -> NotEntitled; 429 -> RateLimited with the `ratelimit-reset` time (in daemon mode a
reset within a minute is waited for); 5xx, time-outs and network errors -> retried with backoff,
then TransientError. Messages are built from the HTTP status and the XRPC error name and message
(scrubbed), never from the SDK's exception text, and never contain a credential.

The SDK (and httpx) are imported only when a client is built or an error is mapped, so reading a
configuration with a bluesky source stays fast.

The package: `ids` (ids and URLs), `problems` (request errors as safe facts), `account` (the
logged-in client and its session cache), `settings`, `cursor` (streams, floors, holes), `walk`,
`mapping` and `calls` (the parts of `BlueskySource`: walking a stream, mapping items to mentions,
running requests), and `source` (`BlueskySource` itself). Every name is importable from here.
"""

from __future__ import annotations

from socialwatch.sources.bluesky.account import (
    _SESSIONS,
    Account,
    _cache_file,
    _tolerant_request_class,
    forget_sessions,
    log,
    xrpc_procedure,
    xrpc_query,
)
from socialwatch.sources.bluesky.calls import MAX_BACKOFF, MAX_RATE_LIMIT_SLEEP
from socialwatch.sources.bluesky.cursor import (
    DISABLE_HINT,
    NOTIFICATIONS,
    OVERLAP,
    RECENT_CAP,
    SEARCH,
    Floor,
    Item,
    Segment,
    Stream,
    Tracker,
    _stored_entry,
    _stored_holes,
)
from socialwatch.sources.bluesky.ids import (
    _AT_URI,
    _DID,
    _HANDLE,
    _PLC,
    _PLC_ID,
    _RKEY,
    _WEB,
    DEFAULT_SERVICE,
    PLATFORM,
    POST_COLLECTION,
    _dict,
    _hhmm,
    _is_gone,
    _list,
    _time,
    is_did,
    is_handle,
    mention_id,
    native_id,
    post_uri,
    post_url,
    split_at_uri,
    stamp,
)
from socialwatch.sources.bluesky.mapping import LOOKUP_CHUNK, _view_name
from socialwatch.sources.bluesky.problems import (
    _CONTROL,
    _ERROR_NAME,
    _SCOPE,
    BlueskyError,
    Problem,
    _from_response,
    _Malformed,
    _reset_at,
    describe,
)
from socialwatch.sources.bluesky.settings import RANGES, Options, _present, config_problems
from socialwatch.sources.bluesky.source import BlueskySource
from socialwatch.sources.bluesky.walk import MAX_HOLES, REASONS

__all__ = [  # every name the single module defined, its private helpers too (the responder uses some)
    "Account",
    "BlueskyError",
    "BlueskySource",
    "DEFAULT_SERVICE",
    "DISABLE_HINT",
    "Floor",
    "Item",
    "LOOKUP_CHUNK",
    "MAX_BACKOFF",
    "MAX_HOLES",
    "MAX_RATE_LIMIT_SLEEP",
    "NOTIFICATIONS",
    "OVERLAP",
    "Options",
    "PLATFORM",
    "POST_COLLECTION",
    "Problem",
    "RANGES",
    "REASONS",
    "RECENT_CAP",
    "SEARCH",
    "Segment",
    "Stream",
    "Tracker",
    "_AT_URI",
    "_CONTROL",
    "_DID",
    "_ERROR_NAME",
    "_HANDLE",
    "_Malformed",
    "_PLC",
    "_PLC_ID",
    "_RKEY",
    "_SCOPE",
    "_SESSIONS",
    "_WEB",
    "_cache_file",
    "_dict",
    "_from_response",
    "_hhmm",
    "_is_gone",
    "_list",
    "_present",
    "_reset_at",
    "_stored_entry",
    "_stored_holes",
    "_time",
    "_tolerant_request_class",
    "_view_name",
    "config_problems",
    "describe",
    "forget_sessions",
    "is_did",
    "is_handle",
    "log",
    "mention_id",
    "native_id",
    "post_uri",
    "post_url",
    "split_at_uri",
    "stamp",
    "xrpc_procedure",
    "xrpc_query",
]
