"""The X / Twitter responder (`type = "twitter"`): public replies and DMs through tweepy (API v2).

- `post_public`: `POST /2/tweets` with `in_reply_to_tweet_id` = the mention's post id.
- `post_private`: `POST /2/dm_conversations/:id/messages` when the mention is a DM with a
  conversation id, else `POST /2/dm_conversations/with/:author_id/messages`.
- `find_reply`: whether an earlier attempt went through, for `outbox reconcile`: the brand
  account's posts since the attempt (`GET /2/users/:id/tweets`) for a reply to the mention with
  the same text, or the DM events of the conversation for a message with the same text.

X has no idempotency key, so a POST is never retried here: a 5xx, a time-out or a dropped
connection after the request may have left, or an unreadable 2xx body, raise `OutcomeUnknown`
and the outbox leaves the record for `reconcile`. 4xx answers raise `ReplyFailed` (nothing was
posted). Both user-context credential forms of the twitter source are accepted (OAuth 1.0a keys,
or an OAuth 2.0 `user_token`); the client is built by `sources.twitter.user_client`.

No message built here contains a credential or tweepy's exception text: messages are rebuilt
from the HTTP status, the API's error titles and its (sanitised) error detail.

The package: `records` (reply texts as X lists them, ids, the lookup's limits), `calls` and `dms`
(the parts of `TwitterResponder`: checks, calls and error mapping, private replies through direct
messages), and `responder` (`TwitterResponder` itself). Every name is importable from here.
"""

from __future__ import annotations

from socialwatch.responders.twitter.calls import (
    _DETAIL_LIMIT,
    _DUPLICATE,
    _GONE,
    _PROTECTED,
    _REPLY_RESTRICTED,
    _error_texts,
    _never_sent,
    _paren,
    _reset_time,
)
from socialwatch.responders.twitter.dms import _dm_url
from socialwatch.responders.twitter.records import (
    _LEADING_MENTIONS,
    INDEX_GRACE,
    LOOKUP_DM_FIELDS,
    LOOKUP_MARGIN,
    LOOKUP_PAGES,
    LOOKUP_TWEET_FIELDS,
    USER_SECRET_KEYS,
    _parse,
    _plain,
    comparable,
)
from socialwatch.responders.twitter.responder import TwitterResponder

__all__ = [  # every name the single module defined, its private helpers too (the responder uses some)
    "INDEX_GRACE",
    "LOOKUP_DM_FIELDS",
    "LOOKUP_MARGIN",
    "LOOKUP_PAGES",
    "LOOKUP_TWEET_FIELDS",
    "TwitterResponder",
    "USER_SECRET_KEYS",
    "_DETAIL_LIMIT",
    "_DUPLICATE",
    "_GONE",
    "_LEADING_MENTIONS",
    "_PROTECTED",
    "_REPLY_RESTRICTED",
    "_dm_url",
    "_error_texts",
    "_never_sent",
    "_paren",
    "_parse",
    "_plain",
    "_reset_time",
    "comparable",
]
