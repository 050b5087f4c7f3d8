"""The Bluesky responder (`type = "bluesky"`): public replies and chat messages through the atproto SDK.

- `post_public`: the mention's post is looked up (`app.bsky.feed.getPosts`) for its uri and cid and
  its own reply reference, then `com.atproto.repo.createRecord` writes an `app.bsky.feed.post` in
  the brand's repository with `reply = {root, parent}`: root is the thread's root (the post's own
  `reply.root`, or the post itself when it starts the thread), parent the post. Links and #tags
  get facets, and so does an @mention of the post's author.
- `post_private`: a Bluesky chat message to the author (`chat.bsky.convo.getConvoAvailability`,
  then `getConvoForMembers` and `sendMessage`, through the chat proxy header) when the author's
  chat settings allow it; otherwise ReplyFailed says why. The app password must be allowed to
  access direct messages.
- `find_reply`: whether an earlier attempt went through, for `outbox reconcile`.

Exactly once. The record key (rkey) of a reply is chosen before the request: `record_key`
derives a valid TID from the outbox's idempotency key (SHA-256; the timestamp part lies between
2023 and early 2025, so it never claims a future time). Whatever happens to a request, the reply
can be looked up (`com.atproto.repo.getRecord` for that rkey), and a retry with the same key can
never create a second post: the PDS refuses to create a record whose key exists (today a 500,
later an explicit error), and the existing record is then returned as the sent reply.

Outcomes: a refusal before or by createRecord (4xx, rate limit, credentials, a deleted target)
is ReplyFailed (nothing was posted); a 5xx, a time-out or a dropped connection is checked at
once with getRecord: found is sent, otherwise OutcomeUnknown (reconcile settles it). Chat
messages have no client-chosen key: `find_reply` looks for the text among the conversation's
messages sent by the account since the attempt.

No message built here contains a credential: they are built from the HTTP status and the XRPC
error name and (scrubbed) message, never from the SDK's exception text.

The package: `records` (record keys, reply references, facets), `calls` and `dms` (the parts of
`BlueskyResponder`: checks and error mapping, private replies through chat), and `responder`
(`BlueskyResponder` itself). Every name is importable from here.
"""

from __future__ import annotations

from socialwatch.responders.bluesky.dms import CHAT_MAX_BYTES, CHAT_MAX_GRAPHEMES
from socialwatch.responders.bluesky.records import (
    _NOT_SERVED,
    LOOKUP_MARGIN,
    LOOKUP_PAGES,
    POST_MAX_BYTES,
    TID_ALPHABET,
    TID_BASE_US,
    TID_SPAN_US,
    _facets,
    _not_served,
    _now_stamp,
    _parse,
    _same_text,
    _strong_ref,
    _usable,
    record_key,
    reply_refs,
)
from socialwatch.responders.bluesky.responder import BlueskyResponder

__all__ = [  # every name the single module defined, its private helpers too (the responder uses some)
    "BlueskyResponder",
    "CHAT_MAX_BYTES",
    "CHAT_MAX_GRAPHEMES",
    "LOOKUP_MARGIN",
    "LOOKUP_PAGES",
    "POST_MAX_BYTES",
    "TID_ALPHABET",
    "TID_BASE_US",
    "TID_SPAN_US",
    "_NOT_SERVED",
    "_facets",
    "_not_served",
    "_now_stamp",
    "_parse",
    "_same_text",
    "_strong_ref",
    "_usable",
    "record_key",
    "reply_refs",
]
