"""The `reddit` responder: public replies and private messages through praw 8.

- `post_public`: the mention's fullname says what to answer: `t1_` a comment
  (`reddit.comment(id).reply`), `t3_` a post (`reddit.submission(id).reply`), `t4_` a private
  message (`reddit.inbox.message(id).reply`, which stays private).
- `post_private`: a new private message to the mention's author
  (`reddit.redditor(handle).message(subject=..., message=...)`); for a private message (`t4_`)
  the answer goes into its conversation instead of starting a new one.
- `find_reply` (for `outbox reconcile`): the account's own recent comments (public replies) or
  sent messages (private ones), matched on the thing replied to or the recipient, the text
  (whitespace normalised) and the time of the attempt.

Exactly once: prawcore retries a request after a 5xx status, a read time-out or a dropped
connection, POSTs included, so one `reply()` could post twice. The client is built with a
requestor (`OncePostRequestor`, through praw's documented `requestor_class`) that hands the
reply POST (`/api/comment/`, `/api/compose/`) to the network at most once per outcome it cannot
judge: such a POST raises `PostInDoubt` instead of returning the response, so prawcore never
retries it, and the responder reports `OutcomeUnknown`. Definite refusals (401, 403, 404, 429,
API errors such as `RATELIMIT`) pass through untouched; retrying those is safe.

Which outcome an error means depends on whether the reply POST left: anything that fails before
it (building the client, the token request, loading a message thread) is `ReplyFailed`; after it,
only definite refusals are `ReplyFailed`, everything else is `OutcomeUnknown`.

Reddit has no idempotency key: the outbox's `key` is not sent; `find_reply` identifies an
attempt by what it posted instead.

Error messages are built here from status codes, Reddit's error codes and config key names:
never from credentials or from the exception text of the HTTP layer.

The package: `requestor` (the reply POSTs sent at most once), `records` (things replied to and
listed, texts, usernames, the lookup's limits), `calls` and `dms` (the parts of `RedditResponder`:
posting calls and error mapping, private messages), and `responder` (`RedditResponder` itself).
Every name is importable from here.
"""

from __future__ import annotations

from socialwatch.responders.reddit.calls import (
    _RETRY_IN,
    _UNIT_SECONDS,
    API_REFUSALS,
    _describe,
    _rate_limited,
    _retry_in,
)
from socialwatch.responders.reddit.records import (
    _USERNAME,
    _WHITESPACE,
    CLOCK_SKEW,
    LOOKUP_PAGES,
    SETTLE_SECONDS,
    SUBJECT_LIMIT,
    _children,
    _found,
    _handle,
    _normalise,
    _reply,
    _same,
    _thing_url,
)
from socialwatch.responders.reddit.requestor import (
    DOUBTFUL_STATUSES,
    REPLY_PATHS,
    PostInDoubt,
    PostLog,
    _once_requestor_class,
)
from socialwatch.responders.reddit.responder import RedditResponder

__all__ = [  # every name the single module defined, its private helpers too (the responder uses some)
    "API_REFUSALS",
    "CLOCK_SKEW",
    "DOUBTFUL_STATUSES",
    "LOOKUP_PAGES",
    "PostInDoubt",
    "PostLog",
    "REPLY_PATHS",
    "RedditResponder",
    "SETTLE_SECONDS",
    "SUBJECT_LIMIT",
    "_RETRY_IN",
    "_UNIT_SECONDS",
    "_USERNAME",
    "_WHITESPACE",
    "_children",
    "_describe",
    "_found",
    "_handle",
    "_normalise",
    "_once_requestor_class",
    "_rate_limited",
    "_reply",
    "_retry_in",
    "_same",
    "_thing_url",
]
