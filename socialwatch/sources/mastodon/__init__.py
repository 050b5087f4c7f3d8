"""The Mastodon source (`type = "mastodon"`): mentions and hashtag timelines through Mastodon.py.

What it reads, each "endpoint" with its own cursor entry:

- `notifications` (on by default): `GET /api/v1/notifications?types[]=mention` of the account the
  access token belongs to. Kind "mention", "reply" (the status answers another one) or "dm" (a
  status of visibility `direct`);
- `hashtags`: `GET /api/v1/timelines/tag/:tag` for each configured hashtag, kind "search"; boosts
  and the account's own posts are left out.

Walks and cursors. The cursor holds, per endpoint (`notifications`, `hashtag:<tag>`), the newest id
seen (`{"newest": "<id>"}`; notification ids for notifications, status ids for hashtags), or, for
an endpoint that had nothing yet, the time its walk covered up to (`{"after": "<iso time>"}`).

- First poll (no entry) and explicit backfills (`context.since`): the endpoint is walked
  newest-first (`max_id` paging) down to the look-back (`context.lookback`, or the stored `after`
  time) or to `since`. Only the last batch of that walk carries the cursor; a walk cut short by
  `max_pages` says so in `Batch.gap`.
- Later polls: the endpoint is walked *forward* from the stored id (`min_id` paging: the items
  immediately newer than it, one page after the other) until a page comes back empty. Every batch
  carries the cursor up to its newest item, so after a long downtime the backlog is caught up page
  by page (across several polls when `max_pages` stops a walk) and nothing is skipped. Hashtag
  walks start `HASHTAG_OVERLAP` before the stored status (Mastodon gives statuses it fetched late
  an id of their publication time); the store drops the duplicates.

The poller stores each batch, then its cursor; nothing is stored here.

Errors: 401 -> AuthError, 403 -> NotEntitled (the other endpoints are still read), 429 ->
RateLimited with the reset time from `X-RateLimit-Reset` (slept through in daemon mode when short),
5xx / time-outs / malformed answers -> retried with backoff, then TransientError. Mastodon.py runs
with `ratelimit_method="throw"` (it never sleeps by itself) and `version_check_mode="none"`.
Messages are built from the HTTP status and the server's cleaned `error` text, never from
Mastodon.py's exception text, and never contain the access token.

Mastodon.py (and requests) are imported only when a client is built, so reading a configuration
with a mastodon source stays fast. Helpers shared with the mastodon responder live here too.

The package: `text` (status HTML to text), `ids` (instances, ids, times), `client` (the metered
Mastodon.py client), `problems` (failed requests as safe facts), `settings`, `walk`, `mapping` and
`calls` (the parts of `MastodonSource`: walking an endpoint, mapping statuses to mentions, running
requests), and `source` (`MastodonSource` itself). Every name is importable from here.
"""

from __future__ import annotations

from socialwatch.sources.mastodon.calls import MAX_BACKOFF
from socialwatch.sources.mastodon.client import Meter, _header, build_client, metered_session
from socialwatch.sources.mastodon.ids import (
    _FIRST_SNOWFLAKE_MS,
    _HOST,
    _ID,
    PLATFORM,
    as_dict,
    as_time,
    hhmm,
    https_url,
    id_order,
    instance_url,
    newer,
    snowflake_at,
    snowflake_time,
    str_id,
)
from socialwatch.sources.mastodon.mapping import _author
from socialwatch.sources.mastodon.problems import (
    _DETAIL_LIMIT,
    Failure,
    _network_failure,
    _never_sent,
    _server_error,
    _status_failure,
    classify,
    clean_detail,
    rate_reset,
)
from socialwatch.sources.mastodon.settings import (
    _HASHTAG,
    _RANGES,
    PAGE_SIZE,
    VISIBILITIES,
    Options,
    _config_problems,
    hashtag_name,
)
from socialwatch.sources.mastodon.source import MastodonSource
from socialwatch.sources.mastodon.text import (
    _BLOCK_TAGS,
    _BREAK_TAGS,
    _MANY_NEWLINES,
    _MANY_SPACES,
    _RAW_TAGS,
    _SPACES,
    MAX_HTML,
    _markup,
    _tag_end,
    _text_run,
    _tidy,
    html_to_text,
)
from socialwatch.sources.mastodon.walk import HASHTAG_OVERLAP, QUIET_OVERLAP, Endpoint, Page, log

__all__ = [  # every name the single module defined, its private helpers too (the responder uses some)
    "Endpoint",
    "Failure",
    "HASHTAG_OVERLAP",
    "MAX_BACKOFF",
    "MAX_HTML",
    "MastodonSource",
    "Meter",
    "Options",
    "PAGE_SIZE",
    "PLATFORM",
    "Page",
    "QUIET_OVERLAP",
    "VISIBILITIES",
    "_BLOCK_TAGS",
    "_BREAK_TAGS",
    "_DETAIL_LIMIT",
    "_FIRST_SNOWFLAKE_MS",
    "_HASHTAG",
    "_HOST",
    "_ID",
    "_MANY_NEWLINES",
    "_MANY_SPACES",
    "_RANGES",
    "_RAW_TAGS",
    "_SPACES",
    "_author",
    "_config_problems",
    "_header",
    "_markup",
    "_network_failure",
    "_never_sent",
    "_server_error",
    "_status_failure",
    "_tag_end",
    "_text_run",
    "_tidy",
    "as_dict",
    "as_time",
    "build_client",
    "classify",
    "clean_detail",
    "hashtag_name",
    "hhmm",
    "html_to_text",
    "https_url",
    "id_order",
    "instance_url",
    "log",
    "metered_session",
    "newer",
    "rate_reset",
    "snowflake_at",
    "snowflake_time",
    "str_id",
]
