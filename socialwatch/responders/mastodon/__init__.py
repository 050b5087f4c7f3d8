"""The Mastodon responder (`type = "mastodon"`): replies through Mastodon.py, exactly once.

- `post_public`: reads the mention's status first (`GET /api/v1/statuses/:id`: its visibility, its
  author's acct, and whether it still exists), then `status_post(text, in_reply_to_id=…,
  visibility=…, idempotency_key=key)`. The reply keeps the original's visibility and is never more
  public than it (nor than `max_visibility`): a followers-only post gets a followers-only reply,
  a direct message a direct reply.
- `post_private`: the same with visibility `direct` (only the mentioned accounts see it), in the
  mention's thread.
- Both start the text with `@acct` of the author unless the text already mentions them (Mastodon
  only delivers a reply, and a direct one at all, to the accounts it mentions), and check its
  length against the instance's limit (`configuration.statuses.max_characters` of
  `/api/v2/instance`, else `/api/v1/instance`, else 500), counted the way Mastodon counts: every
  URL as 23 characters, a remote mention `@user@domain` as `@user`.
- `find_reply`: the account's statuses since the attempt (`account_statuses(me, since_id=<the
  attempt's time>)`) for one answering the mention with the same text (after HTML stripping).

Idempotency: the outbox's key goes out as the `Idempotency-Key` header, and the server answers a
repeated key (for about an hour) with the status the first request created. So a 5xx, a time-out
or an unreadable answer is retried here with the same key (`retries` times, with backoff) and
cannot post twice; only when every attempt fails does the outcome stay unknown (`OutcomeUnknown`),
for `outbox reconcile`. 4xx answers raise `ReplyFailed` (nothing was posted), unless an earlier
attempt of the same call may have gone through, which keeps the outcome unknown.

No message built here contains the access token or Mastodon.py's exception text: messages come
from the HTTP status and the server's cleaned `error` text.

The package: `records` (status texts as Mastodon counts and lists them, account addresses, the
lookup's limits), `calls` and `dms` (the parts of `MastodonResponder`: length checks, calls and
error mapping, private replies as direct statuses), and `responder` (`MastodonResponder` itself).
Every name is importable from here.
"""

from __future__ import annotations

from socialwatch.responders.mastodon.calls import log
from socialwatch.responders.mastodon.records import (
    _ACCT,
    _LEADING_MENTIONS,
    _REMOTE_MENTION,
    _URL,
    DEFAULT_LIMIT,
    LOOKUP_MARGIN,
    LOOKUP_PAGE_SIZE,
    LOOKUP_PAGES,
    URL_WEIGHT,
    _acct,
    _handle,
    _max_characters,
    comparable,
    mentions,
    narrowest,
    status_length,
    with_mention,
)
from socialwatch.responders.mastodon.responder import MastodonResponder

__all__ = [  # every name the single module defined, its private helpers too (the responder uses some)
    "DEFAULT_LIMIT",
    "LOOKUP_MARGIN",
    "LOOKUP_PAGES",
    "LOOKUP_PAGE_SIZE",
    "MastodonResponder",
    "URL_WEIGHT",
    "comparable",
    "log",
    "mentions",
    "narrowest",
    "status_length",
    "with_mention",
    "_ACCT",
    "_LEADING_MENTIONS",
    "_REMOTE_MENTION",
    "_URL",
    "_acct",
    "_handle",
    "_max_characters",
]
